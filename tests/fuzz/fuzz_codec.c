/* cinto_b64_decode and cinto_url_decode on arbitrary bytes (first byte
 * picks the decoder), plus round trips: what decodes must re-encode into
 * something that decodes to the same bytes. */
#include "fuzz_common.h"
#include "util/codec.h"

static void b64(const char *s, size_t len)
{
    cinto_buf out = CINTO_BUF_INIT, enc = CINTO_BUF_INIT, back = CINTO_BUF_INIT;
    if (cinto_b64_decode(s, len, &out) == 0) {
        CINTO_FUZZ_CHECK(out.len <= len, "decoded longer than input");
        CINTO_FUZZ_CHECK(cinto_b64_encode(out.data, out.len, &enc) == 0, "encode failed");
        CINTO_FUZZ_CHECK(cinto_b64_decode(enc.data, enc.len, &back) == 0, "re-decode failed");
        CINTO_FUZZ_CHECK(back.len == out.len && memcmp(back.data, out.data, out.len) == 0,
                         "b64 round trip differs");
    }
    cinto_buf_free(&out);
    cinto_buf_free(&enc);
    cinto_buf_free(&back);
}

static void url(const char *s, size_t len, int plus)
{
    cinto_buf out = CINTO_BUF_INIT, enc = CINTO_BUF_INIT, back = CINTO_BUF_INIT;
    if (cinto_url_decode(s, len, plus, &out) == 0) {
        CINTO_FUZZ_CHECK(out.len <= len, "decoded longer than input");
        CINTO_FUZZ_CHECK(cinto_url_encode(out.data, out.len, &enc) == 0, "encode failed");
        CINTO_FUZZ_CHECK(cinto_url_decode(enc.data, enc.len, plus, &back) == 0, "re-decode failed");
        CINTO_FUZZ_CHECK(back.len == out.len && memcmp(back.data, out.data, out.len) == 0,
                         "url round trip differs");
    }
    cinto_buf_free(&out);
    cinto_buf_free(&enc);
    cinto_buf_free(&back);
}

static void utf8(const char *s, size_t len)
{
    cinto_buf out = CINTO_BUF_INIT;
    (void)cinto_utf8_valid(s, len);
    CINTO_FUZZ_CHECK(cinto_latin1_to_utf8(s, len, &out) == 0, "latin1 failed");
    CINTO_FUZZ_CHECK(out.len == 0 || cinto_utf8_valid(out.data, out.len),
                     "latin1 output not UTF-8");
    cinto_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* Exact-size copy without terminator: the decoders take a length. */
    size_t len = size - 1;
    char *s = malloc(len ? len : 1);
    if (!s)
        abort();
    memcpy(s, data + 1, len);
    switch (data[0] % 4) {
    case 0:
        b64(s, len);
        break;
    case 1:
        url(s, len, 0);
        break;
    case 2:
        url(s, len, 1);
        break;
    default:
        utf8(s, len);
        break;
    }
    free(s);
    return 0;
}
