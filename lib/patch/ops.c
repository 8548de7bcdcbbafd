#include "patch/ops.h"
#include "patch/patch.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cinto_patch_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, errlen, "%s", CINTO_PATCH_ERR_PREFIX);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

int cinto_patch_oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

static const struct {
    const char *name;
    cinto_patch_kind kind;
} op_names[] = {
    {"test", CINTO_PATCH_TEST},       {"add", CINTO_PATCH_ADD},   {"remove", CINTO_PATCH_REMOVE},
    {"replace", CINTO_PATCH_REPLACE}, {"move", CINTO_PATCH_MOVE}, {"copy", CINTO_PATCH_COPY},
};

/* A pointer member must be a string without NUL (json-c keys are C
 * strings) that is "" (when allowed) or starts with "/". */
static const char *read_pointer_member(json_object *o, const char *key, size_t index,
                                       int allow_root, char *err, size_t errlen)
{
    json_object *v = cinto_json_get(o, key);
    if (!json_object_is_type(v, json_type_string)) {
        cinto_patch_fail(err, errlen, "operation %zu: '%s' must be a string", index, key);
        return NULL;
    }
    const char *s = json_object_get_string(v);
    if (strlen(s) != (size_t)json_object_get_string_len(v)) {
        cinto_patch_fail(err, errlen, "operation %zu: '%s' contains a NUL character", index, key);
        return NULL;
    }
    if (s[0] != '/' && !(allow_root && s[0] == '\0')) {
        cinto_patch_fail(err, errlen, "operation %zu: '%s' must start with '/'", index, key);
        return NULL;
    }
    return s;
}

/* Finds the operation kind from the "op" member. */
static int read_kind(json_object *o, cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *v = cinto_json_get(o, "op");
    if (!json_object_is_type(v, json_type_string)) {
        cinto_patch_fail(err, errlen, "operation %zu: 'op' must be a string", op->index);
        return -1;
    }
    const char *name = json_object_get_string(v);
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcmp(name, op_names[i].name) == 0) {
            op->kind = op_names[i].kind;
            op->name = op_names[i].name;
            return 0;
        }
    }
    cinto_patch_fail(err, errlen, "operation %zu: unknown op '%.40s'", op->index, name);
    return -1;
}

int cinto_patch_op_read(json_object *ops, size_t index, int allow_root, cinto_patch_op *op,
                        char *err, size_t errlen)
{
    json_object *o = json_object_array_get_idx(ops, index);
    memset(op, 0, sizeof *op);
    op->index = index;
    if (!json_object_is_type(o, json_type_object)) {
        cinto_patch_fail(err, errlen, "operation %zu is not an object", index);
        return -1;
    }
    /* Unknown members are refused (upstream's schema does the same), so a
     * typo such as "vaule" cannot pass unnoticed. */
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        if (strcmp(key, "op") && strcmp(key, "path") && strcmp(key, "from") &&
            strcmp(key, "value")) {
            cinto_patch_fail(err, errlen, "operation %zu: unexpected member '%.40s'", index, key);
            return -1;
        }
    }
    if (read_kind(o, op, err, errlen) < 0)
        return -1;
    op->path_text = read_pointer_member(o, "path", index, allow_root, err, errlen);
    if (!op->path_text)
        return -1;
    if (json_object_object_get_ex(o, "from", NULL)) {
        op->from_text = read_pointer_member(o, "from", index, allow_root, err, errlen);
        if (!op->from_text)
            return -1;
    } else if (op->kind == CINTO_PATCH_MOVE || op->kind == CINTO_PATCH_COPY) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): 'from' is required", index, op->name);
        return -1;
    }
    op->has_value = json_object_object_get_ex(o, "value", &op->value);
    return 0;
}

int cinto_patch_op_check_value(const cinto_patch_op *op, char *err, size_t errlen)
{
    int needs = op->kind == CINTO_PATCH_ADD || op->kind == CINTO_PATCH_REPLACE ||
                op->kind == CINTO_PATCH_TEST;
    if (needs && !op->has_value) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): 'value' is required", op->index,
                         op->name);
        return -1;
    }
    return 0;
}

void cinto_patch_op_set_value(cinto_patch_op *op, json_object *v)
{
    json_object_put(op->owned);
    op->owned = v;
    op->value = v;
    op->has_value = 1;
}

void cinto_patch_op_clear(cinto_patch_op *op)
{
    cinto_pointer_free(&op->path);
    cinto_pointer_free(&op->from);
    json_object_put(op->owned);
    op->owned = NULL;
    op->value = NULL;
}

/* Inserts value (ownership taken) at idx <= length, shifting the tail.
 * json-c 0.16 has no insert, and put_idx releases the element it
 * overwrites, so each moved element gets an extra reference first. */
static int array_insert(json_object *arr, size_t idx, json_object *value)
{
    size_t n = json_object_array_length(arr);
    if (json_object_array_add(arr, NULL) < 0) {
        json_object_put(value);
        return -1;
    }
    /* The array has room for n + 1 now: these puts never allocate. */
    for (size_t i = n; i > idx; i--)
        json_object_array_put_idx(arr, i, json_object_get(json_object_array_get_idx(arr, i - 1)));
    json_object_array_put_idx(arr, idx, value);
    return 0;
}

/* Finds the container holding the last token of path. */
static int get_parent(json_object *root, const cinto_pointer *path, const cinto_patch_op *op,
                      const char *text, json_object **parent, char *err, size_t errlen)
{
    if (!cinto_pointer_get(root, path, path->count - 1, parent)) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): path '%s' does not exist", op->index,
                         op->name, text);
        return -1;
    }
    if (!json_object_is_type(*parent, json_type_object) &&
        !json_object_is_type(*parent, json_type_array)) {
        cinto_patch_fail(err, errlen,
                         "operation %zu (%s): path '%s' is inside a value that is not an "
                         "object or an array",
                         op->index, op->name, text);
        return -1;
    }
    return 0;
}

/* Array index of the last token for anything but "add" ('-' refused). */
static int existing_index(json_object *arr, const char *token, const cinto_patch_op *op,
                          const char *text, size_t *idx, char *err, size_t errlen)
{
    if (cinto_pointer_index(token, idx) < 0) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): '%.40s' is not a valid array index",
                         op->index, op->name, token);
        return -1;
    }
    if (*idx >= json_object_array_length(arr)) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): index %zu out of range in '%s'",
                         op->index, op->name, *idx, text);
        return -1;
    }
    return 0;
}

/* RFC 6902 "add" of value (ownership taken in every case) at path. */
static int add_at(json_object **root, const cinto_pointer *path, const char *text,
                  json_object *value, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *parent;
    if (path->count == 0) {
        json_object_put(*root);
        *root = value;
        return 0;
    }
    if (get_parent(*root, path, op, text, &parent, err, errlen) < 0)
        goto fail;
    const char *last = path->tokens[path->count - 1];
    if (json_object_is_type(parent, json_type_object)) {
        if (json_object_object_add(parent, last, value) < 0) {
            json_object_put(value); /* json-c keeps no reference on failure */
            return -2;
        }
        return 0;
    }
    size_t idx, len = json_object_array_length(parent);
    if (strcmp(last, "-") == 0) {
        idx = len;
    } else if (cinto_pointer_index(last, &idx) < 0) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): '%.40s' is not a valid array index",
                         op->index, op->name, last);
        goto fail;
    } else if (idx > len) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): index %zu out of range in '%s'",
                         op->index, op->name, idx, text);
        goto fail;
    }
    return array_insert(parent, idx, value) < 0 ? -2 : 0;
fail:
    json_object_put(value);
    return -1;
}

/* RFC 6902 "remove". When taken is given it receives a reference to the
 * removed value (for "move"). */
static int remove_at(json_object *root, const cinto_pointer *path, const char *text,
                     json_object **taken, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *parent, *v;
    size_t idx;
    if (path->count == 0) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): cannot remove the whole document",
                         op->index, op->name);
        return -1;
    }
    if (get_parent(root, path, op, text, &parent, err, errlen) < 0)
        return -1;
    const char *last = path->tokens[path->count - 1];
    if (json_object_is_type(parent, json_type_object)) {
        if (!json_object_object_get_ex(parent, last, &v)) {
            cinto_patch_fail(err, errlen, "operation %zu (%s): path '%s' does not exist", op->index,
                             op->name, text);
            return -1;
        }
        if (taken)
            *taken = json_object_get(v);
        json_object_object_del(parent, last);
        return 0;
    }
    if (existing_index(parent, last, op, text, &idx, err, errlen) < 0)
        return -1;
    if (taken)
        *taken = json_object_get(json_object_array_get_idx(parent, idx));
    json_object_array_del_idx(parent, idx, 1);
    return 0;
}

/* RFC 6902 "replace": the target must exist; its position is kept. */
static int replace_at(json_object **root, const cinto_pointer *path, const char *text,
                      json_object *value, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *parent, *old;
    size_t idx;
    if (!cinto_pointer_get(*root, path, path->count, &old)) {
        cinto_patch_fail(err, errlen, "operation %zu (%s): path '%s' does not exist", op->index,
                         op->name, text);
        goto fail;
    }
    if (path->count == 0 || !cinto_pointer_get(*root, path, path->count - 1, &parent) ||
        json_object_is_type(parent, json_type_object))
        return add_at(root, path, text, value, op, err, errlen); /* members keep their place */
    if (existing_index(parent, path->tokens[path->count - 1], op, text, &idx, err, errlen) < 0)
        goto fail;
    if (json_object_array_put_idx(parent, idx, value) < 0) {
        json_object_put(value);
        return -2;
    }
    return 0;
fail:
    json_object_put(value);
    return -1;
}

/* Deep copy that tells JSON null (NULL in, NULL out) from lack of memory. */
static int copy_value(json_object *v, json_object **out)
{
    *out = cinto_json_copy(v);
    return (v && !*out) ? -1 : 0;
}

static int pointers_equal(const cinto_pointer *a, const cinto_pointer *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->tokens[i], b->tokens[i]) != 0)
            return 0;
    return 1;
}

static int apply_move(json_object **root, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *v = NULL;
    if (cinto_pointer_is_proper_prefix(&op->from, &op->path)) {
        cinto_patch_fail(err, errlen, "operation %zu (move): cannot move '%s' into its own child",
                         op->index, op->from_text);
        return -1;
    }
    if (!cinto_pointer_get(*root, &op->from, op->from.count, &v)) {
        cinto_patch_fail(err, errlen, "operation %zu (move): from '%s' does not exist", op->index,
                         op->from_text);
        return -1;
    }
    if (pointers_equal(&op->from, &op->path))
        return 0; /* moving a value onto itself changes nothing */
    if (remove_at(*root, &op->from, op->from_text, &v, op, err, errlen) < 0)
        return -1;
    return add_at(root, &op->path, op->path_text, v, op, err, errlen);
}

static int apply_test(json_object *root, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *v;
    if (!cinto_pointer_get(root, &op->path, op->path.count, &v)) {
        cinto_patch_fail(err, errlen, "operation %zu (test): path '%s' does not exist", op->index,
                         op->path_text);
        return -1;
    }
    if (!cinto_json_equal(v, op->value)) {
        cinto_patch_fail(err, errlen, "operation %zu (test): value at '%s' is not equal", op->index,
                         op->path_text);
        return -1;
    }
    return 0;
}

int cinto_patch_op_apply(json_object **root, const cinto_patch_op *op, char *err, size_t errlen)
{
    json_object *v = NULL;
    switch (op->kind) {
    case CINTO_PATCH_TEST:
        return apply_test(*root, op, err, errlen);
    case CINTO_PATCH_REMOVE:
        return remove_at(*root, &op->path, op->path_text, NULL, op, err, errlen);
    case CINTO_PATCH_MOVE:
        return apply_move(root, op, err, errlen);
    case CINTO_PATCH_ADD:
    case CINTO_PATCH_REPLACE:
        if (copy_value(op->value, &v) < 0)
            return -2;
        if (op->kind == CINTO_PATCH_ADD)
            return add_at(root, &op->path, op->path_text, v, op, err, errlen);
        return replace_at(root, &op->path, op->path_text, v, op, err, errlen);
    case CINTO_PATCH_COPY:
        if (!cinto_pointer_get(*root, &op->from, op->from.count, &v)) {
            cinto_patch_fail(err, errlen, "operation %zu (copy): from '%s' does not exist",
                             op->index, op->from_text);
            return -1;
        }
        if (copy_value(v, &v) < 0)
            return -2;
        return add_at(root, &op->path, op->path_text, v, op, err, errlen);
    }
    return -1;
}
