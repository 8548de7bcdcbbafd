#include "http/response.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cinto_response_init(cinto_response *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
}

void cinto_response_reset(cinto_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->nheaders = 0;
    cinto_buf_reset(&r->body);
    r->status = 200;
}

void cinto_response_free(cinto_response *r)
{
    cinto_response_reset(r);
    free(r->headers);
    cinto_buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

static void vadd(cinto_response *r, const char *name, const char *fmt, va_list ap)
{
    cinto_buf v = CINTO_BUF_INIT;
    if (cinto_buf_vprintf(&v, fmt, ap) < 0)
        goto oom;
    /* A header value never carries a line break: that would let text from
     * a request split the response. */
    for (size_t i = 0; i < v.len; i++)
        if (v.data[i] == '\r' || v.data[i] == '\n')
            v.data[i] = ' ';
    if (r->nheaders == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        cinto_header *h = realloc(r->headers, cap * sizeof *h);
        if (!h)
            goto oom;
        r->headers = h;
        r->cap = cap;
    }
    char *n = strdup(name);
    if (!n)
        goto oom;
    r->headers[r->nheaders].name = n;
    r->headers[r->nheaders].value = cinto_buf_steal(&v);
    r->nheaders++;
    return;
oom:
    cinto_buf_free(&v);
    r->failed = 1;
}

void cinto_response_add(cinto_response *r, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(r, name, fmt, ap);
    va_end(ap);
}

void cinto_response_remove(cinto_response *r, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            free(r->headers[i].name);
            free(r->headers[i].value);
        } else {
            r->headers[j++] = r->headers[i];
        }
    }
    r->nheaders = j;
}

void cinto_response_set(cinto_response *r, const char *name, const char *fmt, ...)
{
    cinto_response_remove(r, name);
    va_list ap;
    va_start(ap, fmt);
    vadd(r, name, fmt, ap);
    va_end(ap);
}

const char *cinto_response_get(const cinto_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

void cinto_response_json(cinto_response *r, int status, json_object *body)
{
    size_t len = 0;
    const char *s = cinto_json_dump_len(body, &len);
    r->status = status;
    cinto_response_set(r, "Content-Type", "application/json");
    cinto_buf_reset(&r->body);
    if (!s || cinto_buf_append(&r->body, s, len) < 0)
        r->failed = 1;
}

const char *cinto_status_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

int cinto_response_send(cinto_response *r, cinto_transport *t, int head_only)
{
    cinto_buf out = CINTO_BUF_INIT;
    int rc = -1;
    if (cinto_buf_printf(&out, "Status: %d %s\r\n", r->status, cinto_status_reason(r->status)) < 0)
        goto done;
    for (size_t i = 0; i < r->nheaders; i++)
        if (cinto_buf_printf(&out, "%s: %s\r\n", r->headers[i].name, r->headers[i].value) < 0)
            goto done;
    /* No length on HEAD: the web server must not wait for a body. */
    if (!head_only)
        if (cinto_buf_printf(&out, "Content-Length: %zu\r\n", r->body.len) < 0)
            goto done;
    if (cinto_buf_puts(&out, "\r\n") < 0)
        goto done;
    if (t->write(t->ctx, out.data, out.len) < 0)
        goto done;
    if (!head_only && r->body.len && t->write(t->ctx, r->body.data, r->body.len) < 0)
        goto done;
    rc = 0;
done:
    cinto_buf_free(&out);
    return rc;
}
