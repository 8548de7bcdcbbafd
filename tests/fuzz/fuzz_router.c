/* URL paths through cinto_route_match. */
#include "fuzz_common.h"
#include "api/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = cinto_fuzz_strndup(data, size);
    cinto_route r;
    memset(&r, 0x5a, sizeof r); /* garbage in: the matcher must initialise it */
    int rc = cinto_route_match(path, &r);
    CINTO_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    if (rc == -1)
        CINTO_FUZZ_CHECK(r.ep == CINTO_EP_NONE, "failed match with endpoint %d", (int)r.ep);
    else {
        CINTO_FUZZ_CHECK(r.ep > CINTO_EP_NONE && r.ep < CINTO_EP_COUNT, "bad endpoint");
        char allow[128];
        cinto_route_allow(cinto_route_methods(r.ep), allow, sizeof allow);
    }
    cinto_route_free(&r);
    free(path);
    return 0;
}
