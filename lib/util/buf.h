/* Growable byte buffer: the one string builder of the library.
 * Every function returns 0 on success and -1 when memory ran out, in which
 * case the buffer keeps what it had (callers treat it as a 500). */
#ifndef CINTO_UTIL_BUF_H
#define CINTO_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cinto_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} cinto_buf;

#define CINTO_BUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

int cinto_buf_reserve(cinto_buf *b, size_t extra);
int cinto_buf_append(cinto_buf *b, const void *p, size_t n);
int cinto_buf_puts(cinto_buf *b, const char *s);
int cinto_buf_putc(cinto_buf *b, char c);
int cinto_buf_printf(cinto_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cinto_buf_vprintf(cinto_buf *b, const char *fmt, va_list ap);
void cinto_buf_reset(cinto_buf *b);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *cinto_buf_steal(cinto_buf *b);
void cinto_buf_free(cinto_buf *b);
/* The content as a C string ("" when empty). */
const char *cinto_buf_str(const cinto_buf *b);

#endif
