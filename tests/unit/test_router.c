/* URL paths to endpoints. */
#include <criterion/criterion.h>
#include <string.h>

#include "api/router.h"

static enum cinto_endpoint ep(const char *path)
{
    cinto_route r;
    if (cinto_route_match(path, &r) < 0)
        return CINTO_EP_NONE;
    enum cinto_endpoint e = r.ep;
    cinto_route_free(&r);
    return e;
}

Test(router, endpoints)
{
    cr_assert_eq(ep("/"), CINTO_EP_ROOT);
    cr_assert_eq(ep("/buckets"), CINTO_EP_BUCKETS);
    cr_assert_eq(ep("/buckets/b"), CINTO_EP_BUCKET);
    cr_assert_eq(ep("/buckets/b/groups"), CINTO_EP_GROUPS);
    cr_assert_eq(ep("/buckets/b/groups/g"), CINTO_EP_GROUP);
    cr_assert_eq(ep("/buckets/b/collections"), CINTO_EP_COLLECTIONS);
    cr_assert_eq(ep("/buckets/b/collections/c"), CINTO_EP_COLLECTION);
    cr_assert_eq(ep("/buckets/b/collections/c/records"), CINTO_EP_RECORDS);
    cr_assert_eq(ep("/buckets/b/collections/c/records/r"), CINTO_EP_RECORD);
    cr_assert_eq(ep("/__heartbeat__"), CINTO_EP_HEARTBEAT);
    cr_assert_eq(ep("/__lbheartbeat__"), CINTO_EP_LBHEARTBEAT);
    cr_assert_eq(ep("/__version__"), CINTO_EP_VERSION);
    cr_assert_eq(ep("/batch"), CINTO_EP_BATCH);
}

Test(router, no_match)
{
    cr_assert_eq(ep("/nope"), CINTO_EP_NONE);
    cr_assert_eq(ep("/buckets//collections"), CINTO_EP_NONE);
    cr_assert_eq(ep("/buckets/b/collections/c/records/r/x"), CINTO_EP_NONE);
    cr_assert_eq(ep("/buckets/b/groups/g/x"), CINTO_EP_NONE);
    cr_assert_eq(ep("/buckets/b/other"), CINTO_EP_NONE);
    cr_assert_eq(ep("buckets"), CINTO_EP_NONE);
    cr_assert_eq(ep("/a/b/c/d/e/f/g/h/i/j"), CINTO_EP_NONE);
}

Test(router, ids_are_kept_verbatim)
{
    cinto_route r;
    cr_assert_eq(cinto_route_match("/buckets/a b/collections/..%/records/ü", &r), 0);
    cr_assert_str_eq(r.bid, "a b");
    cr_assert_str_eq(r.cid, "..%");
    cr_assert_str_eq(r.rid, "ü");
    cinto_route_free(&r);
}

Test(router, allow_header)
{
    char buf[128];
    cinto_route_allow(cinto_route_methods(CINTO_EP_RECORD), buf, sizeof buf);
    cr_assert_str_eq(buf, "DELETE, GET, HEAD, PATCH, PUT");
    cinto_route_allow(cinto_route_methods(CINTO_EP_RECORDS), buf, sizeof buf);
    cr_assert_str_eq(buf, "DELETE, GET, HEAD, POST");
}
