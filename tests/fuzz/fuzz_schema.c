/* Schema text -> cinto_schema_check (the draft-07 meta-schema check the API
 * does on writes) and cinto_schema_compile, then validation of a few fixed
 * instances with the compiled schema. */
#include "fuzz_common.h"
#include "schema/schema.h"
#include "util/json.h"

static const char *const instances_text[] = {
    "{\"title\":\"hello\",\"n\":3,\"tags\":[\"a\",\"b\",\"a\"],\"o\":{\"x\":null,\"y\":[1,2.5]}}",
    "[1,\"two\",{\"three\":3},[4],true,null]",
    "\"text \\u00e9\"",
    "-12.5e3",
    "0",
    "{}",
};
#define NINST (sizeof instances_text / sizeof instances_text[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_object *instances[NINST];
    char err[512];
    if (!instances[0])
        for (size_t i = 0; i < NINST; i++) {
            instances[i] = cinto_json_parse(instances_text[i], strlen(instances_text[i]), NULL, err,
                                            sizeof err);
            if (!instances[i])
                abort();
        }
    char *text = cinto_fuzz_strndup(data, size);
    json_object *schema = cinto_json_parse(text, size, NULL, err, sizeof err);
    if (schema) {
        cinto_schema_error se;
        int rc = cinto_schema_check(schema, &se);
        CINTO_FUZZ_CHECK(rc >= -1 && rc <= 1, "check returned %d", rc);
        cinto_schema *s = cinto_schema_compile(schema, err, sizeof err);
        json_object_put(schema); /* the compiled schema must not need it */
        if (s) {
            for (size_t i = 0; i < NINST; i++) {
                int v = cinto_schema_validate(s, instances[i], &se);
                CINTO_FUZZ_CHECK(v >= -1 && v <= 1, "validate returned %d", v);
                (void)cinto_schema_validate(s, instances[i], NULL);
            }
            cinto_schema_free(s);
        }
    }
    free(text);
    return 0;
}
