/* Pure parsers for request header values and the query string. Everything
 * here takes untrusted text and either returns a typed value or refuses. */
#include "http/parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/codec.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Narrows [*b, *e) by removing optional whitespace on both ends. */
static void trim_ows(const char **b, const char **e)
{
    while (*b < *e && is_ows(**b))
        (*b)++;
    while (*e > *b && is_ows((*e)[-1]))
        (*e)--;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 token characters: what a media type and subtype are made of. */
static int is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ---- If-Match / If-None-Match ------------------------------------------ */

int cinto_parse_precondition(const char *value, int *star, long long *ts)
{
    if (!value)
        return -1;
    const char *b = value, *e = value + strlen(value);
    trim_ows(&b, &e);
    if (e - b == 1 && *b == '*') {
        *star = 1;
        *ts = 0;
        return 0;
    }
    /* Exactly '"' DIGIT+ '"': no sign, no weak prefix, no list. */
    if (e - b < 3 || b[0] != '"' || e[-1] != '"')
        return -1;
    long long v = 0;
    for (const char *p = b + 1; p < e - 1; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1; /* does not fit a signed 64-bit timestamp */
        v = v * 10 + d;
    }
    *star = 0;
    *ts = v;
    return 0;
}

/* ---- Content-Type ------------------------------------------------------ */

/* Checks that [b, e) is "token/token"; returns the length or -1. */
static int media_range_valid(const char *b, const char *e)
{
    const char *slash = memchr(b, '/', (size_t)(e - b));
    if (!slash || slash == b || slash + 1 == e)
        return -1;
    for (const char *p = b; p < e; p++)
        if (p != slash && !is_tchar(*p))
            return -1;
    return 0;
}

int cinto_media_type(const char *content_type, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    if (!content_type)
        return -1;
    const char *b = content_type;
    const char *e = strchr(b, ';');
    if (!e)
        e = b + strlen(b);
    trim_ows(&b, &e);
    if (media_range_valid(b, e) < 0)
        return -1;
    if (!outlen)
        return 0;
    size_t n = (size_t)(e - b);
    if (n > outlen - 1)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = ascii_lower(b[i]);
    out[n] = '\0';
    return 0;
}

/* ---- Accept ------------------------------------------------------------ */

static int span_ieq(const char *b, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(e - b) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(b[i]) != lit[i])
            return 0;
    return 1;
}

/* RFC 9110 qvalue ("0", "0.5", "1.000") in thousandths; a malformed one
 * counts as 1 (1000), the tolerant reading that never refuses a client. */
static int parse_qvalue(const char *b, const char *e)
{
    trim_ows(&b, &e);
    if (b == e || (*b != '0' && *b != '1'))
        return 1000;
    int whole = *b - '0', frac = 0, digits = 0;
    const char *p = b + 1;
    if (p < e) {
        if (*p != '.')
            return 1000;
        for (p++; p < e; p++, digits++) {
            if (digits == 3 || *p < '0' || *p > '9')
                return 1000;
            frac = frac * 10 + (*p - '0');
        }
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (whole == 1 && frac)
        return 1000;
    return whole * 1000 + frac;
}

/* The q of one element ("type/sub;a=b;q=0.5"); other parameters are
 * tolerated and ignored. */
static int element_q(const char *params, const char *e)
{
    int q = 1000;
    const char *p = params;
    while (p < e) {
        const char *next = memchr(p, ';', (size_t)(e - p));
        if (!next)
            next = e;
        const char *nb = p, *ne = next;
        const char *eq = memchr(nb, '=', (size_t)(ne - nb));
        if (eq) {
            const char *kb = nb, *ke = eq;
            trim_ows(&kb, &ke);
            if (span_ieq(kb, ke, "q"))
                q = parse_qvalue(eq + 1, ne);
        }
        p = next < e ? next + 1 : e;
    }
    return q;
}

int cinto_accept_json(const char *accept)
{
    if (!accept)
        return 1;
    /* Best q per specificity: exact type, application/ *, * / *; -1 when
     * no range of that specificity appears. RFC 9110 §12.5.1: the most
     * specific matching range decides. */
    int q_exact = -1, q_app = -1, q_any = -1, elements = 0;
    const char *p = accept, *end = accept + strlen(accept);
    while (p < end) {
        const char *next = memchr(p, ',', (size_t)(end - p));
        if (!next)
            next = end;
        const char *sc = memchr(p, ';', (size_t)(next - p));
        const char *rb = p, *re = sc ? sc : next;
        trim_ows(&rb, &re);
        if (rb != re || sc) {
            /* A malformed range makes the whole header unusable; like
             * WebOb, treat it then as if no Accept had been sent. */
            if (media_range_valid(rb, re) < 0)
                return 1;
            elements++;
            int q = sc ? element_q(sc + 1, next) : 1000;
            int *slot = span_ieq(rb, re, "application/json") ? &q_exact
                        : span_ieq(rb, re, "application/*")  ? &q_app
                        : span_ieq(rb, re, "*/*")            ? &q_any
                                                             : NULL;
            if (slot && q > *slot)
                *slot = q;
        }
        p = next < end ? next + 1 : end;
    }
    if (!elements)
        return 1; /* empty or only commas/whitespace */
    int q = q_exact >= 0 ? q_exact : q_app >= 0 ? q_app : q_any;
    return q > 0;
}

/* ---- HTTP date --------------------------------------------------------- */

void cinto_http_date(long long epoch_seconds, char out[32])
{
    /* Fixed English names: strftime's %a/%b would follow the locale. */
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t t = (time_t)epoch_seconds;
    if ((long long)t != epoch_seconds || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 ||
        tm.tm_year + 1900 < 0) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    /* The modulos are no-ops on the checked ranges; they let the compiler
     * see that the text fits 32 bytes. */
    snprintf(out, 32, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[tm.tm_wday % 7],
             (unsigned)tm.tm_mday % 100u, months[tm.tm_mon % 12],
             (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u,
             (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

/* ---- Query string ------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoding as Python's unquote_plus does it: '+' is a space and a
 * malformed escape ("100%", "%zz") stays literal rather than failing, so
 * that the server accepts what upstream Kinto accepts. */
static int qs_decode(const char *s, size_t len, cinto_buf *out)
{
    cinto_buf_reset(out);
    if (cinto_buf_reserve(out, len) < 0 || cinto_buf_append(out, "", 0) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && len - i >= 3) {
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi << 4 | lo);
                i += 2;
            }
        }
        cinto_buf_putc(out, c); /* reserved above */
    }
    return 0;
}

/* Length of the whitespace code point ending at s + n (Python's
 * str.isspace set, which Kinto's name.strip() uses), 0 if none. */
static size_t ws_suffix(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[n - 1] == ' ' || (s[n - 1] >= 0x09 && s[n - 1] <= 0x0d) ||
                   (s[n - 1] >= 0x1c && s[n - 1] <= 0x1f)))
        return 1;
    if (n >= 2 && s[n - 2] == 0xc2 && (s[n - 1] == 0x85 || s[n - 1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    unsigned a = s[n - 3], b = s[n - 2], c = s[n - 1];
    if ((a == 0xe1 && b == 0x9a && c == 0x80) || /* U+1680 */
        (a == 0xe2 && b == 0x80 && (c <= 0x8a || c == 0xa8 || c == 0xa9 || c == 0xaf)) ||
        (a == 0xe2 && b == 0x81 && c == 0x9f) || /* U+205F */
        (a == 0xe3 && b == 0x80 && c == 0x80))   /* U+3000 */
        return 3;
    return 0;
}

/* Same on the left end. Only called on valid UTF-8. */
static size_t ws_prefix(const unsigned char *s, size_t n)
{
    size_t k = n < 3 ? n : 3;
    /* A code point starting at s has length 1..3 for every whitespace
     * character; test each candidate length with the suffix logic. */
    for (size_t len = 1; len <= k; len++) {
        if (ws_suffix(s, len) == len)
            return len;
    }
    return 0;
}

/* Trims Unicode whitespace around a decoded, valid UTF-8 name in place. */
static void trim_name(cinto_buf *b)
{
    const unsigned char *s = (const unsigned char *)b->data;
    size_t start = 0, end = b->len, w;
    while (end > start && (w = ws_suffix(s + start, end - start)) > 0)
        end -= w;
    while (start < end && (w = ws_prefix(s + start, end - start)) > 0)
        start += w;
    memmove(b->data, b->data + start, end - start);
    b->len = end - start;
    b->data[b->len] = '\0';
}

static void set_encoding_error(const char *qs, char *err, size_t errlen)
{
    /* The raw query string is echoed as upstream does; bytes >= 0x80 are
     * read as Latin-1 (WSGI's convention) so the message stays UTF-8. */
    cinto_buf raw = CINTO_BUF_INIT;
    if (cinto_latin1_to_utf8(qs, strlen(qs), &raw) < 0)
        cinto_buf_reset(&raw);
    if (err && errlen)
        snprintf(err, errlen,
                 "A request with an incorrect encoding in the querystring was received. "
                 "Please make sure your requests are encoded in UTF-8: %s",
                 cinto_buf_str(&raw));
    cinto_buf_free(&raw);
}

static int query_push(cinto_query *q, size_t *cap, cinto_buf *name, cinto_buf *value)
{
    if (q->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        cinto_query_param *items = realloc(q->items, ncap * sizeof *items);
        if (!items)
            return -1;
        q->items = items;
        *cap = ncap;
    }
    if (cinto_buf_append(name, "", 0) < 0 || cinto_buf_append(value, "", 0) < 0)
        return -1;
    cinto_query_param *it = &q->items[q->count++];
    it->name_len = name->len;
    it->value_len = value->len;
    it->name = cinto_buf_steal(name);
    it->value = cinto_buf_steal(value);
    return 0;
}

int cinto_query_parse(const char *qs, cinto_query *out, char *err, size_t errlen)
{
    cinto_buf name = CINTO_BUF_INIT, value = CINTO_BUF_INIT;
    size_t cap = 0;
    int rc = -2;
    out->items = NULL;
    out->count = 0;
    if (err && errlen)
        err[0] = '\0';
    const char *p = qs ? qs : "", *end = p + strlen(p);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (!amp)
            amp = end;
        if (amp > p) {
            const char *eq = memchr(p, '=', (size_t)(amp - p));
            const char *ne = eq ? eq : amp;
            if (qs_decode(p, (size_t)(ne - p), &name) < 0 ||
                qs_decode(eq ? eq + 1 : amp, eq ? (size_t)(amp - eq - 1) : 0, &value) < 0)
                goto err;
            if (!cinto_utf8_valid(name.data, name.len) ||
                !cinto_utf8_valid(value.data, value.len)) {
                set_encoding_error(qs, err, errlen);
                rc = -1;
                goto err;
            }
            trim_name(&name);
            if (query_push(out, &cap, &name, &value) < 0)
                goto err;
        }
        p = amp < end ? amp + 1 : end;
    }
    cinto_buf_free(&name);
    cinto_buf_free(&value);
    return 0;
err:
    if (rc == -2 && err && errlen)
        snprintf(err, errlen, "Out of memory");
    cinto_buf_free(&name);
    cinto_buf_free(&value);
    return rc;
}

const cinto_query_param *cinto_query_last(const cinto_query *q, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = q->count; i-- > 0;) {
        const cinto_query_param *it = &q->items[i];
        if (it->name_len == n && memcmp(it->name, name, n) == 0)
            return it;
    }
    return NULL;
}

void cinto_query_free(cinto_query *q)
{
    for (size_t i = 0; i < q->count; i++) {
        free(q->items[i].name);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->count = 0;
}
