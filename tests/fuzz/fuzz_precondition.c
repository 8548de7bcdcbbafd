/* If-Match / If-None-Match values through cinto_parse_precondition. */
#include "fuzz_common.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = cinto_fuzz_strndup(data, size);
    int star = -1;
    long long ts = -1;
    int rc = cinto_parse_precondition(v, &star, &ts);
    CINTO_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    if (rc == 0 && star == 0)
        CINTO_FUZZ_CHECK(ts >= 0, "negative timestamp %lld accepted", ts);
    free(v);
    return 0;
}
