/* RFC 7396 merge patch and the generic RFC 6902 entry point. */
#include "patch/patch.h"
#include "patch/ops.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- RFC 7396 ---------------------------------------------------------- */

/* Puts the merge of patch into *slot (which is replaced when it is not an
 * object). Recursion depth is bounded by the parser's nesting limit. */
static int merge_into(json_object **slot, json_object *patch)
{
    if (!json_object_is_type(patch, json_type_object)) {
        /* Arrays and scalars replace whatever was there. */
        json_object *c = cinto_json_copy(patch);
        if (patch && !c)
            return -1;
        json_object_put(*slot);
        *slot = c;
        return 0;
    }
    if (!json_object_is_type(*slot, json_type_object)) {
        /* RFC 7396 merges into {} when the target is not an object (D5). */
        json_object *o = json_object_new_object();
        if (!o)
            return -1;
        json_object_put(*slot);
        *slot = o;
    }
    json_object_object_foreach(patch, key, val)
    {
        json_object *child = NULL;
        if (!val) {
            json_object_object_del(*slot, key); /* null removes; absent is fine */
            continue;
        }
        if (json_object_object_get_ex(*slot, key, &child) &&
            json_object_is_type(child, json_type_object) &&
            json_object_is_type(val, json_type_object)) {
            if (merge_into(&child, val) < 0) /* in place: child stays an object */
                return -1;
            continue;
        }
        child = NULL;
        if (merge_into(&child, val) < 0 || json_object_object_add(*slot, key, child) < 0) {
            json_object_put(child);
            return -1;
        }
    }
    return 0;
}

int cinto_merge_patch(json_object **target, json_object *patch)
{
    int rc;
    json_object *own;
    if (!patch || patch != *target)
        return merge_into(target, patch);
    /* The same object on both sides: read from a copy, since merging
     * deletes members (nulls) from the object being iterated. */
    own = cinto_json_copy(patch);
    if (!own)
        return -1;
    rc = merge_into(target, own);
    json_object_put(own);
    return rc;
}

/* ---- RFC 6902 ---------------------------------------------------------- */

/* Parses one pointer member of op, turning syntax errors into client
 * messages. Returns 0, -1 (message in err) or -2 (out of memory). */
static int parse_member(const cinto_patch_op *op, const char *text, cinto_pointer *out, char *err,
                        size_t errlen)
{
    char why[256];
    int rc = cinto_pointer_parse(text, out, why, sizeof why);
    if (rc == -1)
        cinto_patch_fail(err, errlen, "operation %zu (%s): %s", op->index, op->name, why);
    return rc;
}

/* Reads and checks every operation before any is applied, so that a shape
 * error is reported as such even when an earlier operation would fail. */
static int read_all(json_object *ops, cinto_patch_op *list, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (cinto_patch_op_read(ops, i, 1, &list[i], err, errlen) < 0 ||
            cinto_patch_op_check_value(&list[i], err, errlen) < 0)
            return -1;
        rc = parse_member(&list[i], list[i].path_text, &list[i].path, err, errlen);
        if (rc == 0 && list[i].from_text)
            rc = parse_member(&list[i], list[i].from_text, &list[i].from, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cinto_json_patch(json_object **doc, json_object *ops, char *err, size_t errlen)
{
    cinto_patch_op *list = NULL;
    json_object *work = NULL;
    size_t n = 0;
    int rc = -1;
    if (!json_object_is_type(ops, json_type_array)) {
        cinto_patch_fail(err, errlen, "the patch must be an array of operations");
        return -1;
    }
    n = json_object_array_length(ops);
    list = calloc(n ? n : 1, sizeof *list);
    if (!list)
        return cinto_patch_oom(err, errlen);
    rc = read_all(ops, list, n, err, errlen);
    if (rc < 0)
        goto out;
    /* Atomicity: the operations run on a copy that replaces *doc only
     * when all of them succeeded. */
    work = cinto_json_copy(*doc);
    if (*doc && !work) {
        rc = -2;
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = cinto_patch_op_apply(&work, &list[i], err, errlen);
    if (rc == 0) {
        json_object_put(*doc);
        *doc = work;
        work = NULL;
    }
out:
    if (rc == -2)
        rc = cinto_patch_oom(err, errlen);
    json_object_put(work);
    for (size_t i = 0; i < n; i++)
        cinto_patch_op_clear(&list[i]);
    free(list);
    return rc;
}
