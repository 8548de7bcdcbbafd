/* The schema compiler.
 *
 * Compiling happens in two passes over each document (the user's schema,
 * and any meta-schema or test remote it references):
 *  1. indexing walks the subschemas reachable through applicator keywords,
 *     recording for each its base URI, draft and resource, and registering
 *     the resources ($id) and anchors ($anchor, $dynamicAnchor, "#name"
 *     ids) by absolute URI;
 *  2. compiling turns a subschema into a node: a list of decoded keyword
 *     operations, in the order the schema writes them (Python jsonschema
 *     reports the first failing keyword in that order).
 * "$ref" targets are queued and compiled from a work list rather than by
 * recursion, so long reference chains cannot exhaust the stack; cycles
 * are fine because a node is registered before its keywords are compiled.
 * Everything the compiled schema needs (nodes, strings, copies of the
 * documents) is owned by it; the indexes are dropped after compiling. */
#include "schema/internal.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest subschema nesting accepted in a schema document. */
#define WALK_MAX_DEPTH 500
/* Chains of custom meta-schemas followed to find a dialect. */
#define DIALECT_MAX_DEPTH 4

/* ---------------------------------------------------------------- arena */

struct cinto_arena_block {
    struct cinto_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

void *cinto_arena_alloc(cinto_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0)
        n = sizeof(max_align_t);
    struct cinto_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *cinto_arena_strndup(cinto_arena *a, const char *s, size_t n)
{
    char *p = cinto_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void cinto_arena_free(cinto_arena *a)
{
    struct cinto_arena_block *b = a->head;
    while (b) {
        struct cinto_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

static void *arena_cb(void *ctx, size_t n)
{
    return cinto_arena_alloc(ctx, n);
}

/* ------------------------------------------------------------ hash maps */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

/* Open addressing; keys are pointers (pointer maps) or NUL-terminated
 * strings that outlive the map (string maps). */
typedef struct hmap {
    struct hslot {
        const void *key;
        void *val;
    } * v;
    size_t cap, n;
    int strings;
} hmap;

static uint64_t hmap_hash(const hmap *m, const void *key)
{
    if (m->strings)
        return hash_bytes(key, strlen(key));
    uintptr_t p = (uintptr_t)key;
    return hash_bytes(&p, sizeof p);
}

static int hmap_eq(const hmap *m, const void *a, const void *b)
{
    return m->strings ? strcmp(a, b) == 0 : a == b;
}

static struct hslot *hmap_slot(const hmap *m, const void *key)
{
    size_t i = (size_t)hmap_hash(m, key) & (m->cap - 1);
    while (m->v[i].key && !hmap_eq(m, m->v[i].key, key))
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

static void *hmap_get(const hmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    struct hslot *s = hmap_slot(m, key);
    return s->key ? s->val : NULL;
}

static int hmap_has(const hmap *m, const void *key)
{
    return m->cap && hmap_slot(m, key)->key != NULL;
}

static int hmap_put(hmap *m, const void *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct hslot *old = m->v;
        size_t oldcap = m->cap;
        m->v = calloc(cap, sizeof *m->v);
        if (!m->v) {
            m->v = old;
            return -1;
        }
        m->cap = cap;
        m->n = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key) {
                *hmap_slot(m, old[i].key) = old[i];
                m->n++;
            }
        free(old);
    }
    struct hslot *s = hmap_slot(m, key);
    if (!s->key)
        m->n++;
    s->key = key;
    s->val = val;
    return 0;
}

static void hmap_free(hmap *m)
{
    free(m->v);
    m->v = NULL;
    m->cap = m->n = 0;
}

/* ------------------------------------------------------------- compiler */

enum { CE_NONE, CE_REF, CE_SCHEMA, CE_MEMORY };

/* What indexing learned about one subschema. */
struct entry {
    const char *base; /* base URI in effect inside it */
    int draft;
    unsigned vocab;
    struct cinto_sres *res;
    const char *loc; /* JSON pointer inside its document */
    struct cinto_snode *node;
};

struct pending {
    struct cinto_sop *op;
    json_object *target;
};

typedef struct comp {
    cinto_schema *s;
    cinto_schema_options opts;
    hmap index;     /* json_object* -> struct entry* */
    hmap resources; /* uri -> struct cinto_sres* */
    hmap anchors;   /* "uri#name" -> json_object* */
    hmap loaded;    /* uri -> document root, or &load_failed */
    struct pending *work;
    size_t nwork, capwork;
    int errkind;
    char *err;
    size_t errlen;
    char errloc[512]; /* dotted location of the fault in the root document */
    int dialect_depth;
} comp;

static char load_failed;

static int cfail(comp *c, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int cfail(comp *c, int kind, const char *fmt, ...)
{
    if (c->errkind != CE_NONE)
        return -1;
    c->errkind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(comp *c)
{
    return cfail(c, CE_MEMORY, "out of memory");
}

static char *cstrdup(comp *c, const char *s)
{
    char *p = cinto_arena_strndup(&c->s->arena, s, strlen(s));
    if (!p)
        oom(c);
    return p;
}

/* JSON pointer to dotted path ("/properties/a~1b" -> "properties.a/b"). */
static void loc_to_dotted(const char *loc, char *out, size_t outlen)
{
    size_t j = 0;
    if (outlen == 0)
        return;
    for (const char *p = loc; *p && j + 1 < outlen; p++) {
        if (*p == '/') {
            if (p != loc)
                out[j++] = '.';
        } else if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
            out[j++] = p[1] == '0' ? '~' : '/';
            p++;
        } else {
            out[j++] = *p;
        }
    }
    out[j] = '\0';
}

/* Reports a malformed keyword value, with where it is. */
static int bad_keyword(comp *c, const struct entry *e, const char *kw, const char *what)
{
    if (c->errkind != CE_NONE)
        return -1;
    char loc[600];
    snprintf(loc, sizeof loc, "%s/%s", e->loc, kw);
    loc_to_dotted(loc, c->errloc, sizeof c->errloc);
    return cfail(c, CE_SCHEMA, "Invalid schema: %s must be %s (at #%s)", kw, what, loc);
}

static int push_work(comp *c, struct cinto_sop *op, json_object *target)
{
    if (c->nwork == c->capwork) {
        size_t cap = c->capwork ? c->capwork * 2 : 32;
        struct pending *w = realloc(c->work, cap * sizeof *w);
        if (!w)
            return oom(c);
        c->work = w;
        c->capwork = cap;
    }
    c->work[c->nwork].op = op;
    c->work[c->nwork].target = target;
    c->nwork++;
    return 0;
}

/* ------------------------------------------------------------- dialects */

static const struct {
    const char *uri;
    int draft;
} known_dialects[] = {
    {"http://json-schema.org/draft-04/schema", SD_4},
    {"https://json-schema.org/draft-04/schema", SD_4},
    {"http://json-schema.org/draft-06/schema", SD_6},
    {"https://json-schema.org/draft-06/schema", SD_6},
    {"http://json-schema.org/draft-07/schema", SD_7},
    {"https://json-schema.org/draft-07/schema", SD_7},
    {"https://json-schema.org/draft/2019-09/schema", SD_2019},
    {"https://json-schema.org/draft/2020-12/schema", SD_2020},
};

static int default_draft(const comp *c)
{
    switch (c->opts.default_draft) {
    case CINTO_SCHEMA_DRAFT4:
        return SD_4;
    case CINTO_SCHEMA_DRAFT6:
        return SD_6;
    case CINTO_SCHEMA_DRAFT7:
        return SD_7;
    case CINTO_SCHEMA_DRAFT2019_09:
        return SD_2019;
    default:
        return SD_2020;
    }
}

static json_object *load_doc(comp *c, const char *uri, int draft, unsigned vocab);

/* The vocabularies a custom 2019-09/2020-12 meta-schema declares. */
static int vocab_from_decl(comp *c, json_object *decl, int draft, unsigned *vocab)
{
    const char *prefix = draft == SD_2019 ? "https://json-schema.org/draft/2019-09/vocab/"
                                          : "https://json-schema.org/draft/2020-12/vocab/";
    size_t np = strlen(prefix);
    unsigned v = SV_CORE;
    json_object_object_foreach(decl, uri, required)
    {
        const char *name = strncmp(uri, prefix, np) == 0 ? uri + np : "";
        if (strcmp(name, "core") == 0)
            v |= SV_CORE;
        else if (strcmp(name, "applicator") == 0)
            v |= SV_APPLICATOR | (draft == SD_2019 ? SV_UNEVALUATED : 0);
        else if (strcmp(name, "unevaluated") == 0)
            v |= SV_UNEVALUATED;
        else if (strcmp(name, "validation") == 0)
            v |= SV_VALIDATION;
        else if (strcmp(name, "meta-data") == 0 || strcmp(name, "format") == 0 ||
                 strcmp(name, "format-annotation") == 0 || strcmp(name, "format-assertion") == 0 ||
                 strcmp(name, "content") == 0)
            v |= SV_OTHER;
        else if (json_object_get_boolean(required))
            return cfail(c, CE_SCHEMA, "Unsupported required vocabulary: %s", uri);
    }
    *vocab = v;
    return 0;
}

/* Draft and vocabularies named by a "$schema" value. Unknown meta-schemas
 * that cannot be loaded mean the default draft, as upstream does. */
static int dialect_of(comp *c, const char *uri, int *draft, unsigned *vocab)
{
    size_t n = cinto_uri_strip_fragment(uri);
    for (size_t i = 0; i < sizeof known_dialects / sizeof known_dialects[0]; i++)
        if (strlen(known_dialects[i].uri) == n && strncmp(known_dialects[i].uri, uri, n) == 0) {
            *draft = known_dialects[i].draft;
            *vocab = SV_ALL;
            return 0;
        }
    *draft = default_draft(c);
    *vocab = SV_ALL;
    if (c->dialect_depth >= DIALECT_MAX_DEPTH)
        return 0;
    char *doc = strndup(uri, n);
    if (!doc)
        return oom(c);
    c->dialect_depth++;
    json_object *meta = load_doc(c, doc, *draft, *vocab);
    free(doc);
    int rc = 0;
    if (meta && json_object_is_type(meta, json_type_object)) {
        const char *parent = cinto_json_get_string(meta, "$schema");
        unsigned ignored;
        if (parent && strcmp(parent, uri) != 0)
            rc = dialect_of(c, parent, draft, &ignored);
        json_object *decl = cinto_json_get(meta, "$vocabulary");
        if (rc == 0 && *draft >= SD_2019 && decl && json_object_is_type(decl, json_type_object))
            rc = vocab_from_decl(c, decl, *draft, vocab);
    }
    c->dialect_depth--;
    return c->errkind == CE_NONE ? rc : -1;
}

/* ------------------------------------------------------------- indexing */

static struct cinto_sres *new_resource(comp *c, const char *uri, json_object *json, int draft,
                                       unsigned vocab)
{
    cinto_schema *s = c->s;
    struct cinto_sres *r = cinto_arena_alloc(&s->arena, sizeof *r);
    struct cinto_sres **v = realloc(s->res, (s->nres + 1) * sizeof *v);
    if (!r || !v) {
        if (v)
            s->res = v;
        oom(c);
        return NULL;
    }
    s->res = v;
    s->res[s->nres++] = r;
    r->uri = uri;
    r->json = json;
    r->draft = draft;
    r->vocab = vocab;
    if (!hmap_has(&c->resources, uri) && hmap_put(&c->resources, uri, r) < 0) {
        oom(c);
        return NULL;
    }
    return r;
}

static int add_anchor(comp *c, const char *base, const char *name, json_object *json)
{
    size_t n = strlen(base) + strlen(name) + 2;
    char *key = cinto_arena_alloc(&c->s->arena, n);
    if (!key)
        return oom(c);
    snprintf(key, n, "%s#%s", base, name);
    if (!hmap_has(&c->anchors, key) && hmap_put(&c->anchors, key, json) < 0)
        return oom(c);
    return 0;
}

static int add_dyn_anchor(comp *c, struct cinto_sres *r, const char *name, json_object *json)
{
    if (r->ndyn == r->capdyn) {
        size_t cap = r->capdyn ? r->capdyn * 2 : 4;
        struct cinto_dyn_anchor *v = cinto_arena_alloc(&c->s->arena, cap * sizeof *v);
        if (!v)
            return oom(c);
        if (r->ndyn)
            memcpy(v, r->dyn, r->ndyn * sizeof *v);
        r->dyn = v;
        r->capdyn = cap;
    }
    r->dyn[r->ndyn].name = name;
    r->dyn[r->ndyn].json = json;
    r->dyn[r->ndyn].node = NULL;
    r->ndyn++;
    return 0;
}

enum { SUB_NONE, SUB_ONE, SUB_LIST, SUB_MAP, SUB_ONE_OR_LIST };

/* Keywords whose values hold subschemas, in any draft: only these are
 * searched for identifiers (an "$id" inside "enum" is data). */
static int subschema_kind(const char *k)
{
    static const char *const one[] = {
        "additionalItems",
        "additionalProperties",
        "contains",
        "not",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    };
    static const char *const list[] = {"allOf", "anyOf", "oneOf", "prefixItems"};
    static const char *const map[] = {"properties", "patternProperties", "definitions",
                                      "$defs",      "dependentSchemas",  "dependencies"};
    if (strcmp(k, "items") == 0)
        return SUB_ONE_OR_LIST;
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (strcmp(k, one[i]) == 0)
            return SUB_ONE;
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (strcmp(k, list[i]) == 0)
            return SUB_LIST;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(k, map[i]) == 0)
            return SUB_MAP;
    return SUB_NONE;
}

typedef struct walkctx {
    const char *base;
    int draft;
    unsigned vocab;
    struct cinto_sres *res;
} walkctx;

static int walk(comp *c, json_object *j, walkctx w, int doc_root, cinto_buf *loc, int depth);

/* Appends a JSON pointer token (escaped) to loc. */
static int loc_push(cinto_buf *loc, const char *tok)
{
    if (cinto_buf_putc(loc, '/') < 0)
        return -1;
    for (const char *p = tok; *p; p++) {
        int rc = *p == '~'   ? cinto_buf_puts(loc, "~0")
                 : *p == '/' ? cinto_buf_puts(loc, "~1")
                             : cinto_buf_putc(loc, *p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void loc_pop(cinto_buf *loc, size_t len)
{
    loc->len = len;
    if (loc->data)
        loc->data[len] = '\0';
}

static int walk_child(comp *c, json_object *child, walkctx w, cinto_buf *loc, const char *tok,
                      int depth)
{
    size_t mark = loc->len;
    if (loc_push(loc, tok) < 0)
        return oom(c);
    int rc = walk(c, child, w, 0, loc, depth + 1);
    loc_pop(loc, mark);
    return rc;
}

static int walk_keywords(comp *c, json_object *j, walkctx w, cinto_buf *loc, int depth)
{
    json_object_object_foreach(j, key, val)
    {
        int kind = subschema_kind(key);
        if (kind == SUB_NONE || !val)
            continue;
        size_t mark = loc->len;
        if (loc_push(loc, key) < 0)
            return oom(c);
        int rc = 0;
        if ((kind == SUB_ONE || kind == SUB_ONE_OR_LIST) &&
            !json_object_is_type(val, json_type_array)) {
            rc = walk(c, val, w, 0, loc, depth + 1);
        } else if ((kind == SUB_LIST || kind == SUB_ONE_OR_LIST) &&
                   json_object_is_type(val, json_type_array)) {
            for (size_t i = 0; rc == 0 && i < json_object_array_length(val); i++) {
                char tok[24];
                snprintf(tok, sizeof tok, "%zu", i);
                rc = walk_child(c, json_object_array_get_idx(val, i), w, loc, tok, depth);
            }
        } else if (kind == SUB_MAP && json_object_is_type(val, json_type_object)) {
            json_object_object_foreach(val, name, sub)
            {
                if (rc == 0)
                    rc = walk_child(c, sub, w, loc, name, depth);
            }
        }
        loc_pop(loc, mark);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Handles "$id" (or "id"): a new base URI and resource, or, for a plain
 * "#name" in drafts 4 to 7, an anchor. */
static int walk_id(comp *c, json_object *j, walkctx *w, const char *id)
{
    if (w->draft <= SD_7 && id[0] == '#') {
        if (id[1])
            return add_anchor(c, w->base, id + 1, j);
        return 0;
    }
    char *abs = cinto_uri_resolve(w->base, id);
    if (!abs)
        return oom(c);
    size_t n = cinto_uri_strip_fragment(abs);
    char *uri = cinto_arena_strndup(&c->s->arena, abs, n);
    int rc = 0;
    if (!uri)
        rc = oom(c);
    else if (w->draft <= SD_7 && abs[n] == '#' && abs[n + 1] && abs[n + 1] != '/')
        rc = add_anchor(c, uri, abs + n + 1, j);
    free(abs);
    if (rc < 0)
        return -1;
    w->base = uri;
    w->res = new_resource(c, uri, j, w->draft, w->vocab);
    return w->res ? 0 : -1;
}

static int walk_anchors(comp *c, json_object *j, walkctx *w)
{
    const char *anchor = cinto_json_get_string(j, "$anchor");
    if (anchor && add_anchor(c, w->base, anchor, j) < 0)
        return -1;
    if (w->draft == SD_2020) {
        const char *dyn = cinto_json_get_string(j, "$dynamicAnchor");
        if (dyn && (add_anchor(c, w->base, dyn, j) < 0 || add_dyn_anchor(c, w->res, dyn, j) < 0))
            return -1;
    }
    if (w->draft == SD_2019 && w->res->json == j) {
        json_object *ra = cinto_json_get(j, "$recursiveAnchor");
        if (ra && json_object_is_type(ra, json_type_boolean) && json_object_get_boolean(ra))
            w->res->recursive_anchor = 1;
    }
    return 0;
}

static int walk(comp *c, json_object *j, walkctx w, int doc_root, cinto_buf *loc, int depth)
{
    if (depth > WALK_MAX_DEPTH)
        return cfail(c, CE_SCHEMA, "Invalid schema: nested more than %d levels deep",
                     WALK_MAX_DEPTH);
    if (!j || hmap_has(&c->index, j))
        return 0;
    int is_obj = json_object_is_type(j, json_type_object);
    if (!is_obj && !json_object_is_type(j, json_type_boolean))
        return 0;
    if (is_obj) {
        const char *idkw = w.draft == SD_4 ? "id" : "$id";
        const char *sch = cinto_json_get_string(j, "$schema");
        /* "$schema" counts at resource roots only. */
        if (sch && !doc_root && cinto_json_get_string(j, idkw) &&
            dialect_of(c, sch, &w.draft, &w.vocab) < 0)
            return -1;
        idkw = w.draft == SD_4 ? "id" : "$id";
        int ref_only = w.draft <= SD_7 && cinto_json_get(j, "$ref");
        const char *id = ref_only ? NULL : cinto_json_get_string(j, idkw);
        if (id && walk_id(c, j, &w, id) < 0)
            return -1;
    }
    if (doc_root && (!w.res || w.res->json != j)) {
        w.res = new_resource(c, w.base, j, w.draft, w.vocab);
        if (!w.res)
            return -1;
    }
    struct entry *e = cinto_arena_alloc(&c->s->arena, sizeof *e);
    if (!e)
        return oom(c);
    e->base = w.base;
    e->draft = w.draft;
    e->vocab = w.vocab;
    e->res = w.res;
    e->loc = cstrdup(c, cinto_buf_str(loc));
    if (!e->loc || hmap_put(&c->index, j, e) < 0)
        return oom(c);
    if (!is_obj || (w.draft <= SD_7 && cinto_json_get(j, "$ref")))
        return 0;
    if (w.draft >= SD_2019 && walk_anchors(c, j, &w) < 0)
        return -1;
    return walk_keywords(c, j, w, loc, depth);
}

/* Indexes a whole document retrieved from uri. */
static int index_document(comp *c, json_object *doc, const char *uri, int draft, unsigned vocab)
{
    walkctx w = {uri, draft, vocab, NULL};
    const char *sch = cinto_json_get_string(doc, "$schema");
    if (sch && dialect_of(c, sch, &w.draft, &w.vocab) < 0)
        return -1;
    cinto_buf loc = CINTO_BUF_INIT;
    int rc = walk(c, doc, w, 1, &loc, 0);
    cinto_buf_free(&loc);
    if (rc < 0)
        return -1;
    /* The document is also known by the URI it was retrieved from. */
    struct entry *e = hmap_get(&c->index, doc);
    if (e && !hmap_has(&c->resources, uri) && hmap_put(&c->resources, uri, e->res) < 0)
        return oom(c);
    return 0;
}

static int add_doc(comp *c, json_object *doc)
{
    cinto_schema *s = c->s;
    json_object **v = realloc(s->docs, (s->ndocs + 1) * sizeof *v);
    if (!v) {
        json_object_put(doc);
        return oom(c);
    }
    s->docs = v;
    s->docs[s->ndocs++] = doc;
    return 0;
}

/* A document by absolute URI: a built-in meta-schema or whatever the
 * resolver gives. NULL when unknown (not an error by itself). */
static json_object *load_doc(comp *c, const char *uri, int draft, unsigned vocab)
{
    void *known = hmap_get(&c->loaded, uri);
    if (known || hmap_has(&c->loaded, uri))
        return known == &load_failed ? NULL : known;
    char *key = cstrdup(c, uri);
    if (!key)
        return NULL;
    json_object *doc = cinto_schema_builtin(uri);
    if (!doc && c->opts.resolver) {
        json_object *got = c->opts.resolver(uri, c->opts.resolver_ctx);
        /* A private copy: the compiled schema must not share objects. */
        if (got) {
            doc = cinto_json_copy(got);
            json_object_put(got);
        }
    }
    if (hmap_put(&c->loaded, key, doc ? (void *)doc : (void *)&load_failed) < 0) {
        json_object_put(doc);
        oom(c);
        return NULL;
    }
    if (!doc)
        return NULL;
    if (add_doc(c, doc) < 0 || index_document(c, doc, key, draft, vocab) < 0)
        return NULL;
    return doc;
}

/* ------------------------------------------------------------ references */

static int is_index_token(const char *t)
{
    if (!*t || (t[0] == '0' && t[1]))
        return 0;
    for (; *t; t++)
        if (*t < '0' || *t > '9')
            return 0;
    return 1;
}

/* Unescapes one pointer token in place (~1 -> /, ~0 -> ~). */
static void unescape_token(char *t)
{
    char *o = t;
    for (char *p = t; *p; p++) {
        if (*p == '~' && p[1] == '1') {
            *o++ = '/';
            p++;
        } else if (*p == '~' && p[1] == '0') {
            *o++ = '~';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* One step of a JSON pointer: the member or element named by tok. */
static int pointer_step(json_object *cur, const char *tok, json_object **next)
{
    if (cur && json_object_is_type(cur, json_type_object))
        return json_object_object_get_ex(cur, tok, next) ? 0 : -1;
    if (cur && json_object_is_type(cur, json_type_array) && is_index_token(tok)) {
        size_t idx = strtoul(tok, NULL, 10);
        if (idx >= json_object_array_length(cur))
            return -1;
        *next = json_object_array_get_idx(cur, idx);
        return 0;
    }
    return -1;
}

/* Follows a JSON pointer (already percent-decoded) from a resource root,
 * then makes sure the target is indexed with the right base URI: targets
 * outside the applicator keywords (refOfUnknownKeyword) are indexed on
 * the spot. *found is 0 when the pointer leads nowhere. */
static json_object *follow_pointer(comp *c, struct cinto_sres *res, const char *ptr, int *found)
{
    struct entry *e = hmap_get(&c->index, res->json);
    walkctx w = {e ? e->base : res->uri, e ? e->draft : res->draft, e ? e->vocab : res->vocab, res};
    cinto_buf loc = CINTO_BUF_INIT;
    json_object *cur = res->json;
    char *tok = malloc(strlen(ptr) + 1);
    *found = 0;
    if (!tok || cinto_buf_puts(&loc, e ? e->loc : "") < 0) {
        oom(c);
        goto done;
    }
    const char *p = ptr;
    while (*p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
        memcpy(tok, p + 1, n);
        tok[n] = '\0';
        unescape_token(tok);
        json_object *next = NULL;
        if (pointer_step(cur, tok, &next) < 0)
            goto done;
        cur = next;
        if (loc_push(&loc, tok) < 0) {
            oom(c);
            goto done;
        }
        struct entry *ce = cur ? hmap_get(&c->index, cur) : NULL;
        if (ce) {
            w.base = ce->base;
            w.draft = ce->draft;
            w.vocab = ce->vocab;
            w.res = ce->res;
        }
        p += n + 1;
    }
    if (*p)
        goto done;
    *found = 1;
    if (cur && !hmap_has(&c->index, cur) && walk(c, cur, w, 0, &loc, 0) < 0)
        cur = NULL;
done:
    free(tok);
    cinto_buf_free(&loc);
    return cur;
}

/* Splits an absolute reference into document URI and decoded fragment. */
static int split_ref(comp *c, const char *abs, char **doc, char **frag)
{
    size_t n = cinto_uri_strip_fragment(abs);
    *doc = strndup(abs, n);
    *frag = abs[n] == '#' ? cinto_uri_pct_decode(abs + n + 1, strlen(abs + n + 1)) : strdup("");
    if (!*doc || !*frag) {
        free(*doc);
        free(*frag);
        return oom(c);
    }
    return 0;
}

static struct cinto_sres *find_resource(comp *c, const char *doc, const struct entry *from)
{
    struct cinto_sres *r = hmap_get(&c->resources, doc);
    if (!r && c->errkind == CE_NONE) {
        load_doc(c, doc, from->draft, from->vocab);
        r = hmap_get(&c->resources, doc);
    }
    return r;
}

/* Reports a reference that leads nowhere, in the words of Python's
 * referencing library (what upstream Kinto shows): "PointerToNowhere:
 * '/definitions/x' does not exist within {...}", "NoSuchAnchor: ...",
 * "Unresolvable: <uri>". */
static int unresolvable(comp *c, const char *kind, const char *what, json_object *within)
{
    if (c->errkind != CE_NONE)
        return -1;
    cinto_buf m = CINTO_BUF_INIT;
    int rc = cinto_buf_printf(&m, "%s: ", kind);
    if (within) {
        rc |= cinto_repr_str(&m, what, strlen(what)) |
              cinto_buf_puts(&m, " does not exist within ") | cinto_repr(&m, within, 200);
    } else {
        rc |= cinto_buf_puts(&m, what);
    }
    if (rc < 0) {
        cinto_buf_free(&m);
        return oom(c);
    }
    cfail(c, CE_REF, "%s", cinto_buf_str(&m));
    cinto_buf_free(&m);
    return -1;
}

/* Resolves a reference written in a subschema to the JSON it designates.
 * *frag_out (optional) receives the decoded fragment. */
static json_object *resolve_ref(comp *c, const struct entry *from, const char *ref, char **frag_out)
{
    json_object *target = NULL;
    char *doc = NULL, *frag = NULL;
    char *abs = cinto_uri_resolve(from->base, ref);
    if (!abs) {
        oom(c);
        return NULL;
    }
    if (split_ref(c, abs, &doc, &frag) < 0)
        goto done;
    struct cinto_sres *r = find_resource(c, doc, from);
    if (c->errkind != CE_NONE)
        goto done;
    if (!r) {
        unresolvable(c, "Unresolvable", *doc ? doc : ref, NULL);
    } else if (frag[0] == '\0' || frag[0] == '/') {
        int found = 0;
        target = follow_pointer(c, r, frag, &found);
        if (c->errkind != CE_NONE)
            goto done;
        if (!found)
            unresolvable(c, "PointerToNowhere", frag, r->json);
        else if (!target)
            cfail(c, CE_SCHEMA, "Invalid schema: reference '%s' does not point to a schema", ref);
    } else {
        size_t n = strlen(doc) + strlen(frag) + 2;
        char *key = malloc(n);
        if (!key) {
            oom(c);
            goto done;
        }
        snprintf(key, n, "%s#%s", doc, frag);
        target = hmap_get(&c->anchors, key);
        free(key);
        if (!target)
            unresolvable(c, "NoSuchAnchor", frag, r->json);
    }
done:
    if (frag_out && c->errkind == CE_NONE)
        *frag_out = frag;
    else
        free(frag);
    free(doc);
    free(abs);
    return c->errkind == CE_NONE ? target : NULL;
}

/* ----------------------------------------------------------- keywords */

static const struct kwdef {
    const char *name;
    enum cinto_kw kw;
    unsigned char min, max;
    unsigned vocab;
} kwdefs[] = {
    {"$ref", KW_REF, SD_4, SD_2020, SV_CORE},
    {"$dynamicRef", KW_DYNAMIC_REF, SD_2020, SD_2020, SV_CORE},
    {"$recursiveRef", KW_RECURSIVE_REF, SD_2019, SD_2019, SV_CORE},
    {"type", KW_TYPE, SD_4, SD_2020, SV_VALIDATION},
    {"enum", KW_ENUM, SD_4, SD_2020, SV_VALIDATION},
    {"const", KW_CONST, SD_6, SD_2020, SV_VALIDATION},
    {"multipleOf", KW_MULTIPLE_OF, SD_4, SD_2020, SV_VALIDATION},
    {"maximum", KW_MAXIMUM, SD_4, SD_2020, SV_VALIDATION},
    {"exclusiveMaximum", KW_EXCLUSIVE_MAXIMUM, SD_6, SD_2020, SV_VALIDATION},
    {"minimum", KW_MINIMUM, SD_4, SD_2020, SV_VALIDATION},
    {"exclusiveMinimum", KW_EXCLUSIVE_MINIMUM, SD_6, SD_2020, SV_VALIDATION},
    {"maxLength", KW_MAX_LENGTH, SD_4, SD_2020, SV_VALIDATION},
    {"minLength", KW_MIN_LENGTH, SD_4, SD_2020, SV_VALIDATION},
    {"pattern", KW_PATTERN, SD_4, SD_2020, SV_VALIDATION},
    {"maxItems", KW_MAX_ITEMS, SD_4, SD_2020, SV_VALIDATION},
    {"minItems", KW_MIN_ITEMS, SD_4, SD_2020, SV_VALIDATION},
    {"uniqueItems", KW_UNIQUE_ITEMS, SD_4, SD_2020, SV_VALIDATION},
    {"maxProperties", KW_MAX_PROPERTIES, SD_4, SD_2020, SV_VALIDATION},
    {"minProperties", KW_MIN_PROPERTIES, SD_4, SD_2020, SV_VALIDATION},
    {"required", KW_REQUIRED, SD_4, SD_2020, SV_VALIDATION},
    {"dependentRequired", KW_DEPENDENT_REQUIRED, SD_2019, SD_2020, SV_VALIDATION},
    {"properties", KW_PROPERTIES, SD_4, SD_2020, SV_APPLICATOR},
    {"patternProperties", KW_PATTERN_PROPERTIES, SD_4, SD_2020, SV_APPLICATOR},
    {"additionalProperties", KW_ADDITIONAL_PROPERTIES, SD_4, SD_2020, SV_APPLICATOR},
    {"propertyNames", KW_PROPERTY_NAMES, SD_6, SD_2020, SV_APPLICATOR},
    {"dependentSchemas", KW_DEPENDENT_SCHEMAS, SD_2019, SD_2020, SV_APPLICATOR},
    {"dependencies", KW_DEPENDENCIES, SD_4, SD_7, SV_APPLICATOR},
    {"items", KW_ITEMS, SD_4, SD_2020, SV_APPLICATOR},
    {"prefixItems", KW_PREFIX_ITEMS, SD_2020, SD_2020, SV_APPLICATOR},
    {"additionalItems", KW_ADDITIONAL_ITEMS, SD_4, SD_2019, SV_APPLICATOR},
    {"contains", KW_CONTAINS, SD_6, SD_2020, SV_APPLICATOR},
    {"allOf", KW_ALL_OF, SD_4, SD_2020, SV_APPLICATOR},
    {"anyOf", KW_ANY_OF, SD_4, SD_2020, SV_APPLICATOR},
    {"oneOf", KW_ONE_OF, SD_4, SD_2020, SV_APPLICATOR},
    {"not", KW_NOT, SD_4, SD_2020, SV_APPLICATOR},
    {"if", KW_IF, SD_7, SD_2020, SV_APPLICATOR},
    {"unevaluatedProperties", KW_UNEVALUATED_PROPERTIES, SD_2019, SD_2020, SV_UNEVALUATED},
    {"unevaluatedItems", KW_UNEVALUATED_ITEMS, SD_2019, SD_2020, SV_UNEVALUATED},
};

static const struct kwdef *kw_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof kwdefs / sizeof kwdefs[0]; i++)
        if (strcmp(kwdefs[i].name, name) == 0)
            return &kwdefs[i];
    return NULL;
}

static struct cinto_snode *compile_node(comp *c, json_object *j, const struct entry *parent,
                                        const char *kw);

typedef struct kctx {
    comp *c;
    struct cinto_snode *node;
    const struct entry *e;
    struct cinto_sop *op;
    json_object *val;
} kctx;

static int bad(kctx *k, const char *what)
{
    return bad_keyword(k->c, k->e, k->op->name, what);
}

static struct cinto_snode *sub(kctx *k, json_object *j)
{
    return compile_node(k->c, j, k->e, k->op->name);
}

static int get_num(kctx *k, json_object *v, cinto_num *out)
{
    cinto_num tmp;
    if (!v || (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)))
        return bad(k, "a number");
    if (cinto_num_from_json(v, &tmp) < 0)
        return bad(k, "a finite number");
    int rc = cinto_num_dup(out, &tmp, arena_cb, &k->c->s->arena);
    cinto_num_release(&tmp);
    return rc < 0 ? oom(k->c) : 0;
}

static int get_count(kctx *k, json_object *v, uint64_t *out)
{
    cinto_num n;
    if (!v ||
        (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
        cinto_num_from_json(v, &n) < 0)
        return bad(k, "a non-negative integer");
    int rc = cinto_num_to_u64(&n, out);
    cinto_num_release(&n);
    return rc < 0 ? bad(k, "a non-negative integer") : 0;
}

static int get_strings(kctx *k, json_object *v, const char ***out, size_t *n)
{
    if (!v || !json_object_is_type(v, json_type_array))
        return bad(k, "an array of strings");
    *n = json_object_array_length(v);
    *out = cinto_arena_alloc(&k->c->s->arena, (*n + 1) * sizeof **out);
    if (!*out)
        return oom(k->c);
    for (size_t i = 0; i < *n; i++) {
        json_object *s = json_object_array_get_idx(v, i);
        if (!s || !json_object_is_type(s, json_type_string))
            return bad(k, "an array of strings");
        (*out)[i] = json_object_get_string(s);
    }
    return 0;
}

static int get_list(kctx *k, json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_array))
        return bad(k, "an array of schemas");
    size_t n = json_object_array_length(v);
    struct cinto_snode **list = cinto_arena_alloc(&k->c->s->arena, (n + 1) * sizeof *list);
    if (!list)
        return oom(k->c);
    for (size_t i = 0; i < n; i++)
        if (!(list[i] = sub(k, json_object_array_get_idx(v, i))))
            return -1;
    k->op->u.list.v = list;
    k->op->u.list.n = n;
    return 0;
}

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const struct cinto_named_node *)a)->name,
                  ((const struct cinto_named_node *)b)->name);
}

static int get_props(kctx *k, json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_object))
        return bad(k, "an object of schemas");
    size_t n = (size_t)json_object_object_length(v), i = 0;
    cinto_arena *a = &k->c->s->arena;
    struct cinto_named_node *list = cinto_arena_alloc(a, (n + 1) * sizeof *list);
    struct cinto_named_node *sorted = cinto_arena_alloc(a, (n + 1) * sizeof *sorted);
    if (!list || !sorted)
        return oom(k->c);
    json_object_object_foreach(v, name, schema)
    {
        list[i].name = name;
        list[i].len = strlen(name);
        if (!(list[i].node = sub(k, schema)))
            return -1;
        i++;
    }
    memcpy(sorted, list, n * sizeof *list);
    qsort(sorted, n, sizeof *sorted, cmp_named);
    k->op->u.props.v = list;
    k->op->u.props.sorted = sorted;
    k->op->u.props.n = n;
    return 0;
}

static int add_regex(comp *c, pcre2_code *re)
{
    pcre2_code **v = realloc(c->s->regexes, (c->s->nregexes + 1) * sizeof *v);
    if (!v) {
        pcre2_code_free(re);
        return oom(c);
    }
    c->s->regexes = v;
    c->s->regexes[c->s->nregexes++] = re;
    return 0;
}

/* Compiles a pattern; the message follows the meta-schema check's wording
 * ("'(' is not a 'regex'") with PCRE2's reason after it. */
static pcre2_code *get_regex(kctx *k, const char *src, size_t len)
{
    char why[200];
    pcre2_code *re = cinto_regex_compile(src, len, why, sizeof why);
    if (!re) {
        comp *c = k->c;
        if (c->errkind != CE_NONE)
            return NULL;
        cinto_buf b = CINTO_BUF_INIT;
        char loc[600];
        snprintf(loc, sizeof loc, "%s/%s", k->e->loc, k->op->name);
        loc_to_dotted(loc, c->errloc, sizeof c->errloc);
        if (cinto_repr_str(&b, src, len) < 0)
            oom(c);
        else
            cfail(c, CE_SCHEMA, "%s is not a 'regex' (%s, at #%s)", cinto_buf_str(&b), why, loc);
        cinto_buf_free(&b);
        return NULL;
    }
    return add_regex(k->c, re) < 0 ? NULL : re;
}

static int get_patterns(kctx *k, json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_object))
        return bad(k, "an object of schemas");
    size_t n = (size_t)json_object_object_length(v), i = 0;
    struct cinto_pattern_node *list = cinto_arena_alloc(&k->c->s->arena, (n + 1) * sizeof *list);
    if (!list)
        return oom(k->c);
    json_object_object_foreach(v, src, schema)
    {
        list[i].source = src;
        if (!(list[i].re = get_regex(k, src, strlen(src))) || !(list[i].node = sub(k, schema)))
            return -1;
        i++;
    }
    k->op->u.pats.v = list;
    k->op->u.pats.n = n;
    return 0;
}

/* dependentRequired (names), dependentSchemas (schemas) or dependencies
 * (either, per entry). */
static int get_deps(kctx *k, json_object *v, int allow_names, int allow_schemas)
{
    if (!v || !json_object_is_type(v, json_type_object))
        return bad(k, "an object");
    size_t n = (size_t)json_object_object_length(v), i = 0;
    struct cinto_dep *list = cinto_arena_alloc(&k->c->s->arena, (n + 1) * sizeof *list);
    if (!list)
        return oom(k->c);
    json_object_object_foreach(v, name, dep)
    {
        list[i].name = name;
        if (allow_names && dep && json_object_is_type(dep, json_type_array)) {
            if (get_strings(k, dep, &list[i].required, &list[i].nrequired) < 0)
                return -1;
        } else if (allow_schemas) {
            if (!(list[i].schema = sub(k, dep)))
                return -1;
        } else {
            return bad(k, "an object of string arrays");
        }
        i++;
    }
    k->op->u.deps.v = list;
    k->op->u.deps.n = n;
    return 0;
}

static int get_types(kctx *k, json_object *v)
{
    static const char *const names[] = {"null",   "boolean", "object", "array",
                                        "number", "integer", "string"};
    size_t n = 1;
    int is_list = v && json_object_is_type(v, json_type_array);
    if (is_list)
        n = json_object_array_length(v);
    else if (!v || !json_object_is_type(v, json_type_string))
        return bad(k, "a type name or an array of them");
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *t = is_list ? json_object_array_get_idx(v, i) : v;
        const char *s =
            t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";
        unsigned bit = 0;
        for (size_t b = 0; b < sizeof names / sizeof names[0]; b++)
            if (strcmp(s, names[b]) == 0)
                bit = 1u << b;
        if (!bit)
            return bad(k, "a type name or an array of them");
        mask |= bit;
    }
    k->op->u.types = mask;
    return 0;
}

static int get_ref(kctx *k)
{
    if (!k->val || !json_object_is_type(k->val, json_type_string))
        return bad(k, "a string");
    char *frag = NULL;
    const char *ref = json_object_get_string(k->val);
    json_object *target = resolve_ref(k->c, k->e, ref, &frag);
    if (!target) {
        free(frag);
        return -1;
    }
    int rc = 0;
    if (k->op->kw == KW_DYNAMIC_REF && frag[0] && frag[0] != '/') {
        /* Dynamic only when the first target declares the same anchor. */
        const char *anchor = cinto_json_get_string(target, "$dynamicAnchor");
        if (anchor && strcmp(anchor, frag) == 0) {
            k->op->u.ref.dynamic = 1;
            k->op->u.ref.anchor = cstrdup(k->c, frag);
            if (!k->op->u.ref.anchor)
                rc = -1;
        }
    } else if (k->op->kw == KW_RECURSIVE_REF) {
        json_object *ra = cinto_json_get(target, "$recursiveAnchor");
        k->op->u.ref.dynamic =
            ra && json_object_is_type(ra, json_type_boolean) && json_object_get_boolean(ra);
    }
    free(frag);
    return rc < 0 ? -1 : push_work(k->c, k->op, target);
}

static int compile_contains(kctx *k)
{
    struct cinto_sop *op = k->op;
    if (!(op->u.contains.sub = sub(k, k->val)))
        return -1;
    op->u.contains.min = 1;
    op->u.contains.max = UINT64_MAX;
    if (k->node->draft < SD_2019 || !(k->e->vocab & SV_VALIDATION))
        return 0;
    json_object *mn, *mx;
    if (json_object_object_get_ex(k->node->json, "minContains", &mn)) {
        k->op->name = "minContains";
        if (get_count(k, mn, &op->u.contains.min) < 0)
            return -1;
    }
    if (json_object_object_get_ex(k->node->json, "maxContains", &mx)) {
        k->op->name = "maxContains";
        if (get_count(k, mx, &op->u.contains.max) < 0)
            return -1;
    }
    k->op->name = "contains";
    return 0;
}

static int compile_if(kctx *k)
{
    json_object *t, *e;
    if (!(k->op->u.cond.cond = sub(k, k->val)))
        return -1;
    if (json_object_object_get_ex(k->node->json, "then", &t) &&
        !(k->op->u.cond.then_ = compile_node(k->c, t, k->e, "then")))
        return -1;
    if (json_object_object_get_ex(k->node->json, "else", &e) &&
        !(k->op->u.cond.else_ = compile_node(k->c, e, k->e, "else")))
        return -1;
    return 0;
}

/* draft-04 "maximum"/"minimum" read the boolean exclusive* beside them. */
static int compile_limit(kctx *k, const char *excl)
{
    if (get_num(k, k->val, &k->op->u.limit.num) < 0)
        return -1;
    json_object *x = excl ? cinto_json_get(k->node->json, excl) : NULL;
    k->op->u.limit.exclusive =
        x && json_object_is_type(x, json_type_boolean) && json_object_get_boolean(x);
    return 0;
}

/* Decodes one keyword. Returns 0 (op kept), 1 (keyword ignored), -1. */
static int compile_op(kctx *k)
{
    struct cinto_sop *op = k->op;
    json_object *v = k->val;
    int d = k->node->draft;
    switch (op->kw) {
    case KW_REF:
    case KW_DYNAMIC_REF:
    case KW_RECURSIVE_REF:
        return get_ref(k);
    case KW_TYPE:
        return get_types(k, v);
    case KW_ENUM:
        return v && json_object_is_type(v, json_type_array) ? 0 : bad(k, "an array");
    case KW_CONST:
        return 0;
    case KW_MULTIPLE_OF:
        if (get_num(k, v, &op->u.limit.num) < 0)
            return -1;
        return op->u.limit.num.nd && !op->u.limit.num.neg ? 0 : bad(k, "a number above 0");
    case KW_MAXIMUM:
        return compile_limit(k, d == SD_4 ? "exclusiveMaximum" : NULL);
    case KW_MINIMUM:
        return compile_limit(k, d == SD_4 ? "exclusiveMinimum" : NULL);
    case KW_EXCLUSIVE_MAXIMUM:
    case KW_EXCLUSIVE_MINIMUM:
        return get_num(k, v, &op->u.limit.num);
    case KW_MAX_LENGTH:
    case KW_MIN_LENGTH:
    case KW_MAX_ITEMS:
    case KW_MIN_ITEMS:
    case KW_MAX_PROPERTIES:
    case KW_MIN_PROPERTIES:
        return get_count(k, v, &op->u.count);
    case KW_PATTERN:
        if (!v || !json_object_is_type(v, json_type_string))
            return bad(k, "a string");
        op->u.re = get_regex(k, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        return op->u.re ? 0 : -1;
    case KW_UNIQUE_ITEMS:
        if (!v || !json_object_is_type(v, json_type_boolean))
            return bad(k, "a boolean");
        return json_object_get_boolean(v) ? 0 : 1;
    case KW_REQUIRED:
        return get_strings(k, v, &op->u.strs.v, &op->u.strs.n);
    case KW_DEPENDENT_REQUIRED:
        return get_deps(k, v, 1, 0);
    case KW_DEPENDENT_SCHEMAS:
        return get_deps(k, v, 0, 1);
    case KW_DEPENDENCIES:
        return get_deps(k, v, 1, 1);
    case KW_PROPERTIES:
        return get_props(k, v);
    case KW_PATTERN_PROPERTIES:
        return get_patterns(k, v);
    case KW_ITEMS:
        if (v && json_object_is_type(v, json_type_array)) {
            /* The array form is not a 2020-12 keyword (spec 05 §5.2). */
            if (d == SD_2020)
                return 1;
            op->kw = KW_ITEMS_ARRAY;
            return get_list(k, v);
        }
        return (op->u.sub = sub(k, v)) ? 0 : -1;
    case KW_PREFIX_ITEMS:
    case KW_ALL_OF:
    case KW_ANY_OF:
    case KW_ONE_OF:
        return get_list(k, v);
    case KW_CONTAINS:
        return compile_contains(k);
    case KW_IF:
        return compile_if(k);
    default: /* the keywords holding one subschema */
        return (op->u.sub = sub(k, v)) ? 0 : -1;
    }
}

/* Links the keywords that read each other. */
static void finish_node(struct cinto_snode *n)
{
    for (size_t i = 0; i < n->nops; i++) {
        const struct cinto_sop *op = &n->ops[i];
        if (op->kw == KW_PROPERTIES)
            n->properties = op;
        else if (op->kw == KW_PATTERN_PROPERTIES)
            n->pattern_properties = op;
        else if (op->kw == KW_PREFIX_ITEMS || op->kw == KW_ITEMS_ARRAY) {
            n->prefix = op->u.list.n;
            n->items_array = op->kw == KW_ITEMS_ARRAY;
        } else if (op->kw == KW_UNEVALUATED_PROPERTIES || op->kw == KW_UNEVALUATED_ITEMS)
            n->has_uneval = 1;
    }
}

static int is_uneval(enum cinto_kw kw)
{
    return kw == KW_UNEVALUATED_PROPERTIES || kw == KW_UNEVALUATED_ITEMS;
}

static int compile_ops(comp *c, struct cinto_snode *node, const struct entry *e)
{
    json_object *j = node->json;
    size_t n = (size_t)json_object_object_length(j);
    node->ops = cinto_arena_alloc(&c->s->arena, (n + 1) * sizeof *node->ops);
    if (!node->ops)
        return oom(c);
    int ref_only = node->draft <= SD_7 && cinto_json_get(j, "$ref");
    /* Two passes: unevaluated* go last, as they need every other
     * keyword's annotations. (Ops never move once compiled: the work list
     * holds pointers to them.) */
    for (int pass = 0; pass < 2; pass++) {
        json_object_object_foreach(j, key, val)
        {
            const struct kwdef *def = kw_lookup(key);
            if (!def || node->draft < def->min || node->draft > def->max ||
                !(e->vocab & def->vocab) || is_uneval(def->kw) != pass)
                continue;
            /* Drafts up to 7 ignore everything beside "$ref". */
            if (ref_only && def->kw != KW_REF)
                continue;
            kctx k = {c, node, e, &node->ops[node->nops], val};
            k.op->kw = def->kw;
            k.op->name = def->name;
            k.op->value = val;
            int rc = compile_op(&k);
            if (rc < 0)
                return -1;
            if (rc == 0)
                node->nops++;
        }
    }
    finish_node(node);
    return 0;
}

/* The node of a subschema, compiled on first use. parent and kw say where
 * it is written, for messages about values that are not schemas. */
static struct cinto_snode *compile_node(comp *c, json_object *j, const struct entry *parent,
                                        const char *kw)
{
    if (!j ||
        (!json_object_is_type(j, json_type_object) && !json_object_is_type(j, json_type_boolean))) {
        if (parent)
            bad_keyword(c, parent, kw, "a schema (an object or a boolean)");
        else
            cfail(c, CE_SCHEMA, "Invalid schema: a schema must be an object or a boolean");
        return NULL;
    }
    struct entry *e = hmap_get(&c->index, j);
    if (!e) {
        cfail(c, CE_SCHEMA, "Invalid schema: subschema under %s was not indexed", kw);
        return NULL;
    }
    if (e->node)
        return e->node;
    struct cinto_snode *node = cinto_arena_alloc(&c->s->arena, sizeof *node);
    if (!node) {
        oom(c);
        return NULL;
    }
    e->node = node;
    node->draft = e->draft;
    node->res = e->res;
    node->json = j;
    if (json_object_is_type(j, json_type_boolean)) {
        node->kind = json_object_get_boolean(j) ? SN_TRUE : SN_FALSE;
        return node;
    }
    node->kind = SN_OBJECT;
    return compile_ops(c, node, e) < 0 ? NULL : node;
}

/* Compiles queued references, then the dynamic anchors and recursive
 * roots that $dynamicRef / $recursiveRef may jump to, until nothing new
 * appears (each may queue more references). */
static int drain(comp *c)
{
    int changed;
    do {
        changed = 0;
        while (c->nwork > 0) {
            struct pending p = c->work[--c->nwork];
            p.op->u.ref.target = compile_node(c, p.target, NULL, p.op->name);
            if (!p.op->u.ref.target)
                return -1;
        }
        for (size_t i = 0; i < c->s->nres; i++) {
            struct cinto_sres *r = c->s->res[i];
            for (size_t a = 0; a < r->ndyn; a++)
                if (!r->dyn[a].node) {
                    if (!(r->dyn[a].node = compile_node(c, r->dyn[a].json, NULL, "$dynamicAnchor")))
                        return -1;
                    changed = 1;
                }
            if (r->recursive_anchor && !r->root) {
                if (!(r->root = compile_node(c, r->json, NULL, "$recursiveAnchor")))
                    return -1;
                changed = 1;
            }
        }
    } while (changed || c->nwork > 0);
    return 0;
}

void cinto_schema_free(cinto_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nregexes; i++)
        pcre2_code_free(s->regexes[i]);
    free(s->regexes);
    for (size_t i = 0; i < s->ndocs; i++)
        json_object_put(s->docs[i]);
    free(s->docs);
    free(s->res);
    pcre2_match_context_free(s->mctx);
    cinto_arena_free(&s->arena);
    free(s);
}

static void comp_free(comp *c)
{
    hmap_free(&c->index);
    hmap_free(&c->resources);
    hmap_free(&c->anchors);
    hmap_free(&c->loaded);
    free(c->work);
}

/* The compiler proper; *kind says why it failed (CE_*), errloc where. */
static cinto_schema *compile_internal(json_object *schema, const cinto_schema_options *opts,
                                      char *err, size_t errlen, int *kind, char *errloc,
                                      size_t loclen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    comp c = {0};
    c.err = err;
    c.errlen = errlen;
    c.index.strings = 0;
    c.resources.strings = c.anchors.strings = c.loaded.strings = 1;
    if (opts)
        c.opts = *opts;
    c.s = calloc(1, sizeof *c.s);
    if (!c.s) {
        snprintf(err, errlen, "out of memory");
        if (kind)
            *kind = CE_MEMORY;
        return NULL;
    }
    c.s->mctx = cinto_regex_match_context();
    json_object *doc = NULL;
    if (!c.s->mctx)
        oom(&c);
    else if (!schema || (!json_object_is_type(schema, json_type_object) &&
                         !json_object_is_type(schema, json_type_boolean)))
        cfail(&c, CE_SCHEMA, "Invalid schema: a schema must be an object or a boolean");
    else if (!(doc = cinto_json_copy(schema)))
        oom(&c);
    else if (add_doc(&c, doc) == 0 && index_document(&c, doc, "", default_draft(&c), SV_ALL) == 0 &&
             (c.s->root = compile_node(&c, doc, NULL, "")) != NULL)
        drain(&c);
    if (kind)
        *kind = c.errkind;
    if (errloc && loclen)
        snprintf(errloc, loclen, "%s", c.errloc);
    comp_free(&c);
    if (c.errkind != CE_NONE) {
        cinto_schema_free(c.s);
        return NULL;
    }
    return c.s;
}

cinto_schema *cinto_schema_compile_ex(json_object *schema, const cinto_schema_options *opts,
                                      char *err, size_t errlen)
{
    return compile_internal(schema, opts, err, errlen, NULL, NULL, 0);
}

cinto_schema *cinto_schema_compile(json_object *schema, char *err, size_t errlen)
{
    return compile_internal(schema, NULL, err, errlen, NULL, NULL, 0);
}

int cinto_schema_check(json_object *schema, cinto_schema_error *err)
{
    cinto_schema_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    json_object *meta = cinto_schema_builtin("http://json-schema.org/draft-07/schema");
    cinto_schema_options opts = {CINTO_SCHEMA_DRAFT7, NULL, NULL};
    char msg[512];
    cinto_schema *ms = meta ? cinto_schema_compile_ex(meta, &opts, msg, sizeof msg) : NULL;
    json_object_put(meta);
    if (!ms) {
        snprintf(err->message, sizeof err->message, "meta-schema unavailable");
        return -1;
    }
    int rc = cinto_schema_validate(ms, schema, err);
    cinto_schema_free(ms);
    if (rc != 0)
        return rc;
    int kind = CE_NONE;
    cinto_schema *s = compile_internal(schema, NULL, err->message, sizeof err->message, &kind,
                                       err->path, sizeof err->path);
    if (s) {
        cinto_schema_free(s);
        return 0;
    }
    if (kind == CE_REF) {
        /* Stored as upstream does; validations report it (spec 05 §5.2). */
        memset(err, 0, sizeof *err);
        return 0;
    }
    if (kind == CE_MEMORY)
        return -1;
    const char *last = strrchr(err->path, '.');
    last = last ? last + 1 : err->path;
    size_t n = strnlen(last, sizeof err->field - 1);
    memcpy(err->field, last, n);
    err->field[n] = '\0';
    return 1;
}
