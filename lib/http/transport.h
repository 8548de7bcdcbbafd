/* The one seam between the web server and the library (Fossil style):
 * cgi/cinto.c fills a cinto_transport for CGI or FastCGI, and nothing below
 * this header knows which one carried the request. */
#ifndef CINTO_HTTP_TRANSPORT_H
#define CINTO_HTTP_TRANSPORT_H

#include <stddef.h>

typedef struct cinto_transport {
    void *ctx;
    /* A CGI/FastCGI request variable (REQUEST_METHOD, HTTP_AUTHORIZATION...),
     * NULL when absent. Never the process environment for FastCGI. */
    const char *(*param)(void *ctx, const char *name);
    /* Reads up to n body bytes; returns the count, 0 at end of input, -1 on error. */
    long (*read)(void *ctx, char *buf, size_t n);
    /* Writes n bytes of the CGI response (headers then body); -1 on error. */
    int (*write)(void *ctx, const char *buf, size_t n);
} cinto_transport;

#endif
