/* URL paths through cinto_route_match, against the core route table plus
 * rows shaped like the plugins' ({arg} segments, a trailing-slash page).
 * Only the matcher runs: the handlers the table points to are stubbed
 * below so that the harness links without the rest of lib/api. */
#include "fuzz_common.h"
#include "api/handlers.h"
#include "api/router.h"

#define STUB(name)                                                                                 \
    void name(cinto_ctx *c)                                                                        \
    {                                                                                              \
        (void)c;                                                                                   \
        abort();                                                                                   \
    }
STUB(cinto_handle_hello)
STUB(cinto_handle_batch)
STUB(cinto_handle_heartbeat)
STUB(cinto_handle_lbheartbeat)
STUB(cinto_handle_version)
STUB(cinto_handle_openapi)
STUB(cinto_handle_contribute)
STUB(cinto_handle_user_data)
STUB(cinto_handle_resource)

static const cinto_route_def plugin_rows[] = {
    {"/buckets/{bid}/history", CINTO_READ_METHODS, NULL, -1, 1, 0, NULL},
    {"/buckets/{bid}/collections/{cid}/records/{rid}/attachment", "POST, DELETE, OPTIONS", NULL, -1,
     0, 0, NULL},
    {"/__changeset__/{arg}", CINTO_READ_METHODS, NULL, -1, 0, 0, NULL},
    {"/admin/", "GET, OPTIONS", NULL, -1, 0, 0, NULL},
    {"/accounts/{aid}", CINTO_OBJECT_METHODS, NULL, -1, 0, 0, NULL},
};

/* Every bound id is one non-empty segment of the path. */
static void check_id(const char *id)
{
    if (id)
        CINTO_FUZZ_CHECK(id[0] && !strchr(id, '/'), "bound id \"%s\"", id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { NCORE = 32, NPLUG = sizeof plugin_rows / sizeof plugin_rows[0] };
    const cinto_route_def *defs[NCORE + NPLUG];
    size_t n = 0;
    for (size_t i = 0; i < cinto_core_nroutes && n < NCORE; i++)
        defs[n++] = &cinto_core_routes[i];
    for (size_t i = 0; i < NPLUG; i++)
        defs[n++] = &plugin_rows[i];
    char *path = cinto_fuzz_strndup(data, size);
    cinto_route r;
    memset(&r, 0x5a, sizeof r); /* garbage in: the matcher must initialise it */
    int rc = cinto_route_match(defs, n, path, &r);
    CINTO_FUZZ_CHECK(rc >= -1 && rc < (int)n, "returned %d", rc);
    if (rc == -1) {
        CINTO_FUZZ_CHECK(r.def == NULL, "failed match with a row");
    } else {
        CINTO_FUZZ_CHECK(r.def == defs[rc], "row %d not the one returned", rc);
        check_id(r.bid);
        check_id(r.cid);
        check_id(r.gid);
        check_id(r.rid);
        check_id(r.aid);
        check_id(r.arg);
        char allow[128];
        cinto_route_allow(r.def, 0, allow, sizeof allow);
        CINTO_FUZZ_CHECK(cinto_route_methods(r.def) != 0, "row without methods");
    }
    cinto_route_free(&r);
    free(path);
    return 0;
}
