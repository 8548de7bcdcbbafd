/* Codecs and random ids: the nasty inputs of request parsing. */
#include <criterion/criterion.h>
#include <regex.h>
#include <string.h>

#include "util/buf.h"
#include "util/codec.h"
#include "util/random.h"

/* Decodes s (NUL-terminated) and returns the rc; out keeps the bytes. */
static int b64d(const char *s, cinto_buf *out)
{
    cinto_buf_reset(out);
    return cinto_b64_decode(s, strlen(s), out);
}

Test(b64, encode_rfc4648_vectors)
{
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *exp[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        cinto_buf b = CINTO_BUF_INIT;
        cr_assert_eq(cinto_b64_encode(in[i], strlen(in[i]), &b), 0);
        cr_assert_str_eq(cinto_buf_str(&b), exp[i]);
        cinto_buf_free(&b);
    }
}

Test(b64, decode_padded_and_unpadded)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(b64d("Zm9vYmFy", &b), 0);
    cr_assert_str_eq(b.data, "foobar");
    cr_assert_eq(b64d("Zm9vYg==", &b), 0);
    cr_assert_str_eq(b.data, "foob");
    cr_assert_eq(b64d("Zm9vYg", &b), 0);
    cr_assert_str_eq(b.data, "foob");
    cr_assert_eq(b64d("Zm9vYmE=", &b), 0);
    cr_assert_str_eq(b.data, "fooba");
    cr_assert_eq(b64d("Zm9vYmE", &b), 0);
    cr_assert_str_eq(b.data, "fooba");
    cr_assert_eq(b64d("", &b), 0);
    cr_assert_eq(b.len, 0);
    cr_assert_not_null(b.data);
    cinto_buf_free(&b);
}

Test(b64, decode_binary_and_nul)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(b64d("AP8A", &b), 0);
    cr_assert_eq(b.len, 3);
    cr_assert_eq((unsigned char)b.data[0], 0);
    cr_assert_eq((unsigned char)b.data[1], 0xff);
    cr_assert_eq((unsigned char)b.data[2], 0);
    cr_assert_eq(b.data[3], '\0');
    cr_assert_eq(b64d("+/+/", &b), 0);
    cr_assert_eq((unsigned char)b.data[0], 0xfb);
    cinto_buf_free(&b);
}

Test(b64, decode_rejects_bad_input)
{
    const char *bad[] = {
        "Zm9vY",     /* 1 char in the last quantum */
        "Z",         /* same */
        "Zm9v!mFy",  /* bad char */
        "Zm9v YmFy", /* inner space */
        " Zm9v",     /* leading space */
        "Zm9v\n",    /* newline */
        "Zm9vYg=",   /* partial padding */
        "Zm9vY===",  /* too much padding */
        "====",      /* only padding */
        "Zg==Zg==",  /* padding in the middle */
        "Zm9-",      /* url-safe alphabet */
        "Zm9_",      /* url-safe alphabet */
        "Zm\x80v",   /* high byte */
        "=",
    };
    cinto_buf b = CINTO_BUF_INIT;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(b64d(bad[i], &b), -1, "accepted %s", bad[i]);
    cinto_buf_free(&b);
}

Test(b64, decode_embedded_nul_in_input)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(cinto_b64_decode("Zm\0v", 4, &b), -1);
    cinto_buf_free(&b);
}

Test(b64, roundtrip_all_lengths)
{
    unsigned char data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof data; n++) {
        cinto_buf e = CINTO_BUF_INIT, d = CINTO_BUF_INIT;
        cr_assert_eq(cinto_b64_encode(data, n, &e), 0);
        cr_assert_eq(e.len % 4, 0);
        cr_assert_eq(cinto_b64_decode(e.data, e.len, &d), 0);
        cr_assert_eq(d.len, n);
        cr_assert(n == 0 || memcmp(d.data, data, n) == 0);
        cinto_buf_free(&e);
        cinto_buf_free(&d);
    }
}

Test(hex, lowercase)
{
    unsigned char in[] = {0x00, 0x0f, 0xab, 0xff, 0x10};
    char out[11];
    cinto_hex(in, sizeof in, out);
    cr_assert_str_eq(out, "000fabff10");
    cinto_hex(in, 0, out);
    cr_assert_str_eq(out, "");
}

static int urld(const char *s, int plus, cinto_buf *out)
{
    cinto_buf_reset(out);
    return cinto_url_decode(s, strlen(s), plus, out);
}

Test(url, decode_basic)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(urld("a%20b+c%2Bd%2b", 1, &b), 0);
    cr_assert_str_eq(b.data, "a b c+d+");
    cr_assert_eq(urld("a+b", 0, &b), 0);
    cr_assert_str_eq(b.data, "a+b");
    cr_assert_eq(urld("%C3%A9", 0, &b), 0);
    cr_assert_str_eq(b.data, "\xc3\xa9");
    cr_assert_eq(urld("", 0, &b), 0);
    cr_assert_eq(b.len, 0);
    cinto_buf_free(&b);
}

Test(url, decode_nul_keeps_length)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(urld("a%00b", 0, &b), 0);
    cr_assert_eq(b.len, 3);
    cr_assert(memcmp(b.data, "a\0b", 3) == 0);
    cinto_buf_free(&b);
}

Test(url, decode_rejects_bad_escapes)
{
    const char *bad[] = {"%zz", "%0", "%", "a%", "a%g0", "%0g", "%%", "%-1", "% 1"};
    cinto_buf b = CINTO_BUF_INIT;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(urld(bad[i], 1, &b), -1, "accepted %s", bad[i]);
    cinto_buf_free(&b);
}

Test(url, encode_unreserved_only)
{
    cinto_buf b = CINTO_BUF_INIT;
    const char in[] = "aZ09-._~ /?&=+%\xc3\xa9\x01";
    cr_assert_eq(cinto_url_encode(in, sizeof in - 1, &b), 0);
    cr_assert_str_eq(b.data, "aZ09-._~%20%2F%3F%26%3D%2B%25%C3%A9%01");
    cinto_buf_reset(&b);
    cr_assert_eq(cinto_url_encode("a\0b", 3, &b), 0);
    cr_assert_str_eq(b.data, "a%00b");
    cinto_buf_free(&b);
}

Test(url, encode_decode_roundtrip)
{
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    cinto_buf e = CINTO_BUF_INIT, d = CINTO_BUF_INIT;
    cr_assert_eq(cinto_url_encode(all, 256, &e), 0);
    cr_assert_eq(cinto_url_decode(e.data, e.len, 1, &d), 0);
    cr_assert_eq(d.len, 256);
    cr_assert(memcmp(d.data, all, 256) == 0);
    cinto_buf_free(&e);
    cinto_buf_free(&d);
}

#define U8(s) cinto_utf8_valid(s, sizeof(s) - 1)

Test(utf8, valid_sequences)
{
    cr_assert_eq(U8(""), 1);
    cr_assert_eq(U8("plain ascii"), 1);
    cr_assert_eq(U8("\x00"), 1); /* NUL is valid UTF-8 */
    cr_assert_eq(U8("\xc2\x80"), 1);
    cr_assert_eq(U8("\xdf\xbf"), 1);
    cr_assert_eq(U8("\xe0\xa0\x80"), 1);     /* U+0800 */
    cr_assert_eq(U8("\xed\x9f\xbf"), 1);     /* U+D7FF */
    cr_assert_eq(U8("\xee\x80\x80"), 1);     /* U+E000 */
    cr_assert_eq(U8("\xef\xbf\xbf"), 1);     /* U+FFFF */
    cr_assert_eq(U8("\xf0\x90\x80\x80"), 1); /* U+10000 */
    cr_assert_eq(U8("\xf4\x8f\xbf\xbf"), 1); /* U+10FFFF, the max */
    cr_assert_eq(U8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 1);
}

Test(utf8, invalid_sequences)
{
    cr_expect_eq(U8("\x80"), 0); /* lone continuation */
    cr_expect_eq(U8("\xbf"), 0);
    cr_expect_eq(U8("\xc0\x80"), 0);                 /* overlong NUL */
    cr_expect_eq(U8("\xc1\xbf"), 0);                 /* overlong */
    cr_expect_eq(U8("\xe0\x80\x80"), 0);             /* overlong 3-byte */
    cr_expect_eq(U8("\xe0\x9f\xbf"), 0);             /* overlong 3-byte */
    cr_expect_eq(U8("\xf0\x80\x80\x80"), 0);         /* overlong 4-byte */
    cr_expect_eq(U8("\xf0\x8f\xbf\xbf"), 0);         /* overlong 4-byte */
    cr_expect_eq(U8("\xed\xa0\x80"), 0);             /* U+D800 surrogate */
    cr_expect_eq(U8("\xed\xbf\xbf"), 0);             /* U+DFFF surrogate */
    cr_expect_eq(U8("\xed\xa0\x80\xed\xb0\x80"), 0); /* CESU pair */
    cr_expect_eq(U8("\xf4\x90\x80\x80"), 0);         /* U+110000 */
    cr_expect_eq(U8("\xf5\x80\x80\x80"), 0);
    cr_expect_eq(U8("\xf8\x88\x80\x80\x80"), 0);
    cr_expect_eq(U8("\xfe"), 0);
    cr_expect_eq(U8("\xff"), 0);
    cr_expect_eq(U8("\xc3"), 0);         /* truncated */
    cr_expect_eq(U8("\xe2\x82"), 0);     /* truncated */
    cr_expect_eq(U8("\xf0\x9f\x98"), 0); /* truncated */
    cr_expect_eq(U8("\xc3\x28"), 0);     /* bad continuation */
    cr_expect_eq(U8("\xe2\x28\xa1"), 0);
    cr_expect_eq(U8("\xe2\x82\x28"), 0);
    cr_expect_eq(U8("\xf0\x9f\x98\x28"), 0);
    cr_expect_eq(U8("ok\xe9"), 0); /* Latin-1 e-acute */
}

Test(utf8, length_is_respected)
{
    /* Only the first byte is examined: valid even if followed by junk. */
    cr_assert_eq(cinto_utf8_valid("a\xff", 1), 1);
    cr_assert_eq(cinto_utf8_valid("\xc3\xa9", 1), 0);
}

Test(latin1, to_utf8)
{
    cinto_buf b = CINTO_BUF_INIT;
    cr_assert_eq(cinto_latin1_to_utf8("caf\xe9\xff\x80", 6, &b), 0);
    cr_assert_str_eq(b.data, "caf\xc3\xa9\xc3\xbf\xc2\x80");
    cr_assert_eq(cinto_utf8_valid(b.data, b.len), 1);
    cinto_buf_free(&b);
}

Test(random, id_pattern_over_many_draws)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[A-Za-z0-9][A-Za-z0-9_-]{7}$", REG_EXTENDED | REG_NOSUB), 0);
    int seen_first[256] = {0}, seen_rest[256] = {0};
    char prev[9] = "";
    for (int i = 0; i < 20000; i++) {
        char id[9];
        memset(id, 'X', sizeof id);
        cinto_random_id(id);
        cr_assert_eq(strlen(id), 8);
        cr_assert_eq(regexec(&re, id, 0, NULL, 0), 0, "bad id %s", id);
        cr_assert_neq(strcmp(id, prev), 0);
        memcpy(prev, id, 9);
        seen_first[(unsigned char)id[0]]++;
        for (int k = 1; k < 8; k++)
            seen_rest[(unsigned char)id[k]]++;
    }
    regfree(&re);
    /* Every allowed character shows up, and roughly uniformly: expected
     * 20000/62 = 322 per first char, 140000/64 = 2187 per other position. */
    const char *alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (const char *c = alnum; *c; c++) {
        cr_expect(seen_first[(unsigned char)*c] > 200 && seen_first[(unsigned char)*c] < 450,
                  "first char %c: %d", *c, seen_first[(unsigned char)*c]);
    }
    cr_expect_eq(seen_first['-'] + seen_first['_'], 0);
    const char *all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (const char *c = all; *c; c++) {
        cr_expect(seen_rest[(unsigned char)*c] > 1900 && seen_rest[(unsigned char)*c] < 2500,
                  "char %c: %d", *c, seen_rest[(unsigned char)*c]);
    }
}

Test(random, uuid4_format)
{
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    char prev[37] = "";
    int variant[4] = {0};
    for (int i = 0; i < 5000; i++) {
        char u[37];
        memset(u, 'X', sizeof u);
        cinto_uuid4(u);
        cr_assert_eq(strlen(u), 36);
        cr_assert_eq(regexec(&re, u, 0, NULL, 0), 0, "bad uuid %s", u);
        cr_assert_neq(strcmp(u, prev), 0);
        memcpy(prev, u, 37);
        variant[u[19] == '8' ? 0 : u[19] == '9' ? 1 : u[19] == 'a' ? 2 : 3]++;
    }
    regfree(&re);
    for (int i = 0; i < 4; i++)
        cr_expect(variant[i] > 1000, "variant nibble %d seen %d times", i, variant[i]);
}
