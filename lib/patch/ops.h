/* Internal to lib/patch: one JSON Patch operation, read from its JSON form
 * and applied to a document. Shared by the generic RFC 6902 entry point and
 * Kinto's permission-aware flavour, which differ only in how they turn path
 * texts into pointers and in which values they imply. */
#ifndef CINTO_PATCH_OPS_H
#define CINTO_PATCH_OPS_H

#include "patch/pointer.h"

#include <json-c/json.h>
#include <stddef.h>

typedef enum cinto_patch_kind {
    CINTO_PATCH_TEST,
    CINTO_PATCH_ADD,
    CINTO_PATCH_REMOVE,
    CINTO_PATCH_REPLACE,
    CINTO_PATCH_MOVE,
    CINTO_PATCH_COPY
} cinto_patch_kind;

typedef struct cinto_patch_op {
    size_t index; /* position in the array, for messages */
    cinto_patch_kind kind;
    const char *name;      /* "add", ... (static) */
    const char *path_text; /* borrowed from the operation object */
    const char *from_text; /* NULL when absent */
    cinto_pointer path;
    cinto_pointer from;
    int has_value;
    json_object *value; /* borrowed from the operation, or == owned */
    json_object *owned; /* a value the caller substituted; released by _clear */
} cinto_patch_op;

/* Checks the shape of ops[index] and fills op (pointers left empty):
 * object with only op/path/from/value, a known op, string path and from
 * ("" allowed only when allow_root), from present for move/copy. Whether
 * value is present is not checked here (Kinto implies some). Returns 0 or
 * -1 with a client message in err. */
int cinto_patch_op_read(json_object *ops, size_t index, int allow_root, cinto_patch_op *op,
                        char *err, size_t errlen);

/* Fails unless op carries a value when its kind needs one. */
int cinto_patch_op_check_value(const cinto_patch_op *op, char *err, size_t errlen);

/* Replaces op's value with v (ownership taken, NULL = JSON null). */
void cinto_patch_op_set_value(cinto_patch_op *op, json_object *v);

/* Releases what op owns. */
void cinto_patch_op_clear(cinto_patch_op *op);

/* Applies op to *root (which may be replaced). Returns 0; -1 when the
 * operation fails (client message in err, *root possibly half-modified:
 * callers work on a copy); -2 when memory ran out. */
int cinto_patch_op_apply(json_object **root, const cinto_patch_op *op, char *err, size_t errlen);

/* Writes CINTO_PATCH_ERR_PREFIX followed by the formatted text. */
void cinto_patch_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* err = "out of memory"; returns -1 for the caller's convenience. */
int cinto_patch_oom(char *err, size_t errlen);

#endif
