#include "api/router.h"
#include "api/handlers.h"
#include "api/resource.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Upstream's method lists (Cornice registers HEAD with GET and adds
 * OPTIONS for CORS): plural endpoints list HEAD first. */

const cinto_route_def cinto_core_routes[] = {
    {"/", CINTO_READ_METHODS, cinto_handle_hello, -1, 0, 0, NULL},
    {"/batch", "POST, OPTIONS", cinto_handle_batch, -1, 0, 0, NULL},
    {"/__heartbeat__", CINTO_READ_METHODS, cinto_handle_heartbeat, -1, 0, 0, NULL},
    {"/__lbheartbeat__", CINTO_READ_METHODS, cinto_handle_lbheartbeat, -1, 0, 0, NULL},
    {"/__version__", CINTO_READ_METHODS, cinto_handle_version, -1, 0, 0, NULL},
    {"/buckets", CINTO_PLURAL_METHODS, cinto_handle_resource, CINTO_KIND_BUCKET, 1,
     CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}", CINTO_OBJECT_METHODS, cinto_handle_resource, CINTO_KIND_BUCKET, 0,
     CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/groups", CINTO_PLURAL_METHODS, cinto_handle_resource, CINTO_KIND_GROUP, 1,
     CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/groups/{gid}", CINTO_OBJECT_METHODS, cinto_handle_resource, CINTO_KIND_GROUP,
     0, CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/collections", CINTO_PLURAL_METHODS, cinto_handle_resource,
     CINTO_KIND_COLLECTION, 1, CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/collections/{cid}", CINTO_OBJECT_METHODS, cinto_handle_resource,
     CINTO_KIND_COLLECTION, 0, CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/collections/{cid}/records", CINTO_PLURAL_METHODS, cinto_handle_resource,
     CINTO_KIND_RECORD, 1, CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/collections/{cid}/records/{rid}", CINTO_OBJECT_METHODS, cinto_handle_resource,
     CINTO_KIND_RECORD, 0, CINTO_NEEDS_STORAGE, NULL},
};
const size_t cinto_core_nroutes = sizeof cinto_core_routes / sizeof cinto_core_routes[0];

/* Walks a row's method list: returns its mask and, when out is given,
 * writes the names that are not excluded, in the row's order. */
static unsigned each_method(const char *list, unsigned excluded, char *out, size_t outlen)
{
    unsigned mask = 0;
    size_t n = 0;
    if (out)
        out[0] = '\0';
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ", ");
        for (int m = CINTO_GET; m < CINTO_METHOD_OTHER && len; m++) {
            const char *name = cinto_method_name((enum cinto_method)m);
            if (strlen(name) != len || strncmp(name, p, len) != 0)
                continue;
            mask |= CINTO_M(m);
            if (!out || (excluded & CINTO_M(m)) || n + len + 3 >= outlen)
                break;
            if (n) {
                memcpy(out + n, ", ", 2);
                n += 2;
            }
            memcpy(out + n, name, len + 1);
            n += len;
        }
        p += len;
        p += strspn(p, ", ");
    }
    return mask;
}

unsigned cinto_route_methods(const cinto_route_def *def)
{
    return each_method(def->methods, 0, NULL, 0);
}

void cinto_route_allow(const cinto_route_def *def, unsigned excluded, char *out, size_t outlen)
{
    each_method(def->methods, excluded & ~CINTO_M(CINTO_OPTIONS), out, outlen);
}

#define MAX_SEGMENTS 8

/* Splits "/a/b/c" into segments (pointers into path with lengths); an
 * empty segment (//) or too many fail the match. */
static int split(const char *path, const char **seg, size_t *len, size_t *n)
{
    *n = 0;
    if (*path != '/')
        return -1;
    const char *p = path + 1;
    if (!*p)
        return 0;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t l = slash ? (size_t)(slash - p) : strlen(p);
        if (l == 0 || *n == MAX_SEGMENTS)
            return -1;
        seg[*n] = p;
        len[*n] = l;
        (*n)++;
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

/* The route field a {name} placeholder binds. */
static char **slot(cinto_route *route, const char *name, size_t len)
{
    static const struct {
        const char *name;
        size_t offset;
    } slots[] = {{"bid", offsetof(cinto_route, bid)}, {"cid", offsetof(cinto_route, cid)},
                 {"gid", offsetof(cinto_route, gid)}, {"rid", offsetof(cinto_route, rid)},
                 {"aid", offsetof(cinto_route, aid)}, {"arg", offsetof(cinto_route, arg)}};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (len == 3 && strncmp(slots[i].name, name, 3) == 0)
            return (char **)((char *)route + slots[i].offset);
    return NULL;
}

/* Whether the segments match a pattern, without binding anything. */
static int matches(const char *pattern, const char *const *seg, const size_t *len, size_t n)
{
    const char *p = pattern + 1;
    size_t i = 0;
    while (*p) {
        size_t pl = strcspn(p, "/");
        if (i == n)
            return 0;
        int placeholder = pl > 2 && p[0] == '{' && p[pl - 1] == '}';
        if (!placeholder && (pl != len[i] || strncmp(p, seg[i], pl) != 0))
            return 0;
        i++;
        p += pl;
        if (*p == '/')
            p++;
    }
    return i == n;
}

static int bind(const char *pattern, const char *const *seg, const size_t *len, cinto_route *route)
{
    const char *p = pattern + 1;
    for (size_t i = 0; *p; i++) {
        size_t pl = strcspn(p, "/");
        if (pl > 2 && p[0] == '{' && p[pl - 1] == '}') {
            char **field = slot(route, p + 1, pl - 2);
            if (field && !(*field = strndup(seg[i], len[i])))
                return -1;
        }
        p += pl;
        if (*p == '/')
            p++;
    }
    return 0;
}

int cinto_route_match(const cinto_route_def *const *defs, size_t n, const char *path,
                      cinto_route *route)
{
    const char *seg[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS], nseg = 0;
    memset(route, 0, sizeof *route);
    if (split(path, seg, len, &nseg) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!matches(defs[i]->pattern, seg, len, nseg))
            continue;
        if (bind(defs[i]->pattern, seg, len, route) < 0) {
            cinto_route_free(route);
            return -1;
        }
        route->def = defs[i];
        return (int)i;
    }
    return -1;
}

void cinto_route_free(cinto_route *route)
{
    free(route->bid);
    free(route->cid);
    free(route->gid);
    free(route->rid);
    free(route->aid);
    free(route->arg);
    memset(route, 0, sizeof *route);
}
