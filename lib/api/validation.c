/* JSON Schema validation of writes (spec 05): the schema fields are
 * checked against the meta-schema on every write, and, when
 * kinto.experimental_collection_schema_validation is on, records, groups
 * and collections are validated against the schemas of their collection
 * and bucket. Compiled schemas are cached per worker, keyed by where the
 * schema is stored and that object's timestamp, so a record write never
 * reparses its schema. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "schema/schema.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_CACHE 32

typedef struct cached_schema {
    char *key; /* "<uri>#<field>@<last_modified>/<cache generation>" */
    cinto_schema *schema;
    char *error; /* compile error to answer with, when it did not compile */
    int mentions_id;
} cached_schema;

static cached_schema cache[SCHEMA_CACHE];
static unsigned cache_next;

void cinto_validation_cache_clear(void)
{
    for (int i = 0; i < SCHEMA_CACHE; i++) {
        free(cache[i].key);
        cinto_schema_free(cache[i].schema);
        free(cache[i].error);
        memset(&cache[i], 0, sizeof cache[i]);
    }
    cache_next = 0;
}

/* The schema as validated: fields the server manages are dropped from
 * "required" (spec 05 §5.5). */
static json_object *prepare_schema(json_object *schema, int ignore_id)
{
    json_object *copy = cinto_json_copy(schema);
    json_object *req = cinto_json_get(copy, "required");
    if (req && json_object_is_type(req, json_type_array)) {
        json_object *kept = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(req); i++) {
            json_object *v = json_object_array_get_idx(req, i);
            const char *s =
                json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
            if (s && (strcmp(s, "last_modified") == 0 || strcmp(s, "schema") == 0 ||
                      (ignore_id && strcmp(s, "id") == 0)))
                continue;
            json_object_array_add(kept, json_object_get(v));
        }
        if (json_object_array_length(kept))
            json_object_object_add(copy, "required", kept);
        else {
            json_object_put(kept);
            json_object_object_del(copy, "required");
        }
    }
    return copy;
}

static const cached_schema *lookup(const cinto_app *app, const char *uri, const char *field,
                                   long long ts, json_object *schema)
{
    char key[1024];
    snprintf(key, sizeof key, "%s#%s@%lld/%lu", uri, field, ts, app->cache_generation);
    for (int i = 0; i < SCHEMA_CACHE; i++)
        if (cache[i].key && strcmp(cache[i].key, key) == 0)
            return &cache[i];
    cached_schema *slot = &cache[cache_next++ % SCHEMA_CACHE];
    free(slot->key);
    cinto_schema_free(slot->schema);
    free(slot->error);
    memset(slot, 0, sizeof *slot);
    slot->key = strdup(key);
    json_object *props = cinto_json_get(schema, "properties");
    slot->mentions_id = cinto_json_get(props, "id") != NULL;
    json_object *prepared = prepare_schema(schema, !slot->mentions_id);
    char err[512];
    slot->schema = cinto_schema_compile(prepared, err, sizeof err);
    if (!slot->schema)
        slot->error = strdup(err);
    json_object_put(prepared);
    return slot;
}

static int schema_failed(cinto_rctx *r, const cinto_schema_error *e)
{
    const char *name = e->field[0] ? e->field : NULL;
    cinto_error_invalid(r->c, "body", name ? name : "", e->message);
    return -1;
}

/* Validates data against the schema stored in field of holder (at uri).
 * Returns 1 when it passed, 0 when holder has no such schema, -1 after
 * answering the failure. */
static int validate_against(cinto_rctx *r, json_object *data, const cinto_object *holder,
                            const char *uri, const char *field, int is_record)
{
    json_object *holder_json = cinto_res_object_json(holder);
    json_object *schema = cinto_json_get(holder_json, field);
    int rc = 0;
    if (!schema || !json_object_is_type(schema, json_type_object))
        goto done;
    const cached_schema *cs = lookup(r->c->app, uri, field, holder->last_modified, schema);
    if (!cs->schema) {
        cinto_error_invalid(r->c, "body", "schema", cs->error ? cs->error : "invalid schema");
        rc = -1;
        goto done;
    }
    json_object *instance = cinto_json_copy(data);
    json_object_object_del(instance, "last_modified");
    if (is_record)
        json_object_object_del(instance, "schema");
    if (!cs->mentions_id)
        json_object_object_del(instance, "id");
    cinto_schema_error e;
    memset(&e, 0, sizeof e);
    int v = cinto_schema_validate(cs->schema, instance, &e);
    json_object_put(instance);
    if (v != 0) {
        if (v < 0 && !e.message[0])
            snprintf(e.message, sizeof e.message, "validation could not finish");
        rc = schema_failed(r, &e);
    } else {
        rc = 1;
    }
done:
    json_object_put(holder_json);
    return rc;
}

/* The fields that hold schemas must be valid against the meta-schema
 * (spec 05 §5.1), whatever the setting. */
static int check_schema_fields(cinto_rctx *r, json_object *data, int patch)
{
    static const char *const bucket_fields[] = {"collection:schema", "group:schema",
                                                "record:schema", NULL};
    static const char *const collection_fields[] = {"schema", NULL};
    const char *const *fields = r->kind == CINTO_KIND_BUCKET       ? bucket_fields
                                : r->kind == CINTO_KIND_COLLECTION ? collection_fields
                                                                   : NULL;
    for (int i = 0; fields && fields[i]; i++) {
        json_object *s = cinto_json_get(data, fields[i]);
        if (!s)
            continue;
        char name[128];
        snprintf(name, sizeof name, patch ? "%s" : "data.%s", fields[i]);
        if (!json_object_is_type(s, json_type_object)) {
            cinto_error_invalid(r->c, "body", name, "is not a JSON schema object");
            return -1;
        }
        cinto_schema_error e;
        memset(&e, 0, sizeof e);
        if (cinto_schema_check(s, &e) != 0) {
            cinto_error_invalid(r->c, "body", name, e.message);
            return -1;
        }
    }
    return 0;
}

int cinto_res_validate_schemas(cinto_rctx *r, json_object *data, int patch)
{
    if (check_schema_fields(r, data, patch) < 0)
        return -1;
    if (!r->c->cfg->schema_validation)
        return 0;
    const cinto_object *bucket = &r->objs[CINTO_KIND_BUCKET];
    const char *buri = r->uris[CINTO_KIND_BUCKET];
    int has_bucket = r->kind != CINTO_KIND_BUCKET && cinto_obj_exists(r, CINTO_KIND_BUCKET);
    switch (r->kind) {
    case CINTO_KIND_RECORD: {
        const cinto_object *coll = &r->objs[CINTO_KIND_COLLECTION];
        int rc = validate_against(r, data, coll, r->uris[CINTO_KIND_COLLECTION], "schema", 1);
        if (rc < 0)
            return -1;
        /* The record remembers which schema version accepted it. */
        if (rc == 1)
            json_object_object_add(data, "schema", json_object_new_int64(coll->last_modified));
        if (has_bucket && validate_against(r, data, bucket, buri, "record:schema", 1) < 0)
            return -1;
        return 0;
    }
    case CINTO_KIND_COLLECTION:
        return has_bucket && validate_against(r, data, bucket, buri, "collection:schema", 0) < 0
                   ? -1
                   : 0;
    case CINTO_KIND_GROUP:
        return has_bucket && validate_against(r, data, bucket, buri, "group:schema", 0) < 0 ? -1
                                                                                            : 0;
    default:
        return 0;
    }
}
