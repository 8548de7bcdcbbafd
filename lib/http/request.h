/* A request as the library sees it: read once from the transport, with the
 * headers it uses already picked out. Only the body and the query string
 * are untrusted text still to be parsed (by the handlers that need them).
 * The variables are read first; the body once the route is known: into
 * memory (up to max_request_body_bytes), or, for a route flagged
 * CINTO_ROUTE_STREAM_BODY (uploads), left in the transport for the handler
 * to read in pieces. Whatever is left unread is drained after the answer
 * is made. */
#ifndef CINTO_HTTP_REQUEST_H
#define CINTO_HTTP_REQUEST_H

#include "http/transport.h"

#include <stddef.h>

enum cinto_method {
    CINTO_GET,
    CINTO_HEAD,
    CINTO_POST,
    CINTO_PUT,
    CINTO_PATCH,
    CINTO_DELETE,
    CINTO_OPTIONS,
    CINTO_METHOD_OTHER,
};

enum cinto_body_state {
    CINTO_BODY_OK,
    CINTO_BODY_TOO_LARGE, /* over kinto.max_request_body_bytes: 413 */
    CINTO_BODY_TRUNCATED, /* fewer bytes than CONTENT_LENGTH announced */
    CINTO_BODY_BAD_LENGTH /* CONTENT_LENGTH that is not a number */
};

typedef struct cinto_request {
    enum cinto_method method;
    const char *method_name;
    /* Path below the mount point, "/v1/buckets/b"; never NULL. */
    char *path;
    /* The raw URL's path holds a percent-encoded control character:
     * servers decode those their own way (lighttpd turns them into '_', a
     * NUL cuts a C string short), so path is not the path asked for. */
    int path_ctrl;
    const char *query_string; /* raw, never NULL */
    const char *content_type;
    const char *accept;
    const char *authorization;
    const char *if_match;
    const char *if_none_match;
    const char *origin;
    const char *response_behavior;
    const char *acr_method;  /* Access-Control-Request-Method */
    const char *acr_headers; /* Access-Control-Request-Headers */
    /* What absolute URLs are built from (spec 08 §8.12). */
    const char *host;
    int https;
    char *mount; /* public prefix before /v1, "" at the root */
    char *body;  /* NUL-terminated */
    size_t body_len;
    enum cinto_body_state body_state;
    cinto_transport *transport;
    /* CONTENT_LENGTH as announced, -1 when absent (or malformed: then
     * body_state says CINTO_BODY_BAD_LENGTH). */
    long long content_length;
    /* The route streams its body (CINTO_ROUTE_STREAM_BODY): body stays
     * NULL and the handler reads through cinto_request_body_read. */
    int body_deferred;
    /* Variables read, body neither read nor deferred yet (set by
     * cinto_request_read_vars, cleared by read_body/defer_body/drain). */
    int body_pending;
    /* Bytes of the body still in the transport: -1 = until end of input
     * (chunked plain CGI), 0 = all read. */
    long long body_left;
    size_t body_off; /* cinto_request_body_read's place in an in-memory body */
} cinto_request;

/* Reads the request variables and the body (at most max_body bytes are
 * kept; more marks the body too large, but the rest is drained so the
 * connection stays usable). Returns 0, or -1 when memory ran out. */
int cinto_request_read(cinto_request *req, cinto_transport *t, size_t max_body);
/* The two halves of cinto_request_read, for the app that routes before it
 * knows whether the body is read into memory or streamed: the variables
 * (body_pending set), then either read_body (as above; 0 or -1 for
 * memory) or defer_body (the handler streams it). */
int cinto_request_read_vars(cinto_request *req, cinto_transport *t);
int cinto_request_read_body(cinto_request *req, size_t max_body);
void cinto_request_defer_body(cinto_request *req);
/* Reads the next body bytes of a deferred body from the transport: the
 * count, 0 at the end, -1 on a transport error or a body shorter than
 * CONTENT_LENGTH (body_state is then CINTO_BODY_TRUNCATED). Never reads
 * past CONTENT_LENGTH. On a body already in memory (a batch
 * sub-request), reads from req->body instead. */
long cinto_request_body_read(cinto_request *req, char *buf, size_t n);
/* Reads and drops whatever of the body is still in the transport (at
 * most the announced length, to the end of input when none was), so that
 * the FastCGI connection stays in step after a handler stopped early or
 * a request was answered without its body. */
void cinto_request_body_drain(cinto_request *req);
void cinto_request_free(cinto_request *req);
const char *cinto_method_name(enum cinto_method m);

#endif
