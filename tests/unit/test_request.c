/* The request reader against a mock transport: variables first, then the
 * body read into memory or streamed by the handler (uploads), drained
 * after; bodies fed a byte at a time, shorter than CONTENT_LENGTH,
 * chunked, malformed lengths, transport errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/request.h"

typedef struct mock {
    const char *const *vars; /* name, value, ..., NULL */
    const char *body;
    size_t len, pos;
    size_t per_read; /* at most this many bytes per read (0: any) */
    long error_at;   /* read returns -1 once pos reaches this (-1: never) */
    unsigned reads;
} mock;

static const char *mock_param(void *ctx, const char *name)
{
    mock *m = ctx;
    for (const char *const *v = m->vars; v && *v; v += 2)
        if (strcmp(*v, name) == 0)
            return v[1];
    return NULL;
}

static long mock_read(void *ctx, char *buf, size_t n)
{
    mock *m = ctx;
    m->reads++;
    if (m->error_at >= 0 && m->pos >= (size_t)m->error_at)
        return -1;
    if (m->per_read && n > m->per_read)
        n = m->per_read;
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(buf, m->body + m->pos, n);
    m->pos += n;
    return (long)n;
}

static int mock_write(void *ctx, const char *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

static cinto_transport transport(mock *m)
{
    return (cinto_transport){m, mock_param, mock_read, mock_write};
}

/* Reads the deferred body with reads of up to n bytes into out; returns
 * the total, or -1 when a read failed. */
static long read_all(cinto_request *req, char *out, size_t cap, size_t n)
{
    size_t got = 0;
    for (;;) {
        cr_assert_leq(got + n, cap);
        long r = cinto_request_body_read(req, out + got, n);
        if (r < 0)
            return -1;
        if (r == 0)
            return (long)got;
        cr_assert_leq((size_t)r, n);
        got += (size_t)r;
    }
}

static const char *const post_10[] = {"REQUEST_METHOD", "POST", "PATH_INFO", "/v1/x",
                                      "CONTENT_LENGTH", "10",   NULL};

Test(stream, deferred_body_byte_by_byte)
{
    /* More bytes in the transport than announced: never read past. */
    mock m = {post_10, "0123456789EXTRA", 15, 0, 1, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cr_assert_eq(req.body_pending, 1);
    cr_assert_eq(req.content_length, 10);
    cr_assert_eq(m.reads, 0, "variables only: no body read yet");
    cinto_request_defer_body(&req);
    cr_assert_eq(req.body_deferred, 1);
    cr_assert_null(req.body);
    cr_assert_eq(req.body_len, 0);
    char out[64];
    cr_assert_eq(read_all(&req, out, sizeof out, 1), 10);
    cr_assert(memcmp(out, "0123456789", 10) == 0);
    cr_assert_eq(m.pos, 10);
    cr_assert_eq(req.body_state, CINTO_BODY_OK);
    /* At the end: 0 again, without asking the transport. */
    unsigned reads = m.reads;
    cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 0);
    cr_assert_eq(m.reads, reads);
    cinto_request_body_drain(&req);
    cr_assert_eq(m.pos, 10);
    cinto_request_free(&req);
}

Test(stream, transport_gives_one_byte_at_a_time)
{
    mock m = {post_10, "0123456789", 10, 0, 1, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_defer_body(&req);
    char out[64];
    cr_assert_eq(read_all(&req, out, sizeof out, 7), 10);
    cr_assert(memcmp(out, "0123456789", 10) == 0);
    cinto_request_free(&req);
}

Test(stream, body_shorter_than_content_length)
{
    mock m = {post_10, "0123", 4, 0, 0, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_defer_body(&req);
    char out[64];
    cr_assert_eq(cinto_request_body_read(&req, out, 3), 3);
    cr_assert_eq(cinto_request_body_read(&req, out, 64), 1);
    cr_assert_eq(cinto_request_body_read(&req, out, 64), -1);
    cr_assert_eq(req.body_state, CINTO_BODY_TRUNCATED);
    cr_assert_eq(cinto_request_body_read(&req, out, 64), -1);
    cinto_request_body_drain(&req); /* nothing left to read: returns */
    cinto_request_free(&req);
}

Test(stream, transport_error)
{
    mock m = {post_10, "0123456789", 10, 0, 0, 5, 0};
    m.per_read = 5;
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_defer_body(&req);
    char out[64];
    cr_assert_eq(cinto_request_body_read(&req, out, 64), 5);
    cr_assert_eq(cinto_request_body_read(&req, out, 64), -1);
    cr_assert_eq(req.body_state, CINTO_BODY_TRUNCATED);
    cinto_request_free(&req);
}

Test(stream, drain_after_early_stop)
{
    static char big[100000];
    memset(big, 'x', sizeof big);
    static const char *const vars[] = {"REQUEST_METHOD", "POST", "CONTENT_LENGTH", "100000", NULL};
    mock m = {vars, big, sizeof big + 0, 0, 777, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_defer_body(&req);
    char out[16];
    cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 16);
    cinto_request_body_drain(&req);
    cr_assert_eq(m.pos, sizeof big);
    cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 0);
    cinto_request_free(&req);
}

Test(stream, drain_a_body_never_read)
{
    /* Answered before the body mattered (404, 405, config error). */
    mock m = {post_10, "0123456789EXTRA", 15, 0, 3, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_body_drain(&req);
    cr_assert_eq(m.pos, 10);
    cr_assert_eq(req.body_pending, 0);
    cinto_request_free(&req);
}

Test(stream, chunked_reads_to_end_of_input)
{
    static const char *const vars[] = {"REQUEST_METHOD", "POST", "HTTP_TRANSFER_ENCODING",
                                       "chunked", NULL};
    mock m = {vars, "abcdefgh", 8, 0, 3, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cr_assert_eq(req.content_length, -1);
    cinto_request_defer_body(&req);
    char out[64];
    cr_assert_eq(read_all(&req, out, sizeof out, 2), 8);
    cr_assert_eq(req.body_state, CINTO_BODY_OK);
    cinto_request_free(&req);
    /* Drained to the end of input too. */
    mock m2 = {vars, "abcdefgh", 8, 0, 3, -1, 0};
    t = transport(&m2);
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cinto_request_defer_body(&req);
    cinto_request_body_drain(&req);
    cr_assert_eq(m2.pos, 8);
    cinto_request_free(&req);
}

Test(stream, no_length_no_body)
{
    static const char *const vars[] = {"REQUEST_METHOD", "POST", NULL};
    mock m = {vars, "ignored", 7, 0, 0, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
    cr_assert_eq(req.content_length, -1);
    cinto_request_defer_body(&req);
    char out[8];
    cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 0);
    cinto_request_body_drain(&req);
    cr_assert_eq(m.reads, 0);
    cinto_request_free(&req);
}

Test(stream, bad_content_length)
{
    const char *bad[] = {"abc", "-1", "1e3", " 10", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *vars[] = {"REQUEST_METHOD", "POST", "CONTENT_LENGTH", bad[i], NULL};
        mock m = {vars, "0123456789", 10, 0, 0, -1, 0};
        cinto_transport t = transport(&m);
        cinto_request req;
        cr_assert_eq(cinto_request_read_vars(&req, &t), 0);
        cr_assert_eq(req.body_state, CINTO_BODY_BAD_LENGTH, "%s", bad[i]);
        cr_assert_eq(req.content_length, -1);
        cinto_request_defer_body(&req);
        char out[8];
        cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 0);
        cinto_request_body_drain(&req);
        cr_assert_eq(m.reads, 0);
        cinto_request_free(&req);
    }
}

/* ---- The body read into memory (every other route) ---- */

Test(memory, whole_body_byte_by_byte)
{
    mock m = {post_10, "0123456789EXTRA", 15, 0, 1, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read(&req, &t, 100), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_OK);
    cr_assert_eq(req.body_len, 10);
    cr_assert_str_eq(req.body, "0123456789");
    cr_assert_eq(req.body_deferred, 0);
    cr_assert_eq(m.pos, 10);
    /* A handler may read it as a stream too (batch sub-requests). */
    char out[64];
    cr_assert_eq(read_all(&req, out, sizeof out, 3), 10);
    cr_assert(memcmp(out, "0123456789", 10) == 0);
    cinto_request_body_drain(&req);
    cr_assert_eq(m.pos, 10);
    cinto_request_free(&req);
}

Test(memory, short_body)
{
    mock m = {post_10, "01234", 5, 0, 2, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read(&req, &t, 100), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_TRUNCATED);
    cr_assert_eq(req.body_len, 5);
    cinto_request_free(&req);
}

Test(memory, too_large_by_length_is_not_read)
{
    mock m = {post_10, "0123456789", 10, 0, 0, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read(&req, &t, 9), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_TOO_LARGE);
    cr_assert_eq(req.body_len, 0);
    cinto_request_body_drain(&req); /* left to the web server, as before */
    cr_assert_eq(m.reads, 0);
    cinto_request_free(&req);
}

Test(memory, too_large_chunked)
{
    static const char *const vars[] = {"REQUEST_METHOD", "POST", "HTTP_TRANSFER_ENCODING",
                                       "chunked", NULL};
    static char big[200000];
    memset(big, 'y', sizeof big);
    mock m = {vars, big, sizeof big, 0, 4096, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read(&req, &t, 100000), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_TOO_LARGE);
    cr_assert_leq(req.body_len, 100000);
    cinto_request_free(&req);
    /* Within the limit: all of it. */
    mock m2 = {vars, big, 150000, 0, 4096, -1, 0};
    t = transport(&m2);
    cr_assert_eq(cinto_request_read(&req, &t, 150000), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_OK);
    cr_assert_eq(req.body_len, 150000);
    cinto_request_free(&req);
}

Test(memory, empty_body)
{
    static const char *const vars[] = {"REQUEST_METHOD", "GET", "CONTENT_LENGTH", "0", NULL};
    mock m = {vars, "", 0, 0, 0, -1, 0};
    cinto_transport t = transport(&m);
    cinto_request req;
    cr_assert_eq(cinto_request_read(&req, &t, 100), 0);
    cr_assert_eq(req.body_state, CINTO_BODY_OK);
    cr_assert_eq(req.content_length, 0);
    cr_assert_str_eq(req.body, "");
    char out[4];
    cr_assert_eq(cinto_request_body_read(&req, out, sizeof out), 0);
    cinto_request_free(&req);
}
