/* URL paths to route rows, and the Allow header of each row. */
#include <criterion/criterion.h>
#include <string.h>

#include "api/resource.h"
#include "api/router.h"

/* The pattern of the core row a path matches, NULL when none. */
static const char *pat(const char *path)
{
    const cinto_route_def *defs[64];
    cr_assert(cinto_core_nroutes <= 64);
    for (size_t i = 0; i < cinto_core_nroutes; i++)
        defs[i] = &cinto_core_routes[i];
    cinto_route r;
    if (cinto_route_match(defs, cinto_core_nroutes, path, &r) < 0) {
        cr_assert_null(r.def);
        return NULL;
    }
    const char *p = r.def->pattern;
    cinto_route_free(&r);
    return p;
}

static const cinto_route_def *row(const char *pattern)
{
    for (size_t i = 0; i < cinto_core_nroutes; i++)
        if (strcmp(cinto_core_routes[i].pattern, pattern) == 0)
            return &cinto_core_routes[i];
    cr_assert_fail("no row %s", pattern);
    return NULL;
}

Test(router, endpoints)
{
    cr_assert_str_eq(pat("/"), "/");
    cr_assert_str_eq(pat("/buckets"), "/buckets");
    cr_assert_str_eq(pat("/buckets/b"), "/buckets/{bid}");
    cr_assert_str_eq(pat("/buckets/b/groups"), "/buckets/{bid}/groups");
    cr_assert_str_eq(pat("/buckets/b/groups/g"), "/buckets/{bid}/groups/{gid}");
    cr_assert_str_eq(pat("/buckets/b/collections"), "/buckets/{bid}/collections");
    cr_assert_str_eq(pat("/buckets/b/collections/c"), "/buckets/{bid}/collections/{cid}");
    cr_assert_str_eq(pat("/buckets/b/collections/c/records"),
                     "/buckets/{bid}/collections/{cid}/records");
    cr_assert_str_eq(pat("/buckets/b/collections/c/records/r"),
                     "/buckets/{bid}/collections/{cid}/records/{rid}");
    cr_assert_str_eq(pat("/__heartbeat__"), "/__heartbeat__");
    cr_assert_str_eq(pat("/__lbheartbeat__"), "/__lbheartbeat__");
    cr_assert_str_eq(pat("/__version__"), "/__version__");
    cr_assert_str_eq(pat("/batch"), "/batch");
}

Test(router, no_match)
{
    cr_assert_null(pat("/nope"));
    cr_assert_null(pat("/buckets//collections"));
    cr_assert_null(pat("/buckets/b/collections/c/records/r/x"));
    cr_assert_null(pat("/buckets/b/groups/g/x"));
    cr_assert_null(pat("/buckets/b/other"));
    cr_assert_null(pat("/buckets/b/collections/c/other"));
    cr_assert_null(pat("/batch/x"));
    cr_assert_null(pat("buckets"));
    cr_assert_null(pat("/a/b/c/d/e/f/g/h/i/j"));
}

Test(router, rows_say_kind_and_plural)
{
    cr_assert_eq(row("/buckets")->kind, CINTO_KIND_BUCKET);
    cr_assert(row("/buckets")->plural);
    cr_assert_eq(row("/buckets/{bid}/collections/{cid}/records/{rid}")->kind, CINTO_KIND_RECORD);
    cr_assert(!row("/buckets/{bid}/collections/{cid}/records/{rid}")->plural);
    cr_assert_eq(row("/batch")->kind, -1);
}

Test(router, ids_are_kept_verbatim)
{
    const cinto_route_def *defs[64];
    for (size_t i = 0; i < cinto_core_nroutes; i++)
        defs[i] = &cinto_core_routes[i];
    cinto_route r;
    cr_assert_geq(
        cinto_route_match(defs, cinto_core_nroutes, "/buckets/a b/collections/..%/records/ü", &r),
        0);
    cr_assert_str_eq(r.bid, "a b");
    cr_assert_str_eq(r.cid, "..%");
    cr_assert_str_eq(r.rid, "ü");
    cinto_route_free(&r);
}

/* Upstream's order: HEAD first on plural endpoints, OPTIONS last. */
Test(router, allow_header)
{
    char buf[128];
    cinto_route_allow(row("/buckets/{bid}/collections/{cid}/records/{rid}"), 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
    cinto_route_allow(row("/buckets"), 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "HEAD, GET, POST, DELETE, OPTIONS");
    cinto_route_allow(row("/batch"), 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "POST, OPTIONS");
    cinto_route_allow(row("/buckets/{bid}"), CINTO_M(CINTO_PUT) | CINTO_M(CINTO_OPTIONS), buf,
                      sizeof buf);
    cr_assert_str_eq(buf, "GET, HEAD, PATCH, DELETE, OPTIONS");
    cr_assert_eq(cinto_route_methods(row("/")),
                 CINTO_M(CINTO_GET) | CINTO_M(CINTO_HEAD) | CINTO_M(CINTO_OPTIONS));
}

/* {arg} binds a segment for the handler to parse; ids stay unbound. */
Test(router, arg_placeholder)
{
    static const cinto_route_def def = {
        "/buckets/{bid}/snapshot/collections/{arg}", CINTO_READ_METHODS, NULL, -1, 0, 0, NULL};
    const cinto_route_def *defs[1] = {&def};
    cinto_route r;
    cr_assert_eq(cinto_route_match(defs, 1, "/buckets/b/snapshot/collections/c@12", &r), 0);
    cr_assert_str_eq(r.bid, "b");
    cr_assert_str_eq(r.arg, "c@12");
    cr_assert_null(r.cid);
    cinto_route_free(&r);
}
