/* URL path -> endpoint and ids. The ids are copied verbatim (validated
 * later, after authorization, as upstream does). */
#ifndef CINTO_API_ROUTER_H
#define CINTO_API_ROUTER_H

#include "api/app.h"

/* Bit per method, for 405 answers and CORS preflight. */
#define CINTO_M(m) (1u << (m))

/* Matches a path below /v1 ("/buckets/b"); returns 0 and fills route, or -1
 * when nothing matches (route->ep == CINTO_EP_NONE). */
int cinto_route_match(const char *path, cinto_route *route);
void cinto_route_free(cinto_route *route);
unsigned cinto_route_methods(enum cinto_endpoint ep);
/* "GET, HEAD, ..." for an Allow header. */
void cinto_route_allow(unsigned methods, char *out, size_t outlen);

#endif
