/* cinto_json_parse on arbitrary bytes. Whatever it accepts must serialize
 * with cinto_json_dump into text that it accepts again, giving an equal
 * document (and the same text: dump is canonical for a given tree), and
 * deep copies must compare equal. */
#include "fuzz_common.h"
#include "util/json.h"

static void check_roundtrip(json_object *doc)
{
    char err[256];
    size_t len = 0;
    const char *text = cinto_json_dump_len(doc, &len);
    CINTO_FUZZ_CHECK(text != NULL, "dump failed");
    char *copy = cinto_fuzz_strndup((const uint8_t *)text, len);
    int is_null = 0;
    json_object *again = cinto_json_parse(copy, len, &is_null, err, sizeof err);
    CINTO_FUZZ_CHECK(again != NULL, "re-parse of %s failed: %s", copy, err);
    CINTO_FUZZ_CHECK(cinto_json_equal(doc, again), "re-parsed %s differs", copy);
    CINTO_FUZZ_CHECK(cinto_json_compare(doc, again) == 0, "compare(%s) != 0", copy);
    size_t len2 = 0;
    const char *text2 = cinto_json_dump_len(again, &len2);
    CINTO_FUZZ_CHECK(len2 == len && memcmp(text, text2, len) == 0, "dump not stable: %s vs %s",
                     copy, text2);
    json_object *dup = cinto_json_copy(doc);
    CINTO_FUZZ_CHECK(dup && cinto_json_equal(doc, dup), "copy differs: %s", copy);
    json_object_put(dup);
    json_object_put(again);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = cinto_fuzz_strndup(data, size);
    char err[256];
    err[0] = 'x';
    int is_null = 0;
    json_object *doc = cinto_json_parse(text, size, &is_null, err, sizeof err);
    if (doc) {
        check_roundtrip(doc);
        json_object_put(doc);
    } else if (is_null) {
        CINTO_FUZZ_CHECK(err[0] == '\0', "null with an error message");
    } else {
        CINTO_FUZZ_CHECK(err[0] != '\0', "NULL without an error message");
        CINTO_FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL, "unterminated error");
    }
    free(text);
    return 0;
}
