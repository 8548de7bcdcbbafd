/* Authorization header values through cinto_basic_parse; what it returns
 * must be NUL-free valid UTF-8 (the user id is derived from it). */
#include "fuzz_common.h"
#include "auth/basic.h"
#include "util/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = cinto_fuzz_strndup(data, size);
    char *user = NULL, *pass = NULL;
    int rc = cinto_basic_parse(v, &user, &pass);
    CINTO_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    if (rc == 0) {
        CINTO_FUZZ_CHECK(user && pass, "NULL output");
        CINTO_FUZZ_CHECK(cinto_utf8_valid(user, strlen(user)), "user not UTF-8");
        CINTO_FUZZ_CHECK(cinto_utf8_valid(pass, strlen(pass)), "password not UTF-8");
        free(user);
        free(pass);
    }
    free(v);
    return 0;
}
