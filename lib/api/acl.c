/* Permission checks (spec 04 §4.4-4.6): the inheritance tree as a table,
 * settings grants, and the ACL rows already fetched for the request. */
#include "api/handlers.h"
#include "api/resource.h"

#include <stdio.h>
#include <string.h>

enum {
    B = CINTO_KIND_BUCKET,
    G = CINTO_KIND_GROUP,
    C = CINTO_KIND_COLLECTION,
    R = CINTO_KIND_RECORD,
    A = CINTO_KIND_ACCOUNT
};

typedef struct grant {
    int level; /* the kind whose ACE grants, -1 ends the list */
    const char *perm;
} grant;

typedef struct inherit_row {
    int kind;
    const char *perm;
    grant from[7];
} inherit_row;

/* "To hold perm on an object of kind, hold one of from[] on that ancestor
 * (or the object itself)." */
static const inherit_row inheritance[] = {
    {B, "write", {{B, "write"}, {-1, NULL}}},
    {B, "read", {{B, "write"}, {B, "read"}, {-1, NULL}}},
    {B,
     "read:attributes",
     {{B, "write"}, {B, "read"}, {B, "collection:create"}, {B, "group:create"}, {-1, NULL}}},
    {B, "collection:create", {{B, "write"}, {B, "collection:create"}, {-1, NULL}}},
    {B, "group:create", {{B, "write"}, {B, "group:create"}, {-1, NULL}}},
    {G, "write", {{B, "write"}, {G, "write"}, {-1, NULL}}},
    {G, "read", {{B, "write"}, {B, "read"}, {G, "write"}, {G, "read"}, {-1, NULL}}},
    {C, "write", {{B, "write"}, {C, "write"}, {-1, NULL}}},
    {C, "read", {{B, "write"}, {B, "read"}, {C, "write"}, {C, "read"}, {-1, NULL}}},
    {C,
     "read:attributes",
     {{B, "write"}, {B, "read"}, {C, "write"}, {C, "read"}, {C, "record:create"}, {-1, NULL}}},
    {C, "record:create", {{B, "write"}, {C, "write"}, {C, "record:create"}, {-1, NULL}}},
    {R, "write", {{B, "write"}, {C, "write"}, {R, "write"}, {-1, NULL}}},
    {R,
     "read",
     {{B, "write"}, {B, "read"}, {C, "write"}, {C, "read"}, {R, "write"}, {R, "read"}, {-1, NULL}}},
    {A, "write", {{A, "write"}, {-1, NULL}}},
    {A, "read", {{A, "write"}, {A, "read"}, {-1, NULL}}},
};

static const inherit_row *find_row(int kind, const char *perm)
{
    for (size_t i = 0; i < sizeof inheritance / sizeof inheritance[0]; i++)
        if (inheritance[i].kind == kind && strcmp(inheritance[i].perm, perm) == 0)
            return &inheritance[i];
    return NULL;
}

static int any_principal(const cinto_ctx *c, char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (cinto_has_principal(c, list[i]))
            return 1;
    return 0;
}

/* Settings key of a grant: "record:create" asked as a record -> "record_create",
 * "write" asked as a record -> "record_write" (spec 04 §4.6). */
static int settings_grant(cinto_rctx *r, const char *perm)
{
    const char *res = r->ki->name;
    size_t n = strlen(res);
    char key[128];
    if (strncmp(perm, res, n) == 0 && perm[n] == ':')
        snprintf(key, sizeof key, "%s_%s", res, perm + n + 1);
    else
        snprintf(key, sizeof key, "%s_%s", res, perm);
    return any_principal(r->c, cinto_app_grant(r->c->app, key));
}

int cinto_acl_has(const cinto_rctx *r, const char *uri, const char *perm)
{
    if (!uri)
        return 0;
    for (size_t i = 0; i < r->acl.count; i++) {
        const cinto_ace *a = &r->acl.items[i];
        if (strcmp(a->uri, uri) == 0 && strcmp(a->permission, perm) == 0 &&
            cinto_has_principal(r->c, a->principal))
            return 1;
    }
    return 0;
}

int cinto_perm_allowed(cinto_rctx *r, enum cinto_kind k, const char *perm)
{
    const inherit_row *row = find_row(k, perm);
    if (!row)
        return 0;
    for (const grant *g = row->from; g->level >= 0; g++)
        if (settings_grant(r, g->perm))
            return 1;
    for (const grant *g = row->from; g->level >= 0; g++)
        if (cinto_acl_has(r, r->uris[g->level], g->perm))
            return 1;
    return 0;
}

/* Root-level targets exist only in settings: bucket_create, bucket_read. */
int cinto_perm_root_allowed(cinto_rctx *r, const char *perm)
{
    char key[64];
    snprintf(key, sizeof key, "%s_%s", r->ki->name, perm);
    return any_principal(r->c, cinto_app_grant(r->c->app, key));
}

/* May the requester create an object of r->kind in its list? */
int cinto_perm_create_allowed(cinto_rctx *r)
{
    const cinto_kind_info *k = r->ki;
    if (!k->create_perm)
        return 0; /* nobody creates these (history entries) */
    if (k->parent_kind < 0)
        return cinto_perm_root_allowed(r, "create");
    return cinto_perm_allowed(r, (enum cinto_kind)k->parent_kind, k->create_perm);
}

/* The whole-list permission: perm ("read" or "write") on the parent. */
int cinto_perm_list_allowed(cinto_rctx *r, const char *perm)
{
    const cinto_kind_info *k = r->ki;
    if (k->parent_kind < 0)
        return cinto_perm_root_allowed(r, perm);
    return cinto_perm_allowed(r, (enum cinto_kind)k->parent_kind, perm);
}

json_object *cinto_acl_of(const cinto_rctx *r, const char *uri)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < r->acl.count; i++) {
        const cinto_ace *a = &r->acl.items[i];
        if (strcmp(a->uri, uri) != 0)
            continue;
        json_object *list;
        if (!json_object_object_get_ex(o, a->permission, &list)) {
            list = json_object_new_array();
            json_object_object_add(o, a->permission, list);
        }
        json_object_array_add(list, json_object_new_string(a->principal));
    }
    return o;
}
