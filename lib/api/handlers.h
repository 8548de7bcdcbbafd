/* Entry points of the endpoint families (one file each) and the request
 * steps they share. */
#ifndef CINTO_API_HANDLERS_H
#define CINTO_API_HANDLERS_H

#include "api/app.h"
#include "util/buf.h"

/* root.c: GET /v1/, heartbeats, version. */
void cinto_handle_hello(cinto_ctx *c);
void cinto_handle_heartbeat(cinto_ctx *c);
void cinto_handle_lbheartbeat(cinto_ctx *c);
void cinto_handle_version(cinto_ctx *c);
/* openapi.c: GET /__api__ from the route table, GET /contribute.json. */
void cinto_handle_openapi(cinto_ctx *c);
void cinto_handle_contribute(cinto_ctx *c);
/* user_data.c: DELETE /__user_data__/{principal} (spec 06 §6.10). */
void cinto_handle_user_data(cinto_ctx *c);
/* {"description": ..., "url": ...}: one entry of GET /v1/'s capabilities. */
json_object *cinto_capability(const char *description, const char *url);
/* resource.c: buckets, groups, collections, records. */
void cinto_handle_resource(cinto_ctx *c);

/* batch.c: POST /batch (spec 06 §6.1-6.3). */
void cinto_handle_batch(cinto_ctx *c);
/* app.c: the whole pipeline for one request, also run for each subrequest
 * of a batch. */
void cinto_route_and_handle(cinto_ctx *c, int *cors_ok, int *star);
/* Frees what the pipeline attached to a context (route, query, identity). */
void cinto_ctx_clear(cinto_ctx *c);

/* principals.c: who is asking (no storage access), then their groups. */
int cinto_authenticate(cinto_ctx *c);
int cinto_load_principals(cinto_ctx *c);
int cinto_has_principal(const cinto_ctx *c, const char *principal);

/* validation.c: forgets the compiled schemas (the settings, and so maybe
 * the database, changed). */
void cinto_validation_cache_clear(void);

/* app.c: "scheme://host/mount" of public URLs (spec 08 §8.12). */
void cinto_base_url(cinto_ctx *c, cinto_buf *out);

#endif
