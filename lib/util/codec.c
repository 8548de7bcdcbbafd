/* Byte-level codecs for untrusted input. Decoders are strict (reject rather
 * than guess) because their output feeds authentication and filters. */
#include "util/codec.h"

#include <stdint.h>
#include <string.h>

/* Reserves room for extra bytes and keeps the buffer NUL-terminated even
 * when nothing is appended afterwards (an empty result is "" not NULL). */
static int prepare(cinto_buf *out, size_t extra)
{
    if (cinto_buf_reserve(out, extra) < 0)
        return -1;
    return cinto_buf_append(out, "", 0);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int cinto_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cinto_b64_encode(const void *data, size_t len, cinto_buf *out)
{
    const unsigned char *p = data;
    if (len / 3 > (SIZE_MAX - 4) / 4 || prepare(out, (len / 3 + 1) * 4) < 0)
        return -1;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     b64_alphabet[(v >> 6) & 63], b64_alphabet[v & 63]};
        cinto_buf_append(out, q, 4);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=', '='};
        cinto_buf_append(out, q, 4);
    }
    return 0;
}

/* Value of a base64 character, or -1 when it is not in the standard
 * alphabet. A switch on ranges avoids a table and locale dependence. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int cinto_b64_decode(const char *s, size_t len, cinto_buf *out)
{
    /* Padding is optional, but when present it must complete the last
     * quantum exactly: strip it and check the resulting length. */
    size_t n = len;
    if (len % 4 == 0 && n > 0 && s[n - 1] == '=') {
        n--;
        if (s[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1)
        return -1; /* 6 bits cannot encode a byte */
    if (prepare(out, n / 4 * 3 + 2) < 0)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            cinto_buf_putc(out, (char)(acc >> bits & 0xff));
        }
    }
    return 0;
}

void cinto_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int cinto_url_decode(const char *s, size_t len, int plus_is_space, cinto_buf *out)
{
    if (prepare(out, len) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            /* Both digits must be present and hexadecimal: "%zz", "%0" and
             * a trailing "%" are errors, never passed through. */
            int hi = i + 1 < len ? cinto_hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < len ? cinto_hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        cinto_buf_putc(out, c); /* cannot fail: reserved above */
    }
    return 0;
}

int cinto_url_encode(const char *s, size_t len, cinto_buf *out)
{
    static const char digits[] = "0123456789ABCDEF";
    if (len > (SIZE_MAX - 1) / 3 || prepare(out, len * 3) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            cinto_buf_putc(out, (char)c);
        } else {
            char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
            cinto_buf_append(out, esc, 3);
        }
    }
    return 0;
}

/* Length of the UTF-8 sequence starting at s[i] when well-formed (RFC 3629
 * table 3-7 ranges, which exclude overlongs, surrogates and > U+10FFFF),
 * 0 otherwise. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates U+D800..U+DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
    return n;
}

int cinto_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u, i, len);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

int cinto_latin1_to_utf8(const char *s, size_t len, cinto_buf *out)
{
    if (len > (SIZE_MAX - 1) / 2 || prepare(out, len * 2) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            cinto_buf_putc(out, (char)c);
        } else {
            char two[2] = {(char)(0xc0 | c >> 6), (char)(0x80 | (c & 0x3f))};
            cinto_buf_append(out, two, 2);
        }
    }
    return 0;
}
