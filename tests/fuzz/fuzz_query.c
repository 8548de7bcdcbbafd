/* Query string -> cinto_query_parse -> cinto_list_spec_parse, then the
 * resulting filters and sort keys are evaluated on a fixed set of small
 * objects (cinto_filter_match, cinto_sort_compare, cinto_after_token). The
 * first input byte picks the strict field list so that both modes run.
 * The sort order must be a total preorder on those objects. */
#include "fuzz_common.h"
#include "query/query.h"
#include "util/json.h"

#define NOW_MS 1700000000000LL

static const char *const objects_text[] = {
    "{\"id\":\"a\",\"last_modified\":1600000000000,\"title\":\"Hello\",\"n\":3,"
    "\"tags\":[\"x\",\"y\"],\"sub\":{\"k\":null,\"d\":{\"e\":1.5}},\"b\":true}",
    "{\"id\":\"b\",\"last_modified\":1600000000001,\"title\":\"hell\\u00e9\",\"n\":-2,"
    "\"tags\":[],\"sub\":{\"k\":\"v\"},\"b\":false}",
    "{\"id\":\"c\",\"last_modified\":1600000000002,\"deleted\":true}",
    "{\"id\":\"d\",\"last_modified\":1,\"title\":[1,{\"a\":\"b\"}],\"n\":1e300,"
    "\"tags\":\"x\",\"sub\":[]}",
};
#define NOBJ (sizeof objects_text / sizeof objects_text[0])

static json_object *objects[NOBJ];

static void load_objects(void)
{
    char err[128];
    for (size_t i = 0; i < NOBJ; i++) {
        if (objects[i])
            continue;
        objects[i] =
            cinto_json_parse(objects_text[i], strlen(objects_text[i]), NULL, err, sizeof err);
        if (!objects[i])
            abort();
    }
}

static void evaluate(const cinto_list_spec *s)
{
    CINTO_FUZZ_CHECK(s->nsort >= 1, "no sort key");
    for (size_t i = 0; i < NOBJ; i++) {
        int m = cinto_filter_match(s, objects[i]);
        CINTO_FUZZ_CHECK(m == 0 || m == 1, "filter_match returned %d", m);
        if (s->token_last)
            (void)cinto_after_token(s, objects[i]);
        CINTO_FUZZ_CHECK(cinto_sort_compare(s, objects[i], objects[i]) == 0, "x != x");
        for (size_t j = 0; j < NOBJ; j++) {
            int ab = cinto_sort_compare(s, objects[i], objects[j]);
            int ba = cinto_sort_compare(s, objects[j], objects[i]);
            CINTO_FUZZ_CHECK((ab > 0) == (ba < 0) && (ab == 0) == (ba == 0),
                             "sort not antisymmetric on %zu,%zu", i, j);
            for (size_t k = 0; k < NOBJ; k++) {
                if (ab > 0 || cinto_sort_compare(s, objects[j], objects[k]) > 0)
                    continue;
                CINTO_FUZZ_CHECK(cinto_sort_compare(s, objects[i], objects[k]) <= 0,
                                 "sort not transitive on %zu,%zu,%zu", i, j, k);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const strict[] = {"id", "last_modified", "uri", "title", NULL};
    load_objects();
    if (size < 1)
        return 0;
    int use_strict = data[0] & 1;
    char *qs = cinto_fuzz_strndup(data + 1, size - 1);
    char err[512];
    cinto_query q;
    int rc = cinto_query_parse(qs, &q, err, sizeof err);
    CINTO_FUZZ_CHECK(rc == 0 || rc == -1, "query_parse returned %d", rc);
    if (rc == 0) {
        for (size_t i = 0; i < q.count; i++) {
            /* The lengths must be those of the NUL-terminated copies. */
            CINTO_FUZZ_CHECK(q.items[i].name[q.items[i].name_len] == '\0', "name length");
            CINTO_FUZZ_CHECK(q.items[i].value[q.items[i].value_len] == '\0', "value length");
        }
        cinto_list_spec s;
        cinto_query_error qe;
        memset(&qe, 0, sizeof qe);
        if (cinto_list_spec_parse(&q, NOW_MS, use_strict ? strict : NULL, &s, &qe) == 0)
            evaluate(&s);
        else
            CINTO_FUZZ_CHECK(memchr(qe.description, '\0', sizeof qe.description), "unterminated");
        cinto_list_spec_free(&s);
    }
    cinto_query_free(&q);
    free(qs);
    return 0;
}
