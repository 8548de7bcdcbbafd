/* Kinto's JSON Patch flavour (spec 03 §3.5.3, deviations D6-D7): the
 * operations edit {"data": ..., "permissions": ...} where each ACE is a map
 * principal -> principal, so that principals can be added and removed by
 * path. The patching itself is the generic engine of ops.c; this file only
 * builds the virtual document, interprets permission paths and turns the
 * result back into data and ACEs. */
#include "patch/ops.h"
#include "patch/patch.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

static const char PERMS_PREFIX[] = "/permissions/";

/* "read" and "write" exist for every kind, whatever the list says. */
static int perm_allowed(const char *name, const char *const *allowed)
{
    if (strcmp(name, "read") == 0 || strcmp(name, "write") == 0)
        return 1;
    for (size_t i = 0; allowed && allowed[i]; i++)
        if (strcmp(name, allowed[i]) == 0)
            return 1;
    return 0;
}

/* Adds principal -> principal to map. Returns 0, -1 (empty principal) or
 * -2 (no memory). */
static int map_put(json_object *map, const char *principal)
{
    json_object *s;
    if (principal[0] == '\0')
        return -1;
    s = json_object_new_string(principal);
    if (!s)
        return -2;
    if (json_object_object_add(map, principal, s) < 0) {
        json_object_put(s);
        return -2;
    }
    return 0;
}

/* Turns an ACE given as a list of principals, or already as a principal
 * map, into a fresh principal map. Returns 0, -1 (not a valid ACE) or -2. */
static int ace_to_map(json_object *ace, json_object **out)
{
    json_object *map = json_object_new_object();
    int rc = 0;
    if (!map)
        return -2;
    if (json_object_is_type(ace, json_type_array)) {
        size_t n = json_object_array_length(ace);
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_object *p = json_object_array_get_idx(ace, i);
            rc = json_object_is_type(p, json_type_string) ? map_put(map, json_object_get_string(p))
                                                          : -1;
        }
    } else if (json_object_is_type(ace, json_type_object)) {
        json_object_object_foreach(ace, key, val)
        {
            (void)val;
            rc = map_put(map, key);
            if (rc)
                break;
        }
    } else {
        rc = -1;
    }
    if (rc) {
        json_object_put(map);
        return rc;
    }
    *out = map;
    return 0;
}

/* Adds name -> {} to the virtual permissions unless present. */
static int ensure_ace(json_object *acl, const char *name)
{
    json_object *map;
    if (json_object_object_get_ex(acl, name, NULL))
        return 0;
    map = json_object_new_object();
    if (!map || json_object_object_add(acl, name, map) < 0) {
        json_object_put(map);
        return -2;
    }
    return 0;
}

/* {"read": {...}, "write": {...}, <stored ACEs of allowed names>}. */
static int build_acl(json_object *perms, const char *const *allowed, json_object **out)
{
    json_object *acl = json_object_new_object();
    int rc = 0;
    if (!acl)
        return -2;
    rc = ensure_ace(acl, "read");
    if (rc == 0)
        rc = ensure_ace(acl, "write");
    if (rc == 0 && json_object_is_type(perms, json_type_object)) {
        json_object_object_foreach(perms, name, ace)
        {
            json_object *map = NULL;
            if (!perm_allowed(name, allowed) || !json_object_is_type(ace, json_type_array))
                continue; /* not an ACE this kind can have */
            rc = ace_to_map(ace, &map);
            if (rc == -1) {
                rc = 0; /* a bad stored principal is dropped, not fatal */
                continue;
            }
            if (rc == 0 && json_object_object_add(acl, name, map) < 0) {
                json_object_put(map);
                rc = -2;
            }
            if (rc)
                break;
        }
    }
    if (rc) {
        json_object_put(acl);
        return rc;
    }
    *out = acl;
    return 0;
}

/* Builds {"data": copy of data, "permissions": acl}. */
static int build_virtual(json_object *data, json_object *perms, const char *const *allowed,
                         json_object **out)
{
    json_object *root = json_object_new_object();
    json_object *d = data ? cinto_json_copy(data) : json_object_new_object();
    json_object *acl = NULL;
    if (!root || !d || json_object_object_add(root, "data", d) < 0)
        goto oom;
    d = NULL;
    if (build_acl(perms, allowed, &acl) < 0 || json_object_object_add(root, "permissions", acl) < 0)
        goto oom;
    *out = root;
    return 0;
oom:
    json_object_put(d);
    json_object_put(acl);
    json_object_put(root);
    return -2;
}

/* What a parsed Kinto path designates. */
enum target { T_OTHER, T_ACL, T_ACE, T_PRINCIPAL };

static enum target target_of(const cinto_pointer *p)
{
    if (p->count == 0 || strcmp(p->tokens[0], "permissions") != 0)
        return T_OTHER;
    return p->count == 1 ? T_ACL : p->count == 2 ? T_ACE : T_PRINCIPAL;
}

/* Parses a Kinto path. Under "/permissions/<perm>/" everything left is one
 * principal, so both "~1buckets~1b~1groups~1g" and kinto.js's unescaped
 * "/buckets/b/groups/g" name the group (D7). The permission name must be one
 * of the kind. Returns 0, -1 (message in err) or -2. */
static int kinto_parse(const cinto_patch_op *op, const char *text, const char *const *allowed,
                       cinto_pointer *out, char *err, size_t errlen)
{
    size_t plen = sizeof PERMS_PREFIX - 1;
    int bad = 0;
    char *perm = NULL, *principal = NULL;
    int rc = -2;
    if (strncmp(text, PERMS_PREFIX, plen) != 0) {
        char why[256];
        rc = cinto_pointer_parse(text, out, why, sizeof why);
        if (rc == -1)
            cinto_patch_fail(err, errlen, "operation %zu (%s): %s", op->index, op->name, why);
        return rc;
    }
    const char *raw = text + plen;
    size_t rawlen = strcspn(raw, "/");
    perm = cinto_pointer_unescape(raw, rawlen, &bad);
    if (perm && raw[rawlen] == '/')
        principal = cinto_pointer_unescape(raw + rawlen + 1, strlen(raw + rawlen + 1), &bad);
    if (bad) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): path '%s' has an invalid '~' escape",
                         op->index, op->name, text);
        rc = -1;
    } else if (!perm || (raw[rawlen] == '/' && !principal)) {
        rc = -2;
    } else if (!perm_allowed(perm, allowed)) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): unknown permission '%.60s'", op->index,
                         op->name, perm);
        rc = -1;
    } else if (principal && principal[0] == '\0') {
        cinto_patch_fail(err, errlen, "operation %zu (%s): empty principal in '%s'", op->index,
                         op->name, text);
        rc = -1;
    } else if (cinto_pointer_push(out, "permissions") == 0 && cinto_pointer_push(out, perm) == 0 &&
               (!principal || cinto_pointer_push(out, principal) == 0)) {
        rc = 0;
    }
    free(perm);
    free(principal);
    if (rc)
        cinto_pointer_free(out);
    return rc;
}

/* A whole-ACL value {perm: [principals]} becomes {perm: {principal: ..}}. */
static int acl_value_to_maps(const cinto_patch_op *op, const char *const *allowed,
                             json_object **out, char *err, size_t errlen)
{
    json_object *acl;
    int rc = 0;
    if (!json_object_is_type(op->value, json_type_object)) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): permissions must be an object",
                         op->index, op->name);
        return -1;
    }
    acl = json_object_new_object();
    if (!acl)
        return -2;
    json_object_object_foreach(op->value, name, ace)
    {
        json_object *map = NULL;
        if (!perm_allowed(name, allowed)) {
            cinto_patch_fail(err, errlen, "operation %zu (%s): unknown permission '%.60s'",
                             op->index, op->name, name);
            rc = -1;
            break;
        }
        rc = ace_to_map(ace, &map);
        if (rc == -1)
            cinto_patch_fail(err, errlen,
                             "operation %zu (%s): permission '%.60s' must be a list of principals",
                             op->index, op->name, name);
        if (rc == 0 && json_object_object_add(acl, name, map) < 0) {
            json_object_put(map);
            rc = -2;
        }
        if (rc)
            break;
    }
    if (rc) {
        json_object_put(acl);
        return rc;
    }
    *out = acl;
    return 0;
}

/* Rewrites op's value where Kinto's conventions need it: the principal is
 * implied on principal paths (for every permission name, D7), and ACE
 * lists become principal maps so later operations can address principals
 * in them. */
static int adjust_value(cinto_patch_op *op, const char *const *allowed, char *err, size_t errlen)
{
    json_object *v = NULL;
    int rc = 0;
    if (op->kind != CINTO_PATCH_ADD && op->kind != CINTO_PATCH_REPLACE &&
        op->kind != CINTO_PATCH_TEST)
        return 0;
    switch (target_of(&op->path)) {
    case T_PRINCIPAL:
        v = json_object_new_string(op->path.tokens[2]);
        rc = v ? 0 : -2;
        break;
    case T_ACE:
        if (!op->has_value)
            return 0; /* reported by the value check */
        rc = ace_to_map(op->value, &v);
        if (rc == -1)
            cinto_patch_fail(err, errlen,
                             "operation %zu (%s): permission '%.60s' must be a list of principals",
                             op->index, op->name, op->path.tokens[1]);
        break;
    case T_ACL:
        if (!op->has_value)
            return 0;
        rc = acl_value_to_maps(op, allowed, &v, err, errlen);
        break;
    case T_OTHER:
        return 0;
    }
    if (rc == 0)
        cinto_patch_op_set_value(op, v);
    return rc;
}

static int read_all(json_object *ops, const char *const *allowed, cinto_patch_op *list, size_t n,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        cinto_patch_op *op = &list[i];
        int rc;
        /* Upstream's schema wants path and from to start with "/". */
        if (cinto_patch_op_read(ops, i, 0, op, err, errlen) < 0)
            return -1;
        rc = kinto_parse(op, op->path_text, allowed, &op->path, err, errlen);
        if (rc == 0 && op->from_text)
            rc = kinto_parse(op, op->from_text, allowed, &op->from, err, errlen);
        if (rc == 0)
            rc = adjust_value(op, allowed, err, errlen);
        if (rc == 0)
            rc = cinto_patch_op_check_value(op, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* kinto.js adds principals to permissions the object never had: create the
 * ACE so that the "add" has a parent (D7). */
static int prepare_target(json_object *root, const cinto_patch_op *op)
{
    json_object *acl;
    if (op->kind != CINTO_PATCH_ADD && op->kind != CINTO_PATCH_MOVE && op->kind != CINTO_PATCH_COPY)
        return 0;
    if (target_of(&op->path) != T_PRINCIPAL ||
        !json_object_object_get_ex(root, "permissions", &acl) ||
        !json_object_is_type(acl, json_type_object))
        return 0;
    return ensure_ace(acl, op->path.tokens[1]);
}

/* Turns a principal map (or list) back into a list of principals. */
static int map_to_list(json_object *ace, json_object **out)
{
    json_object *map = NULL, *list;
    int rc = ace_to_map(ace, &map);
    if (rc)
        return rc;
    list = json_object_new_array();
    if (!list) {
        json_object_put(map);
        return -2;
    }
    json_object_object_foreach(map, key, val)
    {
        (void)key;
        if (json_object_array_add(list, json_object_get(val)) < 0) {
            json_object_put(val);
            rc = -2;
            break;
        }
    }
    json_object_put(map);
    if (rc) {
        json_object_put(list);
        return rc;
    }
    *out = list;
    return 0;
}

/* Adds name -> [principals of acl[name]] ([] when absent) to out. */
static int emit_ace(json_object *acl, const char *name, json_object *out, char *err, size_t errlen)
{
    json_object *ace = NULL, *list = NULL;
    int rc;
    if (json_object_object_get_ex(out, name, NULL))
        return 0; /* listed twice in allowed_perms */
    if (json_object_object_get_ex(acl, name, &ace))
        rc = map_to_list(ace, &list);
    else
        rc = (list = json_object_new_array()) ? 0 : -2;
    if (rc == -1)
        cinto_patch_fail(err, errlen, "permission '%.60s' must be a list of principals", name);
    if (rc == 0 && json_object_object_add(out, name, list) < 0) {
        json_object_put(list);
        rc = -2;
    }
    return rc;
}

/* Splits the patched virtual document into data and the full ACL. */
static int extract(json_object *root, const char *const *allowed, json_object **new_data,
                   json_object **new_perms, char *err, size_t errlen)
{
    json_object *data = NULL, *acl = NULL, *out;
    int rc = 0;
    if (!json_object_object_get_ex(root, "data", &data) ||
        !json_object_is_type(data, json_type_object)) {
        cinto_patch_fail(err, errlen, "data must be an object");
        return -1;
    }
    /* A removed "permissions" means every ACE was emptied. */
    if (json_object_object_get_ex(root, "permissions", &acl) && acl &&
        !json_object_is_type(acl, json_type_object)) {
        cinto_patch_fail(err, errlen, "permissions must be an object");
        return -1;
    }
    if (acl) {
        json_object_object_foreach(acl, name, ace)
        {
            (void)ace;
            if (!perm_allowed(name, allowed)) {
                cinto_patch_fail(err, errlen, "unknown permission '%.60s'", name);
                return -1;
            }
        }
    }
    out = json_object_new_object();
    if (!out)
        return -2;
    rc = emit_ace(acl, "read", out, err, errlen);
    if (rc == 0)
        rc = emit_ace(acl, "write", out, err, errlen);
    for (size_t i = 0; rc == 0 && allowed && allowed[i]; i++)
        rc = emit_ace(acl, allowed[i], out, err, errlen);
    if (rc) {
        json_object_put(out);
        return rc;
    }
    *new_data = json_object_get(data);
    *new_perms = out;
    return 0;
}

int cinto_kinto_json_patch(json_object *data, json_object *perms, const char *const *allowed_perms,
                           json_object *ops, json_object **new_data, json_object **new_perms,
                           char *err, size_t errlen)
{
    cinto_patch_op *list = NULL;
    json_object *root = NULL;
    size_t n = 0;
    int rc;
    if (!json_object_is_type(ops, json_type_array)) {
        cinto_patch_fail(err, errlen, "the patch must be an array of operations");
        return -1;
    }
    n = json_object_array_length(ops);
    list = calloc(n ? n : 1, sizeof *list);
    if (!list)
        return cinto_patch_oom(err, errlen);
    rc = read_all(ops, allowed_perms, list, n, err, errlen);
    if (rc == 0)
        rc = build_virtual(data, perms, allowed_perms, &root);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = prepare_target(root, &list[i]);
        if (rc == 0)
            rc = cinto_patch_op_apply(&root, &list[i], err, errlen);
    }
    if (rc == 0)
        rc = extract(root, allowed_perms, new_data, new_perms, err, errlen);
    if (rc == -2)
        rc = cinto_patch_oom(err, errlen);
    json_object_put(root);
    for (size_t i = 0; i < n; i++)
        cinto_patch_op_clear(&list[i]);
    free(list);
    return rc;
}
