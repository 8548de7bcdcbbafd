/* The default bucket plugin (spec 04 §4.13): /buckets/default is each
 * user's personal bucket, created with its collections on first use. */
#ifndef CINTO_PLUGINS_DEFAULT_BUCKET_H
#define CINTO_PLUGINS_DEFAULT_BUCKET_H

#include "api/plugin.h"

/* Its row of the plugin table: the "default_bucket" capability, user.bucket
 * in GET /v1/, and the rewrite of /buckets/default before the handler. */
extern const cinto_plugin cinto_plugin_default_bucket;

/* The bucket id of a prefixed user id: HMAC-SHA256 hex, first 32 digits
 * as 8-4-4-4-12. */
void cinto_default_bucket_id(const char *secret, const char *userid, char out[37]);
/* Rewrites the request to the real bucket and creates what is missing,
 * in a transaction left open (c->tx_open) for the request itself: the
 * pipeline ends it. Returns -1 after answering an error. */
int cinto_default_bucket_prepare(cinto_ctx *c);

#endif
