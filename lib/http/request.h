/* A request as the library sees it: read once from the transport, with the
 * headers it uses already picked out. Only the body and the query string
 * are untrusted text still to be parsed (by the handlers that need them). */
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
    /* What the client sent, while a plugin has rewritten path or body
     * (the default bucket names the real bucket): a request run again
     * after a transaction conflict starts from it (cinto_request_restore). */
    char *orig_path; /* NULL: path was not rewritten */
    char *orig_body;
    size_t orig_body_len;
    int orig_body_kept;
} cinto_request;

/* Reads the request variables and the body (at most max_body bytes are
 * kept; more marks the body too large, but the rest is drained so the
 * connection stays usable). Returns 0, or -1 when memory ran out. */
int cinto_request_read(cinto_request *req, cinto_transport *t, size_t max_body);
void cinto_request_free(cinto_request *req);
/* Rewrites the path or the body (taking ownership of the new text) and
 * keeps the client's for cinto_request_restore. */
void cinto_request_set_path(cinto_request *req, char *path);
void cinto_request_set_body(cinto_request *req, char *body, size_t len);
/* Puts back the path and body the client sent. */
void cinto_request_restore(cinto_request *req);
const char *cinto_method_name(enum cinto_method m);

#endif
