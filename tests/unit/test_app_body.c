/* The app's two-step request reading, end to end through cinto_app_handle
 * with a mock transport: a route row flagged CINTO_ROUTE_STREAM_BODY gets
 * its body unread (the handler streams it, whatever
 * max_request_body_bytes says), every other row reads it as before (413
 * over the limit), and whatever is left is drained after the answer was
 * made: after a handler that stopped early, a 404, a 405, a preflight or
 * a configuration error. No database is needed: the storage connects on
 * first use and these routes never use it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "api/errors.h"
#include "api/router.h"
#include "util/buf.h"

typedef struct mock {
    const char **vars; /* name, value, ..., NULL */
    const char *body;
    size_t len, pos;
    size_t per_read;
    cinto_buf out;
} mock;

static const char *mock_param(void *ctx, const char *name)
{
    mock *m = ctx;
    for (const char **v = m->vars; *v; v += 2)
        if (strcmp(*v, name) == 0)
            return v[1];
    return NULL;
}

static long mock_read(void *ctx, char *buf, size_t n)
{
    mock *m = ctx;
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
    mock *m = ctx;
    return cinto_buf_append(&m->out, buf, n);
}

/* What the streaming handler saw. */
static struct seen {
    int called, deferred, body_null;
    long long content_length;
    size_t read_first; /* bytes it reads before answering (0: all) */
    cinto_buf got;
    int truncated;
} seen;

static void stream_handler(cinto_ctx *c)
{
    seen.called = 1;
    seen.deferred = c->req->body_deferred;
    seen.body_null = c->req->body == NULL;
    seen.content_length = c->req->content_length;
    char buf[7];
    for (;;) {
        size_t want = sizeof buf;
        if (seen.read_first) {
            if (seen.got.len >= seen.read_first)
                break;
            if (want > seen.read_first - seen.got.len)
                want = seen.read_first - seen.got.len;
        }
        long n = cinto_request_body_read(c->req, buf, want);
        if (n < 0) {
            seen.truncated = 1;
            cinto_error_invalid(c, "body", NULL, "Request body is shorter than its Content-Length");
            return;
        }
        if (n == 0)
            break;
        cinto_buf_append(&seen.got, buf, (size_t)n);
    }
    c->resp->status = 200;
}

static const cinto_route_def stream_row = {
    "/streamtest", "POST, DELETE, OPTIONS", stream_handler, -1, 0, CINTO_ROUTE_STREAM_BODY, NULL,
};

static char ini_path[] = "/tmp/cinto-test-app-body-XXXXXX";
static cinto_app *app;
static int serve(const char *method, const char *path, const char *length, const char *body,
                 size_t len, mock *m);

/* A configured app (storage URL to a port nothing listens on: never
 * used) with the test row added to its routes. */
static void setup(void)
{
    int fd = mkstemp(ini_path);
    cr_assert_geq(fd, 0);
    const char ini[] = "[app:main]\n"
                       "kinto.storage_url = mysql://u:p@127.0.0.1:9/none\n"
                       "kinto.max_request_body_bytes = 100\n"
                       "kinto.includes =\n";
    cr_assert_eq(write(fd, ini, sizeof ini - 1), (ssize_t)(sizeof ini - 1));
    close(fd);
    app = cinto_app_new("/nonexistent");
    /* The first request loads the settings (as a worker does). */
    mock m;
    cr_assert_eq(serve("GET", "/v1/nothing", NULL, "", 0, &m), 404);
    cinto_buf_free(&m.out);
    cr_assert(app->configured);
    size_t n = app->nroutes + 1;
    const cinto_route_def **r = realloc(app->routes, n * sizeof *r);
    unsigned *d = realloc(app->route_disabled, n * sizeof *d);
    cr_assert(r && d);
    r[n - 1] = &stream_row;
    d[n - 1] = 0;
    app->routes = r;
    app->route_disabled = d;
    app->nroutes = n;
    memset(&seen, 0, sizeof seen);
}

static void teardown(void)
{
    cinto_app_free(app);
    unlink(ini_path);
    cinto_buf_free(&seen.got);
}

/* Serves one request; returns its status. */
static int serve(const char *method, const char *path, const char *length, const char *body,
                 size_t len, mock *m)
{
    static const char *vars[16];
    size_t k = 0;
    vars[k++] = "REQUEST_METHOD";
    vars[k++] = method;
    vars[k++] = "PATH_INFO";
    vars[k++] = path;
    vars[k++] = "KINTO_INI";
    vars[k++] = ini_path;
    vars[k++] = "CONTENT_TYPE";
    vars[k++] = "multipart/form-data; boundary=b";
    if (length) {
        vars[k++] = "CONTENT_LENGTH";
        vars[k++] = length;
    }
    vars[k] = NULL;
    memset(m, 0, sizeof *m);
    m->vars = vars;
    m->body = body;
    m->len = len;
    m->per_read = 1;
    cinto_transport t = {m, mock_param, mock_read, mock_write};
    cr_assert_eq(cinto_app_handle(app, &t), 0);
    int status = 0;
    cr_assert_eq(sscanf(cinto_buf_str(&m->out), "Status: %d", &status), 1, "%s",
                 cinto_buf_str(&m->out));
    return status;
}

static char big[1000];

TestSuite(app_body, .init = setup, .fini = teardown);

Test(app_body, streamed_route_reads_its_own_body)
{
    memset(big, 'z', sizeof big);
    mock m;
    /* 1000 bytes: over max_request_body_bytes (100), no 413 here. */
    cr_assert_eq(serve("POST", "/v1/streamtest", "1000", big, sizeof big, &m), 200);
    cr_assert(seen.called && seen.deferred && seen.body_null);
    cr_assert_eq(seen.content_length, 1000);
    cr_assert_eq(seen.got.len, 1000);
    cr_assert_eq(m.pos, 1000);
    cinto_buf_free(&m.out);
}

Test(app_body, streamed_route_stopping_early_is_drained)
{
    mock m;
    seen.read_first = 10;
    cr_assert_eq(serve("POST", "/v1/streamtest", "1000", big, sizeof big, &m), 200);
    cr_assert_eq(seen.got.len, 10);
    cr_assert_eq(m.pos, 1000, "the rest was drained");
    cinto_buf_free(&m.out);
}

Test(app_body, streamed_route_short_body)
{
    mock m;
    cr_assert_eq(serve("POST", "/v1/streamtest", "1000", big, 600, &m), 400);
    cr_assert(seen.truncated);
    cr_assert_eq(m.pos, 600);
    cinto_buf_free(&m.out);
}

Test(app_body, streamed_route_bad_length)
{
    mock m;
    cr_assert_eq(serve("POST", "/v1/streamtest", "12x", big, 10, &m), 400);
    cr_assert_eq(seen.called, 0);
    cr_assert_eq(m.pos, 0);
    cinto_buf_free(&m.out);
}

Test(app_body, other_routes_still_413)
{
    mock m;
    cr_assert_eq(serve("POST", "/v1/buckets", "1000", big, sizeof big, &m), 413);
    cr_assert_eq(m.pos, 0);
    cinto_buf_free(&m.out);
}

Test(app_body, answers_before_the_body_drain_it)
{
    mock m;
    cr_assert_eq(serve("POST", "/v1/nothing/here", "50", big, 50, &m), 404);
    cr_assert_eq(m.pos, 50);
    cinto_buf_free(&m.out);
    cr_assert_eq(serve("PUT", "/v1/streamtest", "50", big, 50, &m), 405);
    cr_assert_eq(m.pos, 50);
    cr_assert_eq(seen.called, 0);
    cinto_buf_free(&m.out);
    serve("OPTIONS", "/v1/streamtest", "50", big, 50,
          &m); /* a preflight (400 without CORS headers) */
    cr_assert_eq(m.pos, 50);
    cinto_buf_free(&m.out);
    /* Announced over the limit and answered before it was read: not
     * read at all, as before (the web server discards it). */
    cr_assert_eq(serve("POST", "/v1/nothing/here", "1000", big, sizeof big, &m), 404);
    cr_assert_eq(m.pos, 0);
    cinto_buf_free(&m.out);
}

Test(app_body, configuration_error_drains)
{
    FILE *f = fopen(ini_path, "w");
    cr_assert_not_null(f);
    /* Another size: the app sees the edit at the next request. */
    fputs("[app:main]\nkinto.max_request_body_bytes = nope\n", f);
    fclose(f);
    mock m;
    cr_assert_eq(serve("POST", "/v1/streamtest", "50", big, 50, &m), 503);
    cr_assert_eq(m.pos, 50);
    cr_assert_eq(seen.called, 0);
    cinto_buf_free(&m.out);
}
