/* The route table: URL path below /v1 -> route row and ids. Each row says
 * which methods exist (in upstream's Allow order), which handler serves
 * them and what the handler needs before it runs, so handlers never
 * re-check by hand. Plugins add rows through their entry in the plugin
 * table. The ids are copied verbatim (validated later, after
 * authorization, as upstream does). */
#ifndef CINTO_API_ROUTER_H
#define CINTO_API_ROUTER_H

#include "api/app.h"

/* Row flags (cinto_route_def.needs) are in api/app.h: CINTO_NEEDS_STORAGE,
 * CINTO_ROUTE_STREAM_BODY (the handler streams the request body). */

/* Bit per method, for 405 answers and CORS preflight. */
#define CINTO_M(m) (1u << (m))

/* Upstream's method lists (Cornice registers HEAD with GET and adds
 * OPTIONS for CORS): plural endpoints list HEAD first. */
#define CINTO_PLURAL_METHODS "HEAD, GET, POST, DELETE, OPTIONS"
#define CINTO_OBJECT_METHODS "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
#define CINTO_READ_METHODS "GET, HEAD, OPTIONS"

/* The routes every build serves (buckets, groups, collections, records,
 * batch, root and utility endpoints). */
extern const cinto_route_def cinto_core_routes[];
extern const size_t cinto_core_nroutes;

/* Matches a path below /v1 ("/buckets/b") against defs; returns the index
 * of the most specific matching row (most literal segments; the first
 * of equals) and fills route, or -1 when nothing matches
 * (then route->def is NULL). */
int cinto_route_match(const cinto_route_def *const *defs, size_t n, const char *path,
                      cinto_route *route);
void cinto_route_free(cinto_route *route);
/* The methods of a row as a CINTO_M() mask. */
unsigned cinto_route_methods(const cinto_route_def *def);
/* "GET, HEAD, ..." for an Allow header: the row's methods in its order,
 * without those in the excluded mask. */
void cinto_route_allow(const cinto_route_def *def, unsigned excluded, char *out, size_t outlen);

#endif
