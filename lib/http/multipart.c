/* Streaming multipart/form-data parser (RFC 7578 over RFC 2046 framing).
 *
 * The body is a sequence of bytes fed in pieces of any size. Framing:
 * an optional preamble, then parts each introduced by a delimiter line
 * "--boundary" (with optional trailing spaces/tabs), part headers up to
 * an empty line, part data up to the next "\r\n--boundary", and a close
 * delimiter "--boundary--" after which everything (the epilogue) is
 * ignored.
 *
 * Choices (documented in the header's comments and tested):
 * - Lines end with CRLF only. Every client that uploads to Kinto (curl,
 *   browsers' and undici's FormData, Python requests) sends CRLF; a bare
 *   LF in part headers, or a delimiter not preceded by CRLF, is not
 *   framing (in data it is data, in headers it is an error).
 * - Header folding (a line starting with a space or tab), NUL and other
 *   control bytes (except tab) in header lines are refused as malformed
 *   rather than passed on: no value handed out holds a control byte that
 *   came raw off the wire.
 * - A delimiter line followed by anything but "--", spaces/tabs or CRLF is
 *   malformed (RFC 2046: the boundary must not occur inside a part).
 * - The preamble is limited to max_part_header_bytes (no form client sends
 *   one): a wrong boundary fails early instead of after the whole body.
 * - Values handed out are NUL-terminated UTF-8: invalid byte sequences in
 *   name, filename and content type become U+FFFD, as upstream (Python's
 *   header decoding with errors="replace") shows them.
 *
 * Memory: one header line buffer (max_part_header_bytes) and the strings
 * of the current part. Held-back bytes of a partial delimiter match are
 * never copied: they equal a prefix of the delimiter, so they are emitted
 * from the delimiter itself when the match fails. */
#include "http/multipart.h"

#include "http/parse.h"
#include "util/buf.h"
#include "util/codec.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MP_BOUNDARY_MAX 70

enum mp_state {
    ST_PREAMBLE,       /* before the first delimiter: bytes dropped */
    ST_AFTER_DELIM,    /* delimiter seen: "--", padding or CRLF next */
    ST_AFTER_DELIM_CR, /* its CR seen: LF next */
    ST_AFTER_DASH,     /* one '-' after the delimiter: the second next */
    ST_HEADERS,        /* part header lines up to the empty line */
    ST_DATA,           /* part data, scanning for the next delimiter */
    ST_EPILOGUE,       /* close delimiter seen: bytes dropped */
    ST_ERROR,          /* status says why; nothing more is done */
};

struct cinto_multipart {
    cinto_multipart_limits limits;
    cinto_multipart_callbacks cb;
    enum mp_state state;
    int status;
    const char *detail;
    /* "\r\n--" boundary, and how many of its bytes the input has matched
     * so far without having been emitted. */
    char delim[4 + MP_BOUNDARY_MAX + 1];
    size_t dlen;
    size_t match;
    int virtual_crlf; /* the first 2 bytes matched are the CRLF assumed */
    int padded;       /* spaces/tabs after a delimiter */
    unsigned long long preamble;
    /* Part headers: the current line (without CRLF), the header section's
     * size and line count so far, and a CR waiting for its LF. */
    char *line;
    size_t line_len;
    size_t header_bytes;
    unsigned nheaders;
    int cr;
    /* The current part. */
    unsigned nparts;
    int part_open; /* part_begin called, part_end not yet */
    int have_disposition;
    char *name, *filename, *content_type;
    unsigned long long part_bytes;
};

static int fail(cinto_multipart *mp, int status, const char *detail)
{
    mp->state = ST_ERROR;
    mp->status = status;
    mp->detail = detail;
    return status;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int span_ieq(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)s[i]) != lit[i])
            return 0;
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 2046 bcharsnospace, plus the space it allows inside a boundary. */
static int is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("'()+_,-./:=? ", c));
}

/* RFC 9110 tchar, for header and parameter names. */
static int is_tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* ---- Header parameters ------------------------------------------------ */

/* The next "; name=value" of a header value from *sp: 1 with the name as
 * a span of the input and the value (unquoted) in val, 0 at the end, -1
 * when malformed. In a quoted string only \" and \\ are escapes (as
 * upstream's cgi module reads them): browsers send Windows paths and
 * percent-encode quotes, so other backslashes stay as they are. */
static int next_param(const char **sp, const char **name, size_t *nlen, cinto_buf *val)
{
    const char *s = *sp;
    cinto_buf_reset(val);
    while (is_ows(*s))
        s++;
    if (!*s)
        return 0;
    if (*s++ != ';')
        return -1;
    while (is_ows(*s))
        s++;
    if (!*s) { /* a trailing ';' */
        *sp = s;
        return 0;
    }
    *name = s;
    while (is_tchar(*s))
        s++;
    *nlen = (size_t)(s - *name);
    while (is_ows(*s))
        s++;
    if (*nlen == 0 || *s++ != '=')
        return -1;
    while (is_ows(*s))
        s++;
    if (*s == '"') {
        for (s++; *s != '"'; s++) {
            if (!*s)
                return -1;
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (cinto_buf_putc(val, *s) < 0)
                return -2;
        }
        s++;
    } else {
        const char *b = s;
        while (*s && *s != ';' && !is_ows(*s))
            s++;
        if (s == b)
            return -1;
        if (cinto_buf_append(val, b, (size_t)(s - b)) < 0)
            return -2;
    }
    if (cinto_buf_reserve(val, 0) < 0) /* "" when the value is empty */
        return -2;
    *sp = s;
    return 1;
}

int cinto_multipart_boundary(const char *content_type, char *out, size_t outsz)
{
    char mt[32];
    int rc = CINTO_MP_BAD_CONTENT_TYPE;
    cinto_buf val = CINTO_BUF_INIT;
    if (outsz)
        out[0] = '\0';
    if (!content_type || cinto_media_type(content_type, mt, sizeof mt) < 0 ||
        strcmp(mt, "multipart/form-data") != 0)
        return rc;
    const char *s = strchr(content_type, ';'), *name;
    size_t nlen, found = 0;
    int r;
    while (s && (r = next_param(&s, &name, &nlen, &val)) != 0) {
        if (r < 0)
            goto done;
        if (!span_ieq(name, nlen, "boundary"))
            continue;
        size_t n = val.len;
        if (found++ || n < 1 || n > MP_BOUNDARY_MAX || n + 1 > outsz || val.data[n - 1] == ' ')
            goto done;
        for (size_t i = 0; i < n; i++)
            if (!is_bchar(val.data[i]))
                goto done;
        memcpy(out, val.data, n + 1);
    }
    if (found)
        rc = CINTO_MP_OK;
done:
    if (rc != CINTO_MP_OK && outsz)
        out[0] = '\0';
    cinto_buf_free(&val);
    return rc;
}

/* ---- Part headers ------------------------------------------------------ */

/* A copy of s[0..n) as UTF-8, invalid sequences replaced by U+FFFD. */
static char *utf8_clean(const char *s, size_t n)
{
    cinto_buf b = CINTO_BUF_INIT;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        int ok = i + k <= n && cinto_utf8_valid(s + i, k);
        if ((ok ? cinto_buf_append(&b, s + i, k) : cinto_buf_puts(&b, "\xef\xbf\xbd")) < 0) {
            cinto_buf_free(&b);
            return NULL;
        }
        i += ok ? k : 1;
    }
    if (cinto_buf_reserve(&b, 0) < 0)
        return NULL;
    return cinto_buf_steal(&b);
}

/* RFC 5987 ext-value "charset'lang'pct-encoded" as UTF-8: 1 with *out
 * set, 0 for a charset other than UTF-8 or ISO-8859-1 (ignored: the
 * plain filename stands), -1 malformed (bad escape, invalid UTF-8, NUL). */
static int decode_ext_value(const char *v, char **out)
{
    const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
    if (!q2)
        return -1;
    int utf8 = span_ieq(v, (size_t)(q1 - v), "utf-8");
    if (!utf8 && !span_ieq(v, (size_t)(q1 - v), "iso-8859-1"))
        return 0;
    cinto_buf raw = CINTO_BUF_INIT, conv = CINTO_BUF_INIT;
    int rc = -1;
    const char *p = q2 + 1;
    if (cinto_url_decode(p, strlen(p), 0, &raw) < 0 || (raw.len && memchr(raw.data, '\0', raw.len)))
        goto done;
    if (utf8 && !cinto_utf8_valid(raw.data, raw.len))
        goto done;
    if (!utf8 && cinto_latin1_to_utf8(raw.data, raw.len, &conv) < 0)
        goto done;
    cinto_buf *b = utf8 ? &raw : &conv;
    *out = strndup(b->data ? b->data : "", b->len);
    rc = *out ? 1 : -1;
done:
    cinto_buf_free(&raw);
    cinto_buf_free(&conv);
    return rc;
}

/* Sets *slot to a cleaned copy of val, refusing a second occurrence. */
static int set_once(cinto_multipart *mp, char **slot, const char *val, size_t n, const char *what)
{
    if (*slot)
        return fail(mp, CINTO_MP_MALFORMED, what);
    *slot = utf8_clean(val, n);
    return *slot ? CINTO_MP_OK : fail(mp, CINTO_MP_NOMEM, "out of memory");
}

/* Content-Disposition: form-data; name="..."; filename="..."; filename*=... */
static int parse_disposition(cinto_multipart *mp, const char *v)
{
    const char *s = v;
    while (is_tchar(*s))
        s++;
    if (!span_ieq(v, (size_t)(s - v), "form-data"))
        return fail(mp, CINTO_MP_MALFORMED, "a part's Content-Disposition is not form-data");
    cinto_buf val = CINTO_BUF_INIT;
    char *ext = NULL;
    const char *name;
    size_t nlen;
    int r, rc = CINTO_MP_OK;
    while (rc == CINTO_MP_OK && (r = next_param(&s, &name, &nlen, &val)) != 0) {
        if (r == -2)
            rc = fail(mp, CINTO_MP_NOMEM, "out of memory");
        else if (r < 0)
            rc = fail(mp, CINTO_MP_MALFORMED,
                      "a part's Content-Disposition parameters are "
                      "malformed");
        else if (span_ieq(name, nlen, "name"))
            rc = set_once(mp, &mp->name, val.data, val.len,
                          "a part's Content-Disposition has two name parameters");
        else if (span_ieq(name, nlen, "filename"))
            rc = set_once(mp, &mp->filename, val.data, val.len,
                          "a part's Content-Disposition has two filename parameters");
        else if (span_ieq(name, nlen, "filename*")) {
            if (ext)
                rc = fail(mp, CINTO_MP_MALFORMED,
                          "a part's Content-Disposition has two filename* parameters");
            else if (decode_ext_value(val.data, &ext) < 0)
                rc = fail(mp, CINTO_MP_MALFORMED,
                          "a part's filename* is not a valid RFC 5987 "
                          "value");
        }
    }
    cinto_buf_free(&val);
    if (rc == CINTO_MP_OK && ext) { /* filename* wins (RFC 6266 §4.3) */
        free(mp->filename);
        mp->filename = ext;
        ext = NULL;
    }
    free(ext);
    if (rc == CINTO_MP_OK && !mp->name)
        rc = fail(mp, CINTO_MP_MALFORMED, "a part's Content-Disposition has no name");
    return rc;
}

/* One complete header line (without its CRLF, NUL-terminated). */
static int header_line(cinto_multipart *mp, char *l, size_t n)
{
    if (is_ows(l[0]))
        return fail(mp, CINTO_MP_MALFORMED, "folded part header lines are not supported");
    if (++mp->nheaders > mp->limits.max_part_headers)
        return fail(mp, CINTO_MP_TOO_MANY_HEADERS, "a part has too many header lines");
    const char *colon = memchr(l, ':', n);
    const char *p = l;
    while (p < colon && is_tchar(*p))
        p++;
    if (!colon || p != colon || p == l)
        return fail(mp, CINTO_MP_MALFORMED, "a part header line is not 'Name: value'");
    size_t nlen = (size_t)(colon - l);
    char *v = (char *)colon + 1, *e = l + n;
    while (is_ows(*v))
        v++;
    while (e > v && is_ows(e[-1]))
        *--e = '\0';
    if (span_ieq(l, nlen, "content-disposition")) {
        if (mp->have_disposition++)
            return fail(mp, CINTO_MP_MALFORMED, "a part has two Content-Disposition headers");
        return parse_disposition(mp, v);
    }
    if (span_ieq(l, nlen, "content-type") && e > v)
        return set_once(mp, &mp->content_type, v, (size_t)(e - v),
                        "a part has two Content-Type headers");
    return CINTO_MP_OK; /* other headers (Content-Transfer-Encoding...) are ignored */
}

static void part_reset(cinto_multipart *mp)
{
    free(mp->name);
    free(mp->filename);
    free(mp->content_type);
    mp->name = mp->filename = mp->content_type = NULL;
    mp->have_disposition = 0;
    mp->nheaders = 0;
    mp->header_bytes = 0;
    mp->line_len = 0;
    mp->cr = 0;
    mp->part_bytes = 0;
}

/* The empty line ending the headers: the part begins. */
static int headers_done(cinto_multipart *mp)
{
    if (!mp->have_disposition)
        return fail(mp, CINTO_MP_MALFORMED, "a part has no Content-Disposition header");
    cinto_multipart_part part = {mp->name, mp->filename, mp->content_type};
    mp->state = ST_DATA;
    mp->match = 0;
    mp->part_open = 1;
    if (mp->cb.part_begin && mp->cb.part_begin(mp->cb.ctx, &part) != 0)
        return fail(mp, CINTO_MP_CALLBACK, "the upload was stopped");
    return CINTO_MP_OK;
}

/* Header bytes: lines are collected one at a time and parsed when their
 * CRLF arrives. Returns the bytes used (all of buf, or up to the end of
 * the header section), or -1 on an error (status set). */
static long feed_headers(cinto_multipart *mp, const char *buf, size_t n)
{
    size_t max = mp->limits.max_part_header_bytes;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (mp->cr) {
            mp->cr = 0;
            if (c != '\n')
                return fail(mp, CINTO_MP_MALFORMED, "a CR without LF in part headers"), -1;
            if (mp->line_len == 0)
                return headers_done(mp) == CINTO_MP_OK ? (long)(i + 1) : -1;
            mp->line[mp->line_len] = '\0';
            if (header_line(mp, mp->line, mp->line_len) != CINTO_MP_OK)
                return -1;
            mp->line_len = 0;
            continue;
        }
        if (c == '\r') {
            mp->cr = 1;
            /* The CRLF of a header line counts; the empty line does not. */
            if (mp->line_len && (mp->header_bytes += 2) > max)
                return fail(mp, CINTO_MP_HEADER_TOO_LARGE, "a part's headers are too large"), -1;
            continue;
        }
        if (c == '\n')
            return fail(mp, CINTO_MP_MALFORMED, "part header lines must end with CRLF"), -1;
        if ((unsigned char)c < 0x20 && c != '\t')
            return fail(mp, CINTO_MP_MALFORMED, "a control character in a part header"), -1;
        if (c == 0x7f)
            return fail(mp, CINTO_MP_MALFORMED, "a control character in a part header"), -1;
        if (++mp->header_bytes > max)
            return fail(mp, CINTO_MP_HEADER_TOO_LARGE, "a part's headers are too large"), -1;
        assert(mp->line_len < max);
        mp->line[mp->line_len++] = c;
    }
    return (long)n;
}

/* ---- Delimiters and data ---------------------------------------------- */

/* Data of the open part, or preamble (dropped, counted against its limit). */
static int emit(cinto_multipart *mp, const char *p, size_t n)
{
    if (n == 0)
        return CINTO_MP_OK;
    if (mp->state == ST_PREAMBLE) {
        mp->preamble += n;
        if (mp->preamble > mp->limits.max_part_header_bytes)
            return fail(mp, CINTO_MP_MALFORMED,
                        "no boundary line found at the start of the body (is the boundary "
                        "of the Content-Type the one used in the body?)");
        return CINTO_MP_OK;
    }
    unsigned long long limit =
        mp->filename ? mp->limits.max_file_bytes : (unsigned long long)mp->limits.max_field_bytes;
    if (limit && mp->part_bytes + n > limit)
        return mp->filename ? fail(mp, CINTO_MP_FILE_TOO_LARGE, "the file is too large")
                            : fail(mp, CINTO_MP_FIELD_TOO_LARGE, "a form field is too large");
    mp->part_bytes += n;
    if (mp->cb.part_data && mp->cb.part_data(mp->cb.ctx, p, n) != 0)
        return fail(mp, CINTO_MP_CALLBACK, "the upload was stopped");
    return CINTO_MP_OK;
}

/* Scans for the delimiter, passing what precedes it to emit. Runs of the
 * input are emitted whole; a partial match at the end of buf is held back
 * (only its length is kept). Returns bytes used (up to and including a
 * complete delimiter, then the state is ST_AFTER_DELIM) or -1. */
static long scan(cinto_multipart *mp, const char *p, size_t n)
{
    size_t held = mp->match; /* matched bytes from earlier feeds, not in p */
    size_t run = 0, i = 0;
    while (i < n) {
        if (mp->match == 0) {
            const char *cr = memchr(p + i, '\r', n - i);
            if (!cr) {
                i = n;
                break;
            }
            i = (size_t)(cr - p) + 1;
            mp->match = 1;
            continue;
        }
        if (p[i] == mp->delim[mp->match]) {
            i++;
            if (++mp->match < mp->dlen)
                continue;
            /* Complete: the data ends where the delimiter began. */
            size_t in_p = mp->dlen - held;
            mp->match = 0;
            mp->virtual_crlf = 0;
            if (emit(mp, p + run, i - in_p - run) != CINTO_MP_OK)
                return -1;
            mp->state = ST_AFTER_DELIM;
            return (long)i;
        }
        /* Mismatch: the bytes matched were data after all; those from
         * earlier feeds go out now (from delim: they are equal), those in
         * p stay in the run. p[i] is looked at again from match 0. */
        if (held) {
            /* Not the CRLF assumed before the first line: not input. */
            size_t skip = mp->virtual_crlf ? 2 : 0;
            if (emit(mp, mp->delim + skip, held - skip) != CINTO_MP_OK)
                return -1;
        }
        mp->virtual_crlf = 0;
        held = 0;
        mp->match = 0;
    }
    /* A match only grows, or drops to 0 with held: held <= match. */
    assert(held <= mp->match);
    size_t keep = mp->match - held; /* bytes of p in a partial match */
    if (emit(mp, p + run, n - keep - run) != CINTO_MP_OK)
        return -1;
    return (long)n;
}

/* After "--boundary": "--" closes, padding then CRLF starts a part. */
static long after_delim(cinto_multipart *mp, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (mp->state == ST_AFTER_DASH) {
            if (c != '-')
                return fail(mp, CINTO_MP_MALFORMED, "a boundary line is followed by junk"), -1;
            if (mp->part_open) {
                mp->part_open = 0;
                if (mp->cb.part_end && mp->cb.part_end(mp->cb.ctx) != 0)
                    return fail(mp, CINTO_MP_CALLBACK, "the upload was stopped"), -1;
            }
            part_reset(mp);
            mp->state = ST_EPILOGUE;
            return (long)(i + 1);
        }
        if (mp->state == ST_AFTER_DELIM_CR) {
            if (c != '\n')
                return fail(mp, CINTO_MP_MALFORMED, "a boundary line is followed by junk"), -1;
            if (mp->part_open) {
                mp->part_open = 0;
                if (mp->cb.part_end && mp->cb.part_end(mp->cb.ctx) != 0)
                    return fail(mp, CINTO_MP_CALLBACK, "the upload was stopped"), -1;
            }
            part_reset(mp);
            if (mp->nparts++ >= mp->limits.max_parts)
                return fail(mp, CINTO_MP_TOO_MANY_PARTS, "the body has too many parts"), -1;
            mp->state = ST_HEADERS;
            return (long)(i + 1);
        }
        if (c == '-' && !mp->padded)
            mp->state = ST_AFTER_DASH;
        else if (c == '\r')
            mp->state = ST_AFTER_DELIM_CR;
        else if (!is_ows(c))
            return fail(mp, CINTO_MP_MALFORMED, "a boundary line is followed by junk"), -1;
        else
            mp->padded = 1; /* transport padding: "--" can no longer follow */
    }
    return (long)n;
}

/* ---- Public ------------------------------------------------------------- */

cinto_multipart *cinto_multipart_new(const char *boundary, const cinto_multipart_limits *limits,
                                     const cinto_multipart_callbacks *cb)
{
    assert(limits);
    size_t blen = boundary ? strlen(boundary) : 0;
    if (blen < 1 || blen > MP_BOUNDARY_MAX || limits->max_part_header_bytes >= SIZE_MAX / 2)
        return NULL;
    cinto_multipart *mp = calloc(1, sizeof *mp);
    if (!mp)
        return NULL;
    mp->limits = *limits;
    if (cb)
        mp->cb = *cb;
    mp->line = malloc(limits->max_part_header_bytes + 1);
    if (!mp->line) {
        free(mp);
        return NULL;
    }
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, blen + 1);
    mp->dlen = 4 + blen;
    /* The first delimiter may open the body: as if a CRLF came before. */
    mp->match = 2;
    mp->virtual_crlf = 1;
    mp->state = ST_PREAMBLE;
    return mp;
}

int cinto_multipart_feed(cinto_multipart *mp, const char *buf, size_t n)
{
    while (n && mp->state != ST_ERROR) {
        long used;
        switch (mp->state) {
        case ST_PREAMBLE:
        case ST_DATA:
            used = scan(mp, buf, n);
            if (used >= 0 && mp->state == ST_AFTER_DELIM)
                mp->padded = 0;
            break;
        case ST_AFTER_DELIM:
        case ST_AFTER_DELIM_CR:
        case ST_AFTER_DASH:
            used = after_delim(mp, buf, n);
            break;
        case ST_HEADERS:
            used = feed_headers(mp, buf, n);
            break;
        case ST_EPILOGUE:
            used = (long)n;
            break;
        default:
            used = -1;
        }
        if (used < 0)
            break;
        buf += used;
        n -= (size_t)used;
    }
    return mp->state == ST_ERROR ? mp->status : CINTO_MP_OK;
}

int cinto_multipart_finish(cinto_multipart *mp)
{
    if (mp->state == ST_ERROR)
        return mp->status;
    if (mp->state == ST_EPILOGUE)
        return CINTO_MP_OK;
    return fail(mp, CINTO_MP_TRUNCATED,
                mp->nparts ? "the body ends before its closing boundary line"
                           : "no boundary line found in the body (is the boundary of the "
                             "Content-Type the one used in the body?)");
}

const char *cinto_multipart_message(int status)
{
    switch (status) {
    case CINTO_MP_OK:
        return "OK";
    case CINTO_MP_BAD_CONTENT_TYPE:
        return "Content-Type should be multipart/form-data with a boundary parameter";
    case CINTO_MP_MALFORMED:
        return "Malformed multipart/form-data body";
    case CINTO_MP_HEADER_TOO_LARGE:
        return "The headers of a multipart/form-data part are too large";
    case CINTO_MP_TOO_MANY_HEADERS:
        return "Too many headers in a multipart/form-data part";
    case CINTO_MP_TOO_MANY_PARTS:
        return "Too many parts in the multipart/form-data body";
    case CINTO_MP_FIELD_TOO_LARGE:
        return "A form field of the multipart/form-data body is too large";
    case CINTO_MP_FILE_TOO_LARGE:
        return "The file of the multipart/form-data body is too large";
    case CINTO_MP_TRUNCATED:
        return "The multipart/form-data body ends before its closing boundary";
    case CINTO_MP_CALLBACK:
        return "The upload was stopped";
    case CINTO_MP_NOMEM:
        return "Out of memory while reading the multipart/form-data body";
    default:
        return "Invalid multipart/form-data body";
    }
}

const char *cinto_multipart_error(const cinto_multipart *mp)
{
    if (mp->state != ST_ERROR)
        return NULL;
    return mp->detail ? mp->detail : cinto_multipart_message(mp->status);
}

void cinto_multipart_free(cinto_multipart *mp)
{
    if (!mp)
        return;
    part_reset(mp);
    free(mp->line);
    free(mp);
}
