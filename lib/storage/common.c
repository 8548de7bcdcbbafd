/* Memory helpers for the storage value types. */
#include "storage/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cinto_object_clear(cinto_object *o)
{
    free(o->id);
    free(o->data);
    memset(o, 0, sizeof *o);
}

void cinto_object_list_free(cinto_object_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        cinto_object_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void cinto_ace_list_free(cinto_ace_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].uri);
        free(l->items[i].permission);
        free(l->items[i].principal);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

int cinto_strv_push(cinto_strv *v, const char *s)
{
    if (v->count + 1 >= v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **p = realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return -1;
    v->items[v->count++] = copy;
    v->items[v->count] = NULL;
    return 0;
}

void cinto_strv_clear(cinto_strv *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

void cinto_list_time_message(char *out, size_t n, const char *setting, unsigned limit_ms)
{
    if (setting && strcmp(setting, CINTO_UNINDEXED_SORT_SETTING) == 0) {
        snprintf(out, n,
                 "This list query sorts on a record field that is not declared in the "
                 "collection's \"indexed_fields\", and reading every record to sort them ran "
                 "longer than kinto.%s (%u.%03u s) allows. Declare the field it sorts on in the "
                 "collection's data (e.g. \"indexed_fields\": [\"title\"]), narrow the list "
                 "(a declared filter, a _since/_before bound), sort on last_modified or id, or "
                 "raise that setting.",
                 setting, limit_ms / 1000, limit_ms % 1000);
        return;
    }
    snprintf(out, n,
             "This list query ran longer than kinto.%s (%u.%03u s) "
             "allows. Declare the fields it filters or sorts on in the collection's "
             "\"indexed_fields\" (in its data, e.g. \"indexed_fields\": [\"title\"]), narrow "
             "it (a _since/_before bound, a more selective filter, or no _sort on a data "
             "field), or raise that setting.",
             setting ? setting : CINTO_LIST_TIME_SETTING, limit_ms / 1000, limit_ms % 1000);
}

void cinto_perm_time_message(char *out, size_t n, unsigned limit_ms)
{
    snprintf(out, n,
             "This /permissions query ran longer than kinto.storage_list_time_limit_seconds "
             "(%u.%03u s) allows. Narrow it (filter on resource_name, bucket_id, "
             "collection_id, group_id, record_id, id or uri with eq/not/in/exclude, keep the "
             "default order or sort on one of those fields, and leave out other filters), or "
             "raise that setting.",
             limit_ms / 1000, limit_ms % 1000);
}
