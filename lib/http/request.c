#include "http/request.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {
    [CINTO_GET] = "GET",         [CINTO_HEAD] = "HEAD",     [CINTO_POST] = "POST",
    [CINTO_PUT] = "PUT",         [CINTO_PATCH] = "PATCH",   [CINTO_DELETE] = "DELETE",
    [CINTO_OPTIONS] = "OPTIONS", [CINTO_METHOD_OTHER] = "",
};

const char *cinto_method_name(enum cinto_method m)
{
    return method_names[m];
}

static enum cinto_method parse_method(const char *s)
{
    if (!s)
        return CINTO_METHOD_OTHER;
    for (int m = CINTO_GET; m < CINTO_METHOD_OTHER; m++)
        if (strcmp(s, method_names[m]) == 0)
            return (enum cinto_method)m;
    return CINTO_METHOD_OTHER;
}

static const char *var(cinto_transport *t, const char *name)
{
    const char *v = t->param(t->ctx, name);
    return v && *v ? v : NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    memcpy(p + na, b, nb + 1);
    return p;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Web servers split the URL differently (deploy notes §8): Apache runs the
 * binary as SCRIPT_NAME=/dir/cinto.fcgi with PATH_INFO=/v1/..., lighttpd and
 * nginx give SCRIPT_NAME="" (or a prefix) and the rest in PATH_INFO. When the
 * script name is the binary, its folder is the public mount point; otherwise
 * the two parts together are the API path. */
static int split_path(cinto_request *req, cinto_transport *t)
{
    const char *sn = var(t, "SCRIPT_NAME");
    const char *pi = var(t, "PATH_INFO");
    if (!sn)
        sn = "";
    if (!pi)
        pi = "";
    if (ends_with(sn, ".fcgi") || ends_with(sn, ".cgi")) {
        const char *slash = strrchr(sn, '/');
        size_t n = slash ? (size_t)(slash - sn) : 0;
        req->mount = strndup(sn, n);
        req->path = strdup(*pi ? pi : "/");
    } else {
        req->mount = strdup("");
        req->path = concat(sn, pi);
        if (req->path && !*req->path) {
            free(req->path);
            req->path = strdup("/");
        }
    }
    return req->mount && req->path ? 0 : -1;
}

/* CONTENT_LENGTH is digits only; anything else is refused rather than
 * guessed at. Returns -1 for a malformed value. */
static long long parse_length(const char *s)
{
    long long n = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || n > (1LL << 50))
            return -1;
        n = n * 10 + (*s - '0');
    }
    return n;
}

/* Works out how much body the transport holds: CONTENT_LENGTH when given,
 * to the end of input for chunked plain CGI (Apache passes no length),
 * none otherwise. A malformed length is refused, nothing is read. */
static void body_length(cinto_request *req, cinto_transport *t)
{
    const char *cl = var(t, "CONTENT_LENGTH");
    const char *te = var(t, "HTTP_TRANSFER_ENCODING");
    req->content_length = -1;
    if (cl) {
        req->content_length = parse_length(cl);
        if (req->content_length < 0)
            req->body_state = CINTO_BODY_BAD_LENGTH;
        req->body_left = req->content_length < 0 ? 0 : req->content_length;
    } else if (te && strstr(te, "chunked")) {
        req->body_left = -1;
    } else {
        req->body_left = 0;
    }
}

/* One transport read bounded by what is left; keeps body_left and marks a
 * body that ends before its announced length. */
static long transport_read(cinto_request *req, char *buf, size_t n)
{
    if (req->body_left == 0 || n == 0)
        return 0;
    if (req->body_left > 0 && (unsigned long long)req->body_left < n)
        n = (size_t)req->body_left;
    cinto_transport *t = req->transport;
    long got = t->read(t->ctx, buf, n);
    if (got <= 0 || (size_t)got > n) {
        if (req->body_left > 0 || got < 0) {
            req->body_state = CINTO_BODY_TRUNCATED;
            req->body_left = 0;
            return -1;
        }
        req->body_left = 0;
        return 0;
    }
    if (req->body_left > 0)
        req->body_left -= got;
    return got;
}

int cinto_request_read_body(cinto_request *req, size_t max_body)
{
    assert(req->body_pending);
    req->body_pending = 0;
    long long want = req->body_left;
    if (want > (long long)max_body) {
        req->body_state = CINTO_BODY_TOO_LARGE;
        want = 0;
    }
    size_t cap = want >= 0 ? (size_t)want : 65536;
    req->body = malloc(cap + 1);
    if (!req->body)
        return -1;
    size_t got = 0;
    while (want != 0 && req->body_left != 0) {
        if (got == cap) {
            /* Full at the limit: too large unless the input ends here
             * (a chunked body of exactly max_body bytes). */
            char probe;
            if (cap >= max_body) {
                if (transport_read(req, &probe, 1) > 0)
                    req->body_state = CINTO_BODY_TOO_LARGE;
                break;
            }
            size_t ncap = cap * 2 > max_body ? max_body : cap * 2;
            char *p = realloc(req->body, ncap + 1);
            if (!p)
                return -1;
            req->body = p;
            cap = ncap;
        }
        long n = transport_read(req, req->body + got, cap - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    req->body[got] = '\0';
    req->body_len = got;
    return 0;
}

void cinto_request_defer_body(cinto_request *req)
{
    assert(req->body_pending);
    req->body_pending = 0;
    req->body_deferred = 1;
}

long cinto_request_body_read(cinto_request *req, char *buf, size_t n)
{
    if (!req->body_deferred) {
        /* In memory (a batch sub-request): served from body_off on. */
        size_t left = req->body_len - req->body_off;
        size_t k = left < n ? left : n;
        if (k)
            memcpy(buf, req->body + req->body_off, k);
        req->body_off += k;
        return (long)k;
    }
    if (req->body_state == CINTO_BODY_TRUNCATED)
        return -1;
    if (n > LONG_MAX)
        n = LONG_MAX;
    return transport_read(req, buf, n);
}

void cinto_request_body_drain(cinto_request *req)
{
    char buf[16384];
    /* A body refused as too large by its announced length is left to the
     * web server, as before streaming existed: reading gigabytes only to
     * answer 413 would help no one. */
    if (!req->transport || req->body_state == CINTO_BODY_TOO_LARGE)
        return;
    req->body_pending = 0;
    while (transport_read(req, buf, sizeof buf) > 0)
        ;
}

int cinto_request_read_vars(cinto_request *req, cinto_transport *t)
{
    memset(req, 0, sizeof *req);
    req->transport = t;
    req->body_pending = 1;
    req->method_name = var(t, "REQUEST_METHOD");
    req->method = parse_method(req->method_name);
    if (!req->method_name)
        req->method_name = "GET";
    req->query_string = var(t, "QUERY_STRING");
    if (!req->query_string)
        req->query_string = "";
    req->content_type = var(t, "CONTENT_TYPE");
    req->accept = var(t, "HTTP_ACCEPT");
    /* Apache hides Authorization unless the .htaccess copies it, and the
     * copy may arrive under the REDIRECT_ name (deploy notes §5). */
    req->authorization = var(t, "HTTP_AUTHORIZATION");
    if (!req->authorization)
        req->authorization = var(t, "REDIRECT_HTTP_AUTHORIZATION");
    req->if_match = t->param(t->ctx, "HTTP_IF_MATCH");
    req->if_none_match = t->param(t->ctx, "HTTP_IF_NONE_MATCH");
    req->origin = var(t, "HTTP_ORIGIN");
    req->response_behavior = var(t, "HTTP_RESPONSE_BEHAVIOR");
    req->acr_method = var(t, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
    req->acr_headers = var(t, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
    req->host = var(t, "HTTP_HOST");
    if (!req->host)
        req->host = var(t, "SERVER_NAME");
    const char *https = var(t, "HTTPS");
    const char *scheme = var(t, "REQUEST_SCHEME");
    req->https = (https && strcmp(https, "off") != 0) || (scheme && strcmp(scheme, "https") == 0);
    body_length(req, t);
    if (split_path(req, t) < 0)
        return -1;
    const char *uri = var(t, "REQUEST_URI");
    for (const char *p = uri; p && *p && *p != '?'; p++) {
        int hi = hex_value(p[1]), lo = hi >= 0 ? hex_value(p[2]) : -1;
        if (p[0] == '%' && lo >= 0 && (hi < 2 || (hi == 7 && lo == 15)))
            req->path_ctrl = 1;
    }
    return 0;
}

int cinto_request_read(cinto_request *req, cinto_transport *t, size_t max_body)
{
    if (cinto_request_read_vars(req, t) < 0)
        return -1;
    return cinto_request_read_body(req, max_body);
}

void cinto_request_free(cinto_request *req)
{
    free(req->path);
    free(req->mount);
    free(req->body);
    memset(req, 0, sizeof *req);
}
