/* Private structures of the schema module, shared by the compiler
 * (schema.c) and the evaluator (validate.c). */
#ifndef CINTO_SCHEMA_INTERNAL_H
#define CINTO_SCHEMA_INTERNAL_H

#include "schema/number.h"
#include "schema/schema.h"

#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/* Drafts in chronological order, so ranges can be compared. */
enum cinto_sdraft { SD_4 = 1, SD_6, SD_7, SD_2019, SD_2020 };

/* Vocabularies of 2019-09/2020-12; earlier drafts enable all of them. In
 * 2019-09 the unevaluated keywords belong to the applicator vocabulary,
 * which the compiler expresses by setting both bits together. */
enum {
    SV_CORE = 1,
    SV_APPLICATOR = 2,
    SV_UNEVALUATED = 4,
    SV_VALIDATION = 8,
    SV_OTHER = 16, /* meta-data, format, content: annotations only */
    SV_ALL = 31,
};

/* Bump allocator owning everything a compiled schema points to, so that
 * freeing it is one walk over a few blocks. */
struct cinto_arena_block;
typedef struct cinto_arena {
    struct cinto_arena_block *head;
} cinto_arena;

void *cinto_arena_alloc(cinto_arena *a, size_t n); /* zeroed */
char *cinto_arena_strndup(cinto_arena *a, const char *s, size_t n);
void cinto_arena_free(cinto_arena *a);

struct cinto_snode;

struct cinto_dyn_anchor {
    const char *name;
    json_object *json;
    struct cinto_snode *node;
};

/* A schema resource: a document root or a subschema with its own id. The
 * dynamic scope of evaluation is a stack of these. */
struct cinto_sres {
    const char *uri; /* absolute, without fragment ("" for an anonymous root) */
    json_object *json;
    int draft;
    unsigned vocab;
    int recursive_anchor; /* 2019-09 "$recursiveAnchor": true at its root */
    struct cinto_snode *root;
    struct cinto_dyn_anchor *dyn; /* 2020-12 "$dynamicAnchor"s inside it */
    size_t ndyn, capdyn;
};

enum cinto_kw {
    KW_REF,
    KW_DYNAMIC_REF,
    KW_RECURSIVE_REF,
    KW_TYPE,
    KW_ENUM,
    KW_CONST,
    KW_MULTIPLE_OF,
    KW_MAXIMUM,
    KW_EXCLUSIVE_MAXIMUM,
    KW_MINIMUM,
    KW_EXCLUSIVE_MINIMUM,
    KW_MAX_LENGTH,
    KW_MIN_LENGTH,
    KW_PATTERN,
    KW_MAX_ITEMS,
    KW_MIN_ITEMS,
    KW_UNIQUE_ITEMS,
    KW_MAX_PROPERTIES,
    KW_MIN_PROPERTIES,
    KW_REQUIRED,
    KW_DEPENDENT_REQUIRED,
    KW_PROPERTIES,
    KW_PATTERN_PROPERTIES,
    KW_ADDITIONAL_PROPERTIES,
    KW_PROPERTY_NAMES,
    KW_DEPENDENT_SCHEMAS,
    KW_DEPENDENCIES,
    KW_ITEMS,       /* schema form */
    KW_ITEMS_ARRAY, /* array form (drafts 4 to 2019-09) */
    KW_PREFIX_ITEMS,
    KW_ADDITIONAL_ITEMS,
    KW_CONTAINS,
    KW_ALL_OF,
    KW_ANY_OF,
    KW_ONE_OF,
    KW_NOT,
    KW_IF,
    KW_UNEVALUATED_PROPERTIES,
    KW_UNEVALUATED_ITEMS,
};

/* JSON types as a bit set for "type". */
enum {
    ST_NULL = 1,
    ST_BOOLEAN = 2,
    ST_OBJECT = 4,
    ST_ARRAY = 8,
    ST_NUMBER = 16,
    ST_INTEGER = 32,
    ST_STRING = 64,
};

struct cinto_named_node {
    const char *name;
    size_t len;
    struct cinto_snode *node;
};

struct cinto_pattern_node {
    const char *source;
    pcre2_code *re;
    struct cinto_snode *node;
};

/* One entry of dependentRequired / dependentSchemas / dependencies. */
struct cinto_dep {
    const char *name;
    const char **required; /* when the dependency is a list of names */
    size_t nrequired;
    struct cinto_snode *schema; /* when it is a schema */
};

struct cinto_sop {
    enum cinto_kw kw;
    const char *name;   /* the keyword as written */
    json_object *value; /* its value, inside a document the schema owns */
    union {
        unsigned types;
        struct {
            cinto_num num;
            int exclusive; /* draft-04 boolean exclusiveMaximum/Minimum */
        } limit;
        uint64_t count;
        pcre2_code *re;
        struct cinto_snode *sub;
        struct {
            struct cinto_snode **v;
            size_t n;
        } list;
        struct {
            struct cinto_named_node *v;      /* schema order */
            struct cinto_named_node *sorted; /* by name, for lookups */
            size_t n;
        } props;
        struct {
            struct cinto_pattern_node *v;
            size_t n;
        } pats;
        struct {
            const char **v;
            size_t n;
        } strs;
        struct {
            struct cinto_dep *v;
            size_t n;
        } deps;
        struct {
            struct cinto_snode *target;
            const char *anchor; /* $dynamicRef: the anchor searched dynamically */
            int dynamic;        /* $dynamicRef/$recursiveRef: resolve in the scope */
        } ref;
        struct {
            struct cinto_snode *cond, *then_, *else_;
        } cond;
        struct {
            struct cinto_snode *sub;
            uint64_t min, max; /* minContains, maxContains (UINT64_MAX: none) */
            const struct cinto_sop *min_op, *max_op;
        } contains;
    } u;
};

enum { SN_OBJECT, SN_TRUE, SN_FALSE };

struct cinto_snode {
    int kind;
    int draft;
    const struct cinto_sres *res; /* the resource this subschema belongs to */
    json_object *json;
    struct cinto_sop *ops;
    size_t nops;
    int has_uneval; /* collects annotations for unevaluated* */
    /* Siblings that other keywords consult. */
    const struct cinto_sop *properties, *pattern_properties;
    size_t prefix;   /* items covered by prefixItems / array-form items */
    int items_array; /* array-form items present (additionalItems applies) */
};

struct cinto_schema {
    cinto_arena arena;
    struct cinto_snode *root;
    json_object **docs; /* documents the nodes point into */
    size_t ndocs;
    pcre2_code **regexes;
    size_t nregexes;
    pcre2_match_context *mctx;
    struct cinto_sres **res;
    size_t nres;
};

/* ---- regex.c ---- */

/* Compiles an ECMA-262 pattern with PCRE2, after translating the constructs
 * whose meaning differs. NULL with a message on error. */
pcre2_code *cinto_regex_compile(const char *src, size_t len, char *err, size_t errlen);
/* The translation alone (malloc'd), for tests. */
char *cinto_regex_translate(const char *src, size_t len, char *err, size_t errlen);
/* A match context bounding the work of one match. */
pcre2_match_context *cinto_regex_match_context(void);

/* ---- uri.c ---- */

/* RFC 3986 §5.2 reference resolution; malloc'd result or NULL (memory). */
char *cinto_uri_resolve(const char *base, const char *ref);
/* Length of uri without its fragment. */
size_t cinto_uri_strip_fragment(const char *uri);
/* Percent-decodes s[0..n) into a malloc'd string. */
char *cinto_uri_pct_decode(const char *s, size_t n);

/* ---- repr.c ---- */

#include "util/buf.h"

/* Appends Python's repr() of a JSON value (strings in quotes, True, None,
 * {'a': 1}) to b, giving up with "..." after roughly max bytes. */
int cinto_repr(cinto_buf *b, json_object *v, size_t max);
/* Python's repr() of a string. */
int cinto_repr_str(cinto_buf *b, const char *s, size_t len);

/* ---- metaschemas (generated) ---- */

/* The text of a built-in meta-schema for an absolute URI without fragment,
 * parsed into a new object, or NULL. */
json_object *cinto_schema_builtin(const char *uri);

#endif
