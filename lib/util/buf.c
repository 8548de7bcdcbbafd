#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cinto_buf_reserve(cinto_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';
    return 0;
}

int cinto_buf_append(cinto_buf *b, const void *p, size_t n)
{
    if (cinto_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cinto_buf_puts(cinto_buf *b, const char *s)
{
    return cinto_buf_append(b, s, strlen(s));
}

int cinto_buf_putc(cinto_buf *b, char c)
{
    return cinto_buf_append(b, &c, 1);
}

int cinto_buf_vprintf(cinto_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || cinto_buf_reserve(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int cinto_buf_printf(cinto_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cinto_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void cinto_buf_reset(cinto_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *cinto_buf_steal(cinto_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void cinto_buf_free(cinto_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *cinto_buf_str(const cinto_buf *b)
{
    return b->data ? b->data : "";
}
