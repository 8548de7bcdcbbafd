#include "api/router.h"

#include <stdlib.h>
#include <string.h>

#define M_READ (CINTO_M(CINTO_GET) | CINTO_M(CINTO_HEAD))
#define M_PLURAL (M_READ | CINTO_M(CINTO_POST) | CINTO_M(CINTO_DELETE))
#define M_OBJECT (M_READ | CINTO_M(CINTO_PUT) | CINTO_M(CINTO_PATCH) | CINTO_M(CINTO_DELETE))

static const unsigned endpoint_methods[CINTO_EP_COUNT] = {
    [CINTO_EP_NONE] = 0,
    [CINTO_EP_ROOT] = M_READ,
    [CINTO_EP_BATCH] = CINTO_M(CINTO_POST),
    [CINTO_EP_BUCKETS] = M_PLURAL,
    [CINTO_EP_BUCKET] = M_OBJECT,
    [CINTO_EP_GROUPS] = M_PLURAL,
    [CINTO_EP_GROUP] = M_OBJECT,
    [CINTO_EP_COLLECTIONS] = M_PLURAL,
    [CINTO_EP_COLLECTION] = M_OBJECT,
    [CINTO_EP_RECORDS] = M_PLURAL,
    [CINTO_EP_RECORD] = M_OBJECT,
    [CINTO_EP_HEARTBEAT] = M_READ,
    [CINTO_EP_LBHEARTBEAT] = M_READ,
    [CINTO_EP_VERSION] = M_READ,
    [CINTO_EP_ACCOUNTS] = M_PLURAL,
    [CINTO_EP_ACCOUNT] = M_OBJECT,
};

unsigned cinto_route_methods(enum cinto_endpoint ep)
{
    return endpoint_methods[ep];
}

void cinto_route_allow(unsigned methods, char *out, size_t outlen)
{
    static const enum cinto_method order[] = {CINTO_DELETE, CINTO_GET,  CINTO_HEAD,
                                              CINTO_PATCH,  CINTO_POST, CINTO_PUT};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(methods & CINTO_M(order[i])))
            continue;
        const char *name = cinto_method_name(order[i]);
        size_t len = strlen(name);
        if (n + len + 3 >= outlen)
            break;
        if (n) {
            memcpy(out + n, ", ", 2);
            n += 2;
        }
        memcpy(out + n, name, len + 1);
        n += len;
    }
}

#define MAX_SEGMENTS 8

/* Splits "/a/b/c" into segments; an empty segment (//) fails the match. */
static int split(const char *path, char **seg, size_t *n)
{
    *n = 0;
    if (*path != '/')
        return -1;
    const char *p = path + 1;
    if (!*p)
        return 0;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || *n == MAX_SEGMENTS)
            return -1;
        seg[*n] = strndup(p, len);
        if (!seg[*n])
            return -1;
        (*n)++;
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

int cinto_route_match(const char *path, cinto_route *route)
{
    char *seg[MAX_SEGMENTS];
    size_t n = 0;
    memset(route, 0, sizeof *route);
    int ok = split(path, seg, &n) == 0;
    enum cinto_endpoint ep = CINTO_EP_NONE;
    if (!ok) {
        /* fall through to cleanup */
    } else if (n == 0) {
        ep = CINTO_EP_ROOT;
    } else if (n == 1) {
        if (strcmp(seg[0], "buckets") == 0)
            ep = CINTO_EP_BUCKETS;
        else if (strcmp(seg[0], "batch") == 0)
            ep = CINTO_EP_BATCH;
        else if (strcmp(seg[0], "__heartbeat__") == 0)
            ep = CINTO_EP_HEARTBEAT;
        else if (strcmp(seg[0], "__lbheartbeat__") == 0)
            ep = CINTO_EP_LBHEARTBEAT;
        else if (strcmp(seg[0], "__version__") == 0)
            ep = CINTO_EP_VERSION;
        else if (strcmp(seg[0], "accounts") == 0)
            ep = CINTO_EP_ACCOUNTS;
    } else if (n == 2 && strcmp(seg[0], "accounts") == 0) {
        ep = CINTO_EP_ACCOUNT;
        route->aid = seg[1];
        seg[1] = NULL;
    } else if (strcmp(seg[0], "buckets") == 0) {
        route->bid = seg[1];
        seg[1] = NULL;
        if (n == 2)
            ep = CINTO_EP_BUCKET;
        else if (n == 3 && strcmp(seg[2], "groups") == 0)
            ep = CINTO_EP_GROUPS;
        else if (n == 3 && strcmp(seg[2], "collections") == 0)
            ep = CINTO_EP_COLLECTIONS;
        else if (n == 4 && strcmp(seg[2], "groups") == 0) {
            ep = CINTO_EP_GROUP;
            route->gid = seg[3];
            seg[3] = NULL;
        } else if (n >= 4 && strcmp(seg[2], "collections") == 0) {
            route->cid = seg[3];
            seg[3] = NULL;
            if (n == 4)
                ep = CINTO_EP_COLLECTION;
            else if (n == 5 && strcmp(seg[4], "records") == 0)
                ep = CINTO_EP_RECORDS;
            else if (n == 6 && strcmp(seg[4], "records") == 0) {
                ep = CINTO_EP_RECORD;
                route->rid = seg[5];
                seg[5] = NULL;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(seg[i]);
    route->ep = ep;
    if (ep == CINTO_EP_NONE) {
        cinto_route_free(route);
        return -1;
    }
    return 0;
}

void cinto_route_free(cinto_route *route)
{
    free(route->bid);
    free(route->cid);
    free(route->gid);
    free(route->rid);
    free(route->aid);
    memset(route, 0, sizeof *route);
}
