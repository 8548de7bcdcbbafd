/* Accept header values through cinto_accept_json. */
#include "fuzz_common.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = cinto_fuzz_strndup(data, size);
    int rc = cinto_accept_json(v);
    CINTO_FUZZ_CHECK(rc == 0 || rc == 1, "returned %d", rc);
    free(v);
    return 0;
}
