/* The two standard ways of patching a JSON document, JSON Merge Patch
 * (RFC 7396) and JSON Patch (RFC 6902), plus Kinto's flavour of JSON Patch
 * that also edits the object's permissions (spec 03 §3.5.2-§3.5.3,
 * deviations D5-D7).
 *
 * Error messages meant for the client start with "JSON Patch operation
 * failed: " (the API layer adds "body: "). When memory runs out the
 * functions fail with err set to "out of memory" (no such prefix), which
 * the caller turns into a 500. */
#ifndef CINTO_PATCH_PATCH_H
#define CINTO_PATCH_PATCH_H

#include <json-c/json.h>
#include <stddef.h>

/* Prefix of every client-facing JSON Patch error message. */
#define CINTO_PATCH_ERR_PREFIX "JSON Patch operation failed: "

/* RFC 7396: applies patch to *target in place (may replace *target, e.g.
 * when the patch is not an object or target is not an object). Returns 0,
 * -1 on out of memory (then *target may be partly patched). *target and
 * patch are owned by the caller; the function takes no ownership of patch
 * (what it inserts is copied). NULL stands for JSON null on both sides. */
int cinto_merge_patch(json_object **target, json_object *patch);

/* RFC 6902 on a generic document, in place. *doc may be replaced (e.g.
 * "replace" at path ""). Each operation's shape is checked: op in
 * test/add/remove/replace/move/copy, path and from strings that are "" or
 * start with "/", value present where required, no other members. Returns
 * 0 on success, -1 on failure with a message in err. Atomic: on failure
 * *doc is unchanged. */
int cinto_json_patch(json_object **doc, json_object *ops, char *err, size_t errlen);

/* Kinto's flavour: applies ops to the virtual document
 *   {"data": <data>, "permissions": {<perm>: {<principal>: <principal>, ...}, ...}}
 * where perms is the stored ACL {perm: [principals...]} (NULL = none) and
 * allowed_perms the NULL-terminated permission names of the object's kind.
 * "read" and "write" are always present (possibly {}). Paths must start
 * with "/". In /permissions/<perm>/<rest>, <rest> is ONE principal after
 * ~1/~0 unescaping (so kinto.js's unescaped group URIs work), "value" is
 * implied (= the principal) and a missing ACE is created by "add". Unknown
 * permission names fail. "add /permissions/<perm>" takes an array (or a
 * principal map) and replaces that ACE; "add /permissions" takes
 * {perm: [..]} and replaces all of them.
 * On success returns 0 with *new_data (the patched data, a new reference,
 * always an object) and *new_perms ({perm: [principals...]} for EVERY
 * allowed permission name, [] for empty ones, new reference). On failure
 * returns -1 with err set and the outputs untouched. data and perms are
 * not modified. */
int cinto_kinto_json_patch(json_object *data, json_object *perms, const char *const *allowed_perms,
                           json_object *ops, json_object **new_data, json_object **new_perms,
                           char *err, size_t errlen);

#endif
