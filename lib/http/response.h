/* A response under construction: status, headers, body. Handlers fill it;
 * the app writes it once, in CGI form, through the transport. */
#ifndef CINTO_HTTP_RESPONSE_H
#define CINTO_HTTP_RESPONSE_H

#include "http/transport.h"
#include "util/buf.h"

#include <json-c/json.h>

typedef struct cinto_header {
    char *name;
    char *value;
} cinto_header;

typedef struct cinto_response {
    int status;
    cinto_header *headers;
    size_t nheaders, cap;
    cinto_buf body;
    int failed; /* memory ran out while building: answer 500 */
} cinto_response;

void cinto_response_init(cinto_response *r);
void cinto_response_free(cinto_response *r);
/* Drops status, headers and body, e.g. to replace a half-built answer by an error. */
void cinto_response_reset(cinto_response *r);
/* Adds a header (a second call with the same name adds another line). */
void cinto_response_add(cinto_response *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces every header of that name. */
void cinto_response_set(cinto_response *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cinto_response_remove(cinto_response *r, const char *name);
const char *cinto_response_get(const cinto_response *r, const char *name);
/* Sets status, Content-Type: application/json and the serialized body. */
void cinto_response_json(cinto_response *r, int status, json_object *body);
/* Writes "Status:" + headers + body through the transport (no body when head_only). */
int cinto_response_send(cinto_response *r, cinto_transport *t, int head_only);
const char *cinto_status_reason(int status);

#endif
