/* Content-Type values through cinto_media_type, with output buffers of
 * several sizes (the first byte picks one) to exercise truncation. */
#include "fuzz_common.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 8, 17, 64, 256};
    if (size < 1)
        return 0;
    size_t outlen = sizes[data[0] % (sizeof sizes / sizeof sizes[0])];
    char *v = cinto_fuzz_strndup(data + 1, size - 1);
    char *out = malloc(outlen);
    if (!out)
        abort();
    int rc = cinto_media_type(v, out, outlen);
    CINTO_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    if (rc == 0) {
        CINTO_FUZZ_CHECK(memchr(out, '\0', outlen) != NULL, "unterminated output");
        for (const char *p = out; *p; p++)
            CINTO_FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'), "not lowercased: %s", out);
    }
    free(out);
    free(v);
    return 0;
}
