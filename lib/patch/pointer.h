/* JSON Pointer (RFC 6901): parsing into unescaped reference tokens and
 * lookups in a json-c document.
 *
 * json-c stores the JSON literal null as a NULL pointer, so a lookup cannot
 * answer "not found" with NULL: the functions below return a found flag and
 * hand the value back through an out parameter. */
#ifndef CINTO_PATCH_POINTER_H
#define CINTO_PATCH_POINTER_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct cinto_pointer {
    char **tokens; /* unescaped reference tokens, each NUL-terminated */
    size_t count;  /* 0 for the whole document ("") */
} cinto_pointer;

#define CINTO_POINTER_INIT                                                                         \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Unescapes one reference token text[0..len): "~1" -> "/", "~0" -> "~";
 * any other "~" sequence is an error. Returns a new string (caller frees),
 * or NULL with *bad set to 1 for a bad escape, 0 when memory ran out. */
char *cinto_pointer_unescape(const char *text, size_t len, int *bad);

/* Parses text (NUL-terminated) into out. The pointer must be "" or start
 * with "/". Returns 0; -1 for a syntax error (message in err); -2 when
 * memory ran out. out is always safe to give to cinto_pointer_free. */
int cinto_pointer_parse(const char *text, cinto_pointer *out, char *err, size_t errlen);

/* Releases the tokens; p stays usable as an empty pointer. */
void cinto_pointer_free(cinto_pointer *p);

/* Appends one token (copied). Returns 0, -1 when memory ran out. */
int cinto_pointer_push(cinto_pointer *p, const char *token);

/* Strict RFC 6901 array index: "0" or digits without a leading zero that
 * fit size_t. Returns 0 with *out set, -1 otherwise ("-" included). */
int cinto_pointer_index(const char *token, size_t *out);

/* Follows the first depth tokens of p from doc (depth > p->count is
 * clamped). Returns 1 and sets *out (borrowed; NULL means JSON null) when
 * the location exists, 0 when it does not. */
int cinto_pointer_get(json_object *doc, const cinto_pointer *p, size_t depth, json_object **out);

/* Parses and follows text in one go. Returns 1 (found, *out borrowed), 0
 * (not found), -1 (bad pointer) or -2 (out of memory). */
int cinto_pointer_resolve(json_object *doc, const char *text, json_object **out);

/* True when a is a proper prefix of b (b points strictly inside a). */
int cinto_pointer_is_proper_prefix(const cinto_pointer *a, const cinto_pointer *b);

#endif
