/* HTTP Basic credentials (spec 04 §4.11 items 2-3). Anything unusable makes
 * the policy identify nobody, so every failure here is a plain -1. */
#include "auth/basic.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/codec.h"

/* Skips the case-insensitive "Basic" scheme and the spaces after it;
 * NULL when the header uses another scheme. */
static const char *skip_scheme(const char *h)
{
    static const char scheme[] = "basic";
    while (*h == ' ' || *h == '\t')
        h++;
    for (size_t i = 0; i < sizeof scheme - 1; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != scheme[i])
            return NULL;
    }
    h += sizeof scheme - 1;
    if (*h != ' ' && *h != '\t')
        return NULL; /* "Basicx…" or "Basic" alone */
    while (*h == ' ' || *h == '\t')
        h++;
    return h;
}

int cinto_basic_parse(const char *header, char **user, char **pass)
{
    cinto_buf raw = CINTO_BUF_INIT, text = CINTO_BUF_INIT;
    char *u = NULL;
    *user = *pass = NULL;
    const char *b64 = header ? skip_scheme(header) : NULL;
    if (!b64)
        goto err;
    size_t n = strlen(b64);
    while (n && (b64[n - 1] == ' ' || b64[n - 1] == '\t'))
        n--; /* trailing spaces are not part of the token */
    if (n == 0 || cinto_b64_decode(b64, n, &raw) < 0)
        goto err;
    /* NUL cannot travel in a C string: refusing it avoids "a\0b" being
     * taken for user "a". */
    if (memchr(raw.data, '\0', raw.len))
        goto err;
    /* UTF-8 first, Latin-1 as the fallback, decided on the whole decoded
     * value as upstream (pyramid) does; ':' is ASCII in both, so the split
     * below gives the same parts either way. */
    if (cinto_utf8_valid(raw.data, raw.len)) {
        text = raw;
        raw = (cinto_buf)CINTO_BUF_INIT;
    } else if (cinto_latin1_to_utf8(raw.data, raw.len, &text) < 0) {
        goto err;
    }
    char *colon = memchr(text.data, ':', text.len);
    if (!colon)
        goto err;
    size_t ulen = (size_t)(colon - text.data);
    u = malloc(ulen + 1);
    char *p = strdup(colon + 1);
    if (!u || !p) {
        free(p);
        goto err;
    }
    memcpy(u, text.data, ulen);
    u[ulen] = '\0';
    *user = u;
    *pass = p;
    if (raw.data)
        sodium_memzero(raw.data, raw.len);
    sodium_memzero(text.data, text.len);
    cinto_buf_free(&raw);
    cinto_buf_free(&text);
    return 0;
err:
    free(u);
    if (raw.data)
        sodium_memzero(raw.data, raw.len);
    if (text.data)
        sodium_memzero(text.data, text.len);
    cinto_buf_free(&raw);
    cinto_buf_free(&text);
    return -1;
}

void cinto_basicauth_userid(const char *secret, const char *user, const char *pass, char out[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    if (sodium_init() < 0)
        abort();
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)user, strlen(user));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)":", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)pass, strlen(pass));
    crypto_auth_hmacsha256_final(&st, mac);
    cinto_hex(mac, sizeof mac, out);
    sodium_memzero(&st, sizeof st);
}
