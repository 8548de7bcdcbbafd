/* Steps shared by the object and list handlers (resource.c, objects.c,
 * lists.c, writes.c). Each returns -1 after answering the error itself. */
#ifndef CINTO_API_RESOURCE_INTERNAL_H
#define CINTO_API_RESOURCE_INTERNAL_H

#include "api/resource.h"

typedef struct cinto_precond {
    int has_match, match_star;
    long long match_ts;
    int has_none, none_star;
    long long none_ts;
} cinto_precond;

/* A parsed write body (spec 03 §3.1). */
typedef struct cinto_body {
    json_object *root;  /* the whole document */
    json_object *data;  /* borrowed from root, NULL when absent */
    json_object *perms; /* borrowed from root, NULL when absent */
} cinto_body;

/* Fills r from c's route (a row of a kind, object or list); -1 when
 * memory ran out. Teardown always, even after a failed setup: it rolls
 * back a transaction left open and frees what setup and the steps read. */
int cinto_res_setup(cinto_rctx *r, cinto_ctx *c);
void cinto_res_teardown(cinto_rctx *r);
int cinto_res_begin_write(cinto_rctx *r);
int cinto_res_commit(cinto_rctx *r);
/* The list's timestamp, created on first read; in readonly mode nothing is
 * written, so a list that never had one answers 503 as upstream (spec 08
 * §8.13 item 4). */
int cinto_res_list_ts(cinto_rctx *r, long long *ts);
int cinto_res_fetch_chain(cinto_rctx *r, const char *extra_id);
int cinto_res_load_acl(cinto_rctx *r, const char *extra_uri);
int cinto_res_check_accept(cinto_rctx *r);
int cinto_res_check_content_type(cinto_rctx *r, const char *const *types);
int cinto_res_parse_preconditions(cinto_rctx *r, cinto_precond *p);
int cinto_res_check_path_id(cinto_rctx *r);
int cinto_res_check_412(cinto_rctx *r, const cinto_precond *p, const cinto_object *obj,
                        long long list_ts);
void cinto_res_precondition_failed(cinto_rctx *r, const cinto_object *existing, long long cur);
json_object *cinto_res_object_json(const cinto_object *o);
json_object *cinto_res_envelope(cinto_rctx *r, json_object *data, json_object *acl);
void cinto_res_set_etag(cinto_rctx *r, long long ts);
void cinto_res_cache_headers(cinto_rctx *r);

/* writes.c */
/* parsed: the body already parsed, or NULL to parse it here. */
int cinto_res_parse_body(cinto_rctx *r, int json_patch, json_object *parsed, cinto_body *b);
void cinto_res_body_free(cinto_body *b);
/* Timestamp for a write (spec 01 §1.6-1.7); client_lm < 0 when none. */
int cinto_res_timestamp(cinto_rctx *r, long long client_lm, long long current_lm, long long *ts);
int cinto_res_store(cinto_rctx *r, const char *id, const char *uri, json_object *data, long long ts,
                    int row_exists);
int cinto_res_write_acl(cinto_rctx *r, const char *uri, json_object *old_acl, json_object *new_acl);
/* old_obj or old_json: the object being deleted, for the write event. */
int cinto_res_delete_one(cinto_rctx *r, const char *id, const char *uri, long long ts,
                         const cinto_object *old_obj, json_object *old_json);
/* Reports a write of r's kind (the write event, plugin.h) when a plugin
 * listens; nothing is built otherwise. The old object comes from old_obj
 * (as stored) or old_json; a delete without new_data reports the
 * tombstone. Returns -1 after a plugin's answer. */
int cinto_res_notify(cinto_rctx *r, int action, const char *id, const char *uri,
                     const cinto_object *old_obj, json_object *old_json, json_object *new_data,
                     json_object *acl, long long ts);
long long cinto_res_client_lm(json_object *v);
json_object *cinto_res_add_editor(cinto_rctx *r, json_object *acl);
void cinto_res_project(json_object *data, const char *fields);
int cinto_res_check_fields(cinto_rctx *r, const char **fields_out);

/* validation.c: meta-schema checks and JSON Schema validation (spec 05). */
int cinto_res_validate_schemas(cinto_rctx *r, json_object *data, int patch);

/* objects.c */
void cinto_res_object_get(cinto_rctx *r);
void cinto_res_object_put(cinto_rctx *r);
void cinto_res_object_patch(cinto_rctx *r);
void cinto_res_object_delete(cinto_rctx *r);
/* lists.c */
struct cinto_list_spec;
/* Sets Next-Page: the request's URL with _limit and a _token after last
 * (a plugin serving a list of its own pages with it too). */
void cinto_res_next_page(cinto_ctx *c, const struct cinto_list_spec *spec, long long limit,
                         json_object *last);
void cinto_res_list_get(cinto_rctx *r);
void cinto_res_list_post(cinto_rctx *r);
void cinto_res_list_delete(cinto_rctx *r);

#endif
