/* JSON Schema validation (drafts 4, 6, 7, 2019-09 and 2020-12) on json-c.
 *
 * A schema is compiled once into an immutable object: references are
 * resolved, regular expressions compiled and keyword values decoded, so
 * validation never looks at the schema text again and one compiled schema
 * can be shared by any number of validations (the API layer caches them).
 * The draft is chosen by the root's "$schema" (2020-12 when absent), and a
 * referenced resource with its own "$schema" keeps its own draft.
 *
 * Nothing is fetched from the network: the official meta-schemas are built
 * in (see metaschemas.h); any other absolute reference is unresolvable
 * unless a resolver is given to cinto_schema_compile_ex (tests use it to
 * serve the test suite's remotes from disk). "format" and the content
 * keywords are annotations only and never fail. */
#ifndef CINTO_SCHEMA_SCHEMA_H
#define CINTO_SCHEMA_SCHEMA_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct cinto_schema cinto_schema;

typedef struct cinto_schema_error {
    /* Instance location of the first failure, dotted: "title", "tags.0",
     * "" for the root. For cinto_schema_check, the location in the schema
     * document. */
    char path[512];
    /* Human text in Python jsonschema's wording, e.g. "'title' is a
     * required property", "1 is not of type 'string'". */
    char message[512];
    /* The name Kinto reports in details[].name (spec 05 §5.6), computed as
     * upstream does: the last element of the path; at the root, the last
     * element of the failing keyword's value when it is an array (so
     * "title" for required: ["title"]) or its last character when it is a
     * string, else the keyword. Like upstream, an error from a false
     * subschema is named after the location above it (or, at the root,
     * after the keyword that reached it: "properties" for
     * {"properties": {"a": false}}), while path says where it really is. */
    char field[256];
    /* The keyword that failed, e.g. "required" ("" for a false schema or an
     * internal error). */
    char keyword[64];
} cinto_schema_error;

/* Validation of nested applicators is bounded: deeper evaluation (a
 * self-referencing schema on a deeply nested instance, or a reference
 * loop) stops validation with -1. */
#define CINTO_SCHEMA_MAX_DEPTH 512

/* Compile (copies what it needs; schema may be freed after). NULL + message
 * on error (unresolvable $ref, invalid regex, not a schema). */
cinto_schema *cinto_schema_compile(json_object *schema, char *err, size_t errlen);
void cinto_schema_free(cinto_schema *s);

/* 0 valid, 1 invalid (err filled), -1 validation could not finish (limits
 * hit, regex resource limit; err filled). err may be NULL. */
int cinto_schema_validate(const cinto_schema *s, json_object *instance, cinto_schema_error *err);

/* Checks a schema document against the draft-07 meta-schema (Kinto does
 * this on collection/bucket writes, spec 05 §5.1) AND that it compiles.
 * 0 ok, 1 invalid (err filled with path+message), -1 internal error (out
 * of memory). A schema whose only fault is a $ref that cannot be resolved
 * passes, as upstream stores such schemas and fails the writes validated
 * against them (spec 05 §5.2): cinto_schema_compile reports it. */
int cinto_schema_check(json_object *schema, cinto_schema_error *err);

/* ---- Extended compilation (tests, tools) ---- */

typedef enum cinto_schema_draft {
    CINTO_SCHEMA_DRAFT_DEFAULT = 0, /* 2020-12 */
    CINTO_SCHEMA_DRAFT4,
    CINTO_SCHEMA_DRAFT6,
    CINTO_SCHEMA_DRAFT7,
    CINTO_SCHEMA_DRAFT2019_09,
    CINTO_SCHEMA_DRAFT2020_12,
} cinto_schema_draft;

/* Returns a new reference to the document at an absolute URI (without
 * fragment), or NULL when unknown. The compiler takes ownership. */
typedef json_object *(*cinto_schema_resolver)(const char *uri, void *ctx);

typedef struct cinto_schema_options {
    /* Draft used when the root schema has no (recognised) "$schema". */
    cinto_schema_draft default_draft;
    /* Consulted for absolute URIs that are not built-in meta-schemas. */
    cinto_schema_resolver resolver;
    void *resolver_ctx;
} cinto_schema_options;

/* Like cinto_schema_compile; opts may be NULL. */
cinto_schema *cinto_schema_compile_ex(json_object *schema, const cinto_schema_options *opts,
                                      char *err, size_t errlen);

#endif
