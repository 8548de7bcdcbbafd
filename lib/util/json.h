/* JSON in and out of the library, on json-c.
 *
 * Request bodies are parsed here and nowhere else, so every check on
 * untrusted JSON lives in one place: strict grammar, valid UTF-8, bounded
 * nesting, no NUL characters (keys are C strings in json-c and would be
 * truncated) and integers that are exact (json-c silently clamps those out
 * of the 64-bit ranges; we refuse them instead). */
#ifndef CINTO_UTIL_JSON_H
#define CINTO_UTIL_JSON_H

#include <json-c/json.h>
#include <stddef.h>

/* Deeper documents are refused; 512 levels must be accepted (issue #2). */
#define CINTO_JSON_MAX_DEPTH 1000

/* Parses exactly text[0..len) (text must be NUL-terminated at len). Returns
 * a new object, or NULL with a message for the client in err. The JSON
 * literal null is returned as NULL with err[0] == '\0'; *is_null tells
 * that case apart when is_null is given. */
json_object *cinto_json_parse(const char *text, size_t len, int *is_null, char *err, size_t errlen);

/* Serialization used for every response and for storage: compact, "/" not
 * escaped. The string belongs to obj. */
const char *cinto_json_dump(json_object *obj);
/* Same, with its length. */
const char *cinto_json_dump_len(json_object *obj, size_t *len);

/* Deep equality, key order ignored; numbers compare by value. */
int cinto_json_equal(json_object *a, json_object *b);

/* Object member lookups that tolerate obj being NULL or not an object. */
json_object *cinto_json_get(json_object *obj, const char *key);
const char *cinto_json_get_string(json_object *obj, const char *key);

/* True when obj is an integral number that fits int64 (not a boolean). */
int cinto_json_is_int64(json_object *obj, long long *out);

/* Total order used by filters and sorting (spec 02 §2.4):
 * null < string < number < boolean < array < object; a NULL pointer stands
 * for a missing field and sorts last. Returns <0, 0, >0. */
int cinto_json_compare(json_object *a, json_object *b);

/* Deep copy (json_object_deep_copy keeps our number texts). */
json_object *cinto_json_copy(json_object *obj);

/* The rank of a value's type in the cross-type order of spec 02 §2.6:
 * null (and NULL) 0, string 1, number 2, boolean 3, array 4, object 5. */
int cinto_json_type_rank(json_object *o);

#endif
