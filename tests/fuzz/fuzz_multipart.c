/* The streaming multipart/form-data parser. Input: byte 0 picks the
 * limits, byte 1 seeds where the body is cut into feeds (and byte 1's top
 * bits which part_begin stops), then a Content-Type value up to the first
 * '\n', then the body. The body is parsed twice, whole and cut into
 * pieces: both runs must give the same status and the same callbacks
 * (the parser is split-invariant; after an error, one run may have passed
 * on a little more data), and each run must respect the limits,
 * the callback order and stay silent after an error. */
#include "fuzz_common.h"
#include "http/multipart.h"
#include "util/buf.h"
#include "util/codec.h"

typedef struct run {
    const cinto_multipart_limits *lim;
    cinto_buf t; /* transcript of the callbacks */
    int in_part, errored, stop_begin;
    unsigned begins, ends;
    int is_file;
    unsigned long long part_bytes, data_bytes;
} run;

static void check_string(const char *s, const char *what)
{
    CINTO_FUZZ_CHECK(cinto_utf8_valid(s, strlen(s)), "%s is not UTF-8", what);
}

static int on_begin(void *ctx, const cinto_multipart_part *p)
{
    run *r = ctx;
    CINTO_FUZZ_CHECK(!r->errored, "part_begin after an error");
    CINTO_FUZZ_CHECK(!r->in_part, "part_begin inside a part");
    CINTO_FUZZ_CHECK(p->name != NULL, "part without a name");
    check_string(p->name, "name");
    if (p->filename)
        check_string(p->filename, "filename");
    if (p->content_type)
        check_string(p->content_type, "content type");
    r->begins++;
    CINTO_FUZZ_CHECK(r->begins <= r->lim->max_parts, "%u parts over %u", r->begins,
                     r->lim->max_parts);
    r->in_part = 1;
    r->is_file = p->filename != NULL;
    r->part_bytes = 0;
    cinto_buf_printf(&r->t, "[%s|%s|%s]", p->name, p->filename ? p->filename : "\x01",
                     p->content_type ? p->content_type : "\x01");
    return (int)r->begins == r->stop_begin;
}

static int on_data(void *ctx, const char *buf, size_t n)
{
    run *r = ctx;
    CINTO_FUZZ_CHECK(!r->errored, "part_data after an error");
    CINTO_FUZZ_CHECK(r->in_part, "part_data outside a part");
    CINTO_FUZZ_CHECK(n > 0, "empty part_data");
    r->part_bytes += n;
    r->data_bytes += n;
    unsigned long long lim =
        r->is_file ? r->lim->max_file_bytes : (unsigned long long)r->lim->max_field_bytes;
    CINTO_FUZZ_CHECK(!lim || r->part_bytes <= lim, "%llu bytes over the limit %llu", r->part_bytes,
                     lim);
    cinto_buf_append(&r->t, buf, n);
    return 0;
}

static int on_end(void *ctx)
{
    run *r = ctx;
    CINTO_FUZZ_CHECK(!r->errored, "part_end after an error");
    CINTO_FUZZ_CHECK(r->in_part, "part_end outside a part");
    r->in_part = 0;
    r->ends++;
    cinto_buf_putc(&r->t, '\x02');
    return 0;
}

/* Parses body cut at the points a small PRNG seeded by seed picks (seed 0:
 * whole); returns the status. */
static int parse(const char *boundary, const char *body, size_t len, unsigned seed, run *r)
{
    cinto_multipart_callbacks cb = {r, on_begin, on_data, on_end};
    cinto_multipart *mp = cinto_multipart_new(boundary, r->lim, &cb);
    if (!mp)
        abort();
    int rc = CINTO_MP_OK;
    unsigned x = seed * 2654435761u + 1;
    for (size_t off = 0; off < len && rc == CINTO_MP_OK;) {
        size_t n = len - off;
        if (seed) {
            x = x * 1103515245u + 12345u;
            size_t piece = 1 + (x >> 16) % (seed & 1 ? 3 : 97);
            if (piece < n)
                n = piece;
        }
        rc = cinto_multipart_feed(mp, body + off, n);
        off += n;
    }
    if (rc == CINTO_MP_OK)
        rc = cinto_multipart_finish(mp);
    CINTO_FUZZ_CHECK(rc >= CINTO_MP_OK && rc <= CINTO_MP_NOMEM, "status %d", rc);
    if (rc != CINTO_MP_OK) {
        r->errored = 1;
        CINTO_FUZZ_CHECK(cinto_multipart_error(mp) != NULL, "no detail for %d", rc);
        CINTO_FUZZ_CHECK(cinto_multipart_feed(mp, "\r\n--b\r\n", 7) == rc, "error not sticky");
        CINTO_FUZZ_CHECK(cinto_multipart_finish(mp) == rc, "error not sticky at finish");
    }
    CINTO_FUZZ_CHECK(rc != CINTO_MP_CALLBACK || (int)r->begins == r->stop_begin,
                     "CALLBACK without a stop");
    CINTO_FUZZ_CHECK(r->data_bytes <= len, "%llu data bytes out of %zu", r->data_bytes, len);
    CINTO_FUZZ_CHECK(rc != CINTO_MP_OK || !r->in_part, "success inside a part");
    cinto_multipart_free(mp);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t hdr_bytes[] = {8, 40, 64, 8192};
    static const unsigned counts[] = {1, 2, 4, 16};
    static const size_t field_bytes[] = {0, 3, 16, 1 << 20};
    if (size < 2)
        return 0;
    cinto_multipart_limits lim = {
        .max_part_header_bytes = hdr_bytes[data[0] & 3],
        .max_part_headers = counts[(data[0] >> 2) & 3],
        .max_parts = counts[(data[0] >> 4) & 3],
        .max_field_bytes = field_bytes[(data[0] >> 6) & 3],
        .max_file_bytes = field_bytes[(data[0] >> 5) & 3],
    };
    unsigned seed = data[1] & 0x3f;
    int stop_begin = data[1] >> 6; /* 0: never */
    const uint8_t *nl = memchr(data + 2, '\n', size - 2);
    size_t ctlen = nl ? (size_t)(nl - (data + 2)) : 0;
    char *ct = cinto_fuzz_strndup(data + 2, ctlen);
    const char *body = nl ? (const char *)nl + 1 : (const char *)data + 2;
    size_t len = size - (size_t)(body - (const char *)data);

    char boundary[71];
    int brc = cinto_multipart_boundary(ct, boundary, sizeof boundary);
    CINTO_FUZZ_CHECK(brc == CINTO_MP_OK || brc == CINTO_MP_BAD_CONTENT_TYPE, "boundary %d", brc);
    if (brc == CINTO_MP_OK) {
        size_t bl = strlen(boundary);
        CINTO_FUZZ_CHECK(bl >= 1 && bl <= 70, "boundary of %zu bytes", bl);
    } else {
        CINTO_FUZZ_CHECK(boundary[0] == '\0', "output left after a refusal");
        strcpy(boundary, "b");
    }

    run whole = {.lim = &lim, .stop_begin = stop_begin};
    run cut = {.lim = &lim, .stop_begin = stop_begin};
    int rc1 = parse(boundary, body, len, 0, &whole);
    int rc2 = parse(boundary, body, len, seed ? seed : 1, &cut);
    CINTO_FUZZ_CHECK(rc1 == rc2, "whole %d, cut %d", rc1, rc2);
    /* After an error, a run fed in pieces may have passed on more data
     * before it; what both passed on agrees. */
    size_t common = whole.t.len < cut.t.len ? whole.t.len : cut.t.len;
    CINTO_FUZZ_CHECK(common == 0 || memcmp(whole.t.data, cut.t.data, common) == 0,
                     "callbacks differ when cut");
    CINTO_FUZZ_CHECK(rc1 != CINTO_MP_OK || whole.t.len == cut.t.len, "callbacks differ when cut");
    cinto_buf_free(&whole.t);
    cinto_buf_free(&cut.t);
    free(ct);
    return 0;
}
