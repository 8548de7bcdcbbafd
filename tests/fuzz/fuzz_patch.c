/* A fuzzed JSON document used as (first byte picks):
 *   0: RFC 6902 operations on a fixed document (cinto_json_patch), which
 *      must leave the document untouched when it fails (atomicity);
 *   1: an RFC 7396 merge patch on the same document (cinto_merge_patch),
 *      which must be idempotent;
 *   2: Kinto's JSON Patch on fixed data and permissions
 *      (cinto_kinto_json_patch). */
#include "fuzz_common.h"
#include "patch/patch.h"
#include "util/json.h"

static const char doc_text[] =
    "{\"title\":\"x\",\"n\":1,\"a\":[1,2,{\"b\":[]}],\"o\":{\"p~q\":{\"r/s\":null}},"
    "\"\":0,\"f\":1.5,\"t\":true}";
static const char perms_text[] = "{\"read\":[\"system.Everyone\"],\"write\":[\"basicauth:abc\"]}";

static json_object *parse_fixed(const char *text)
{
    char err[128];
    json_object *o = cinto_json_parse(text, strlen(text), NULL, err, sizeof err);
    if (!o)
        abort();
    return o;
}

static void json_patch(json_object *fixed, json_object *ops)
{
    char err[512];
    json_object *doc = cinto_json_copy(fixed);
    json_object *orig = doc;
    if (cinto_json_patch(&doc, ops, err, sizeof err) != 0) {
        CINTO_FUZZ_CHECK(doc == orig, "document replaced on failure");
        CINTO_FUZZ_CHECK(cinto_json_equal(doc, fixed), "failed patch changed the document: %s",
                         cinto_json_dump(doc));
        CINTO_FUZZ_CHECK(err[0] != '\0', "failure without a message");
    }
    json_object_put(doc);
}

static void merge_patch(json_object *fixed, json_object *patch)
{
    json_object *doc = cinto_json_copy(fixed);
    if (cinto_merge_patch(&doc, patch) == 0) {
        json_object *again = cinto_json_copy(doc);
        if (doc && !again)
            abort();
        CINTO_FUZZ_CHECK(cinto_merge_patch(&again, patch) == 0, "second merge failed");
        CINTO_FUZZ_CHECK(cinto_json_equal(doc, again), "merge patch not idempotent");
        json_object_put(again);
    }
    json_object_put(doc);
}

static void kinto_patch(json_object *fixed, json_object *perms, json_object *ops)
{
    static const char *const allowed[] = {"read", "write", "collection:create", NULL};
    json_object *nd = NULL, *np = NULL;
    char err[512];
    json_object *before = cinto_json_copy(fixed);
    if (cinto_kinto_json_patch(fixed, perms, allowed, ops, &nd, &np, err, sizeof err) == 0) {
        CINTO_FUZZ_CHECK(json_object_is_type(nd, json_type_object), "data not an object");
        CINTO_FUZZ_CHECK(json_object_is_type(np, json_type_object), "perms not an object");
        json_object_put(nd);
        json_object_put(np);
    }
    CINTO_FUZZ_CHECK(cinto_json_equal(before, fixed), "input data modified");
    json_object_put(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_object *fixed, *perms;
    if (!fixed) {
        fixed = parse_fixed(doc_text);
        perms = parse_fixed(perms_text);
    }
    if (size < 1)
        return 0;
    char *text = cinto_fuzz_strndup(data + 1, size - 1);
    char err[256];
    int is_null = 0;
    json_object *in = cinto_json_parse(text, size - 1, &is_null, err, sizeof err);
    if (in || is_null) {
        switch (data[0] % 3) {
        case 0:
            json_patch(fixed, in);
            break;
        case 1:
            merge_patch(fixed, in);
            break;
        default:
            kinto_patch(fixed, perms, in);
            break;
        }
    }
    json_object_put(in);
    free(text);
    return 0;
}
