/* lib/schema: behaviour beyond the official suite (test_schema_suite.c):
 * the meta-schema check, messages and locations as Kinto reports them,
 * limits (catastrophic regexes, reference loops, huge numbers) and the
 * ECMA-262 regex translation. */
#include "schema/schema.h"
#include "util/json.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_object *J(const char *text)
{
    char err[256];
    int is_null = 0;
    json_object *o = cinto_json_parse(text, strlen(text), &is_null, err, sizeof err);
    cr_assert(o || is_null, "bad JSON in test: %s (%s)", text, err);
    return o;
}

static cinto_schema *compile_text(const char *text)
{
    char err[512];
    json_object *s = J(text);
    cinto_schema *c = cinto_schema_compile(s, err, sizeof err);
    json_object_put(s);
    cr_assert(c, "compile failed for %s: %s", text, err);
    return c;
}

/* Validates instance text against schema text; fills e. */
static int check(const char *schema, const char *instance, cinto_schema_error *e)
{
    cinto_schema *c = compile_text(schema);
    json_object *i = J(instance);
    int rc = cinto_schema_validate(c, i, e);
    json_object_put(i);
    cinto_schema_free(c);
    return rc;
}

static int valid(const char *schema, const char *instance)
{
    cinto_schema_error e;
    return check(schema, instance, &e);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- cinto_schema_check ---- */

static int schema_check(const char *text, cinto_schema_error *e)
{
    json_object *s = J(text);
    int rc = cinto_schema_check(s, e);
    json_object_put(s);
    return rc;
}

Test(schema_check, accepts_good_schemas)
{
    cinto_schema_error e;
    cr_expect_eq(schema_check("{}", &e), 0);
    cr_expect_eq(schema_check("{\"type\": \"object\", \"properties\": {\"title\": {\"type\": "
                              "\"string\"}}, \"required\": [\"title\"]}",
                              &e),
                 0);
    cr_expect_eq(schema_check("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", "
                              "\"prefixItems\": [{\"type\": \"integer\"}], \"$defs\": {}}",
                              &e),
                 0);
}

Test(schema_check, rejects_bad_type)
{
    cinto_schema_error e;
    cr_assert_eq(schema_check("{\"type\": \"strin\"}", &e), 1);
    cr_expect_str_eq(e.path, "type");
    cr_expect(strstr(e.message, "'strin' is not valid under any of the given schemas"), "%s",
              e.message);
    cr_assert_eq(schema_check("{\"type\": \"Washmachine\"}", &e), 1);
    cr_expect(strstr(e.message, "'Washmachine' is not valid under any of the given schemas"), "%s",
              e.message);
}

Test(schema_check, rejects_bad_required)
{
    cinto_schema_error e;
    cr_assert_eq(schema_check("{\"required\": \"x\"}", &e), 1);
    cr_expect_str_eq(e.path, "required");
    cr_expect_str_eq(e.message, "'x' is not of type 'array'");
    cr_assert_eq(schema_check("{\"properties\": {\"a\": {\"minLength\": -1}}}", &e), 1);
    cr_expect_str_eq(e.path, "properties.a.minLength");
}

Test(schema_check, rejects_invalid_regex)
{
    cinto_schema_error e;
    cr_assert_eq(schema_check("{\"properties\": {\"a\": {\"pattern\": \"(\"}}}", &e), 1);
    cr_expect_str_eq(e.path, "properties.a.pattern");
    cr_expect(strstr(e.message, "'(' is not a 'regex'"), "%s", e.message);
    cr_expect_str_eq(e.field, "pattern");
}

Test(schema_check, unresolvable_ref_is_stored_but_fails_compile)
{
    /* Spec 05 §5.2: accepted when stored, every validation fails. */
    const char *text = "{\"properties\": {\"a\": {\"$ref\": \"#/definitions/missing\"}}}";
    cinto_schema_error e;
    cr_expect_eq(schema_check(text, &e), 0);
    char err[512];
    json_object *s = J(text);
    cinto_schema *c = cinto_schema_compile(s, err, sizeof err);
    json_object_put(s);
    cr_assert_null(c);
    cr_expect_str_eq(err, "PointerToNowhere: '/definitions/missing' does not exist within "
                          "{'properties': {'a': {'$ref': '#/definitions/missing'}}}");
}

Test(schema_check, unknown_remote_ref_fails_compile)
{
    char err[512];
    json_object *s = J("{\"$ref\": \"http://example.com/schema.json\"}");
    cinto_schema *c = cinto_schema_compile(s, err, sizeof err);
    json_object_put(s);
    cr_assert_null(c);
    cr_expect_str_eq(err, "Unresolvable: http://example.com/schema.json");
}

Test(schema_check, not_a_schema)
{
    char err[512];
    json_object *s = J("[1, 2]");
    cr_expect_null(cinto_schema_compile(s, err, sizeof err));
    json_object_put(s);
    cr_expect_null(cinto_schema_compile(NULL, err, sizeof err));
    s = J("{\"properties\": {\"a\": 3}}");
    cr_expect_null(cinto_schema_compile(s, err, sizeof err));
    cr_expect(strstr(err, "properties"), "%s", err);
    json_object_put(s);
}

/* ---- messages, paths and fields, as Kinto reports them ---- */

Test(schema_messages, required_at_root)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"required\": [\"title\", \"body\"]}", "{\"body\": 1}", &e), 1);
    cr_expect_str_eq(e.message, "'title' is a required property");
    cr_expect_str_eq(e.path, "");
    /* Upstream names the last required field, not the missing one. */
    cr_expect_str_eq(e.field, "body");
    cr_expect_str_eq(e.keyword, "required");
}

Test(schema_messages, type_in_property)
{
    cinto_schema_error e;
    cr_assert_eq(
        check("{\"properties\": {\"size\": {\"type\": \"number\"}}}", "{\"size\": \"hi!\"}", &e),
        1);
    cr_expect_str_eq(e.message, "'hi!' is not of type 'number'");
    cr_expect_str_eq(e.path, "size");
    cr_expect_str_eq(e.field, "size");
    cr_assert_eq(check("{\"properties\": {\"file\": {\"properties\": {\"size\": {\"type\": "
                       "[\"integer\", \"null\"]}}}}}",
                       "{\"file\": {\"size\": 1.5}}", &e),
                 1);
    cr_expect_str_eq(e.message, "1.5 is not of type 'integer', 'null'");
    cr_expect_str_eq(e.path, "file.size");
    cr_expect_str_eq(e.field, "size");
}

Test(schema_messages, array_index_path)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"properties\": {\"tags\": {\"items\": {\"type\": \"string\"}}}}",
                       "{\"tags\": [\"a\", 2]}", &e),
                 1);
    cr_expect_str_eq(e.path, "tags.1");
    cr_expect_str_eq(e.field, "1");
    cr_expect_str_eq(e.message, "2 is not of type 'string'");
}

Test(schema_messages, additional_properties)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"properties\": {\"a\": {}}, \"additionalProperties\": false}",
                       "{\"a\": 1, \"zz\": 2, \"extra\": 3}", &e),
                 1);
    cr_expect_str_eq(e.message,
                     "Additional properties are not allowed ('extra', 'zz' were unexpected)");
    cr_expect_str_eq(e.field, "additionalProperties");
    cr_assert_eq(check("{\"patternProperties\": {\"^x\": {}}, \"additionalProperties\": false}",
                       "{\"y\": 1}", &e),
                 1);
    cr_expect_str_eq(e.message, "'y' does not match any of the regexes: '^x'");
}

Test(schema_messages, python_reprs)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"enum\": [1, \"a\", null, true, {\"k\": [1.5]}]}", "\"it's\"", &e), 1);
    cr_expect_str_eq(e.message, "\"it's\" is not one of [1, 'a', None, True, {'k': [1.5]}]");
    cr_assert_eq(check("{\"const\": \"x\"}", "1", &e), 1);
    cr_expect_str_eq(e.message, "'x' was expected");
    cr_assert_eq(check("{\"minLength\": 3}", "\"ab\"", &e), 1);
    cr_expect_str_eq(e.message, "'ab' is too short");
    cr_assert_eq(check("{\"maximum\": 10}", "1e300", &e), 1);
    cr_expect_str_eq(e.message, "1e+300 is greater than the maximum of 10");
    cr_assert_eq(check("{\"multipleOf\": 0.01}", "0.015", &e), 1);
    cr_expect_str_eq(e.message, "0.015 is not a multiple of 0.01");
    cr_assert_eq(check("{\"not\": {\"type\": \"string\"}}", "\"a\\nb\"", &e), 1);
    cr_expect_str_eq(e.message, "'a\\nb' should not be valid under {'type': 'string'}");
    cr_assert_eq(check("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 3}]}", "1", &e), 1);
    cr_expect_str_eq(e.message, "1 is not valid under any of the given schemas");
    cr_assert_eq(check("{\"oneOf\": [{\"minimum\": 0}, {\"maximum\": 5}]}", "1", &e), 1);
    cr_expect_str_eq(e.message, "1 is valid under each of {'maximum': 5}, {'minimum': 0}");
    cr_assert_eq(check("{\"properties\": {\"a\": false}}", "{\"a\": 1}", &e), 1);
    cr_expect_str_eq(e.message, "False schema does not allow 1");
    cr_assert_eq(check("{\"dependentRequired\": {\"a\": [\"b\"]}}", "{\"a\": 1}", &e), 1);
    cr_expect_str_eq(e.message, "'b' is a dependency of 'a'");
    cr_assert_eq(check("{\"uniqueItems\": true}", "[1, 1.0]", &e), 1);
    cr_expect_str_eq(e.message, "[1, 1.0] has non-unique elements");
    cr_assert_eq(check("{\"pattern\": \"^a\"}", "\"b\"", &e), 1);
    cr_expect_str_eq(e.message, "'b' does not match '^a'");
}

Test(schema_messages, first_error_in_schema_order)
{
    /* Python reports the first failing keyword as the schema writes it. */
    cinto_schema_error e;
    cr_assert_eq(check("{\"properties\": {\"b\": {\"type\": \"string\"}, \"a\": {\"type\": "
                       "\"string\"}}, \"required\": [\"c\"]}",
                       "{\"a\": 1, \"b\": 2}", &e),
                 1);
    cr_expect_str_eq(e.path, "b");
    cr_assert_eq(check("{\"required\": [\"c\"], \"properties\": {\"a\": {\"type\": \"string\"}}}",
                       "{\"a\": 1}", &e),
                 1);
    cr_expect_str_eq(e.message, "'c' is a required property");
}

Test(schema_messages, long_values_are_cut)
{
    char inst[3000];
    memset(inst, 'x', sizeof inst);
    inst[0] = '"';
    inst[sizeof inst - 2] = '"';
    inst[sizeof inst - 1] = '\0';
    cinto_schema_error e;
    cr_assert_eq(check("{\"maxLength\": 3}", inst, &e), 1);
    cr_expect(strlen(e.message) < sizeof e.message);
    cr_expect(strstr(e.message, "..."), "%s", e.message);
}

/* ---- limits ---- */

Test(schema_limits, catastrophic_regex_ends_quickly, .timeout = 20)
{
    char inst[128];
    memset(inst, 'a', sizeof inst);
    inst[0] = '"';
    inst[100] = 'b';
    inst[101] = '"';
    inst[102] = '\0';
    cinto_schema_error e;
    double t0 = now();
    cr_expect_eq(check("{\"pattern\": \"^(a+)+$\"}", inst, &e), -1);
    cr_expect(strstr(e.message, "limit"), "%s", e.message);
    cr_expect(now() - t0 < 5.0, "took %.1fs", now() - t0);
    /* Same pattern as patternProperties, on a key. */
    char obj[200];
    snprintf(obj, sizeof obj, "{%s: 1}", inst);
    cr_expect_eq(check("{\"patternProperties\": {\"^(a+)+$\": true}}", obj, &e), -1);
}

Test(schema_limits, reference_loops_end, .timeout = 20)
{
    cinto_schema_error e;
    cr_expect_eq(check("{\"$ref\": \"#\"}", "1", &e), -1);
    cr_expect(strstr(e.message, "maximum depth"), "%s", e.message);
    cr_expect_eq(
        check("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}", "{}", &e),
        -1);
    cr_expect_eq(check("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
                       "\"definitions\": {\"a\": {\"$ref\": \"#/definitions/b\"}, \"b\": "
                       "{\"$ref\": \"#/definitions/a\"}}, \"$ref\": \"#/definitions/a\"}",
                       "{}", &e),
                 -1);
}

Test(schema_limits, deep_instance_with_recursive_schema, .timeout = 20)
{
    /* 900 nested arrays: well-formed for the parser, too deep for the
     * evaluator's bound, which must stop cleanly. */
    size_t depth = 900;
    char *text = malloc(depth * 2 + 1);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[depth * 2] = '\0';
    cinto_schema_error e;
    cr_expect_eq(check("{\"items\": {\"$ref\": \"#\"}}", text, &e), -1);
    free(text);
    /* A moderate depth is fine. */
    cr_expect_eq(valid("{\"items\": {\"$ref\": \"#\"}}", "[[[[[[[[[[]]]]]]]]]]"), 0);
}

Test(schema_limits, huge_numbers)
{
    cr_expect_eq(valid("{\"multipleOf\": 1e308}", "1e308"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 1e308}", "5"), 1);
    cr_expect_eq(valid("{\"multipleOf\": 1e308}", "0"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 1e-300}", "1e300"), 0);
    cr_expect_eq(valid("{\"maxLength\": 9223372036854775808}", "\"abc\""), 0);
    cr_expect_eq(valid("{\"minLength\": 9223372036854775808}", "\"abc\""), 1);
    cr_expect_eq(valid("{\"maxItems\": 1e308}", "[1, 2]"), 0);
    cr_expect_eq(valid("{\"minProperties\": 18446744073709551615}", "{}"), 1);
    cr_expect_eq(valid("{\"maximum\": 18446744073709551615}", "18446744073709551615"), 0);
    cr_expect_eq(valid("{\"exclusiveMaximum\": 18446744073709551615}", "18446744073709551615"), 1);
    cr_expect_eq(valid("{\"minimum\": -9223372036854775808}", "-9223372036854775808"), 0);
}

/* ---- numbers ---- */

Test(schema_numbers, exact_decimal_multiple_of)
{
    cr_expect_eq(valid("{\"multipleOf\": 0.01}", "19.99"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 0.01}", "0.07"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 0.1}", "0.3"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 1e-8}", "12391239123"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 1e-8}", "0.000000015"), 1);
    cr_expect_eq(valid("{\"multipleOf\": 0.0001}", "0.0075"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 3}", "9.000"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 3}", "10"), 1);
    cr_expect_eq(valid("{\"multipleOf\": 1.5}", "4.5"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 1.5}", "-4.5"), 0);
    cr_expect_eq(valid("{\"multipleOf\": 0.123456789}", "1e308"), 1);
    cr_expect_eq(valid("{\"multipleOf\": 7}", "123456789012345678"), 1);
    cr_expect_eq(valid("{\"multipleOf\": 7}", "123456789012345677"), 0);
}

Test(schema_numbers, integer_per_draft)
{
    cr_expect_eq(valid("{\"type\": \"integer\"}", "1.0"), 0);
    cr_expect_eq(valid("{\"type\": \"integer\"}", "1e2"), 0);
    cr_expect_eq(valid("{\"type\": \"integer\"}", "1.5"), 1);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": "
                       "\"integer\"}",
                       "1.0"),
                 1);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": "
                       "\"integer\"}",
                       "1"),
                 0);
}

Test(schema_numbers, comparisons_are_exact)
{
    cr_expect_eq(valid("{\"maximum\": 0.1}", "0.1"), 0);
    cr_expect_eq(valid("{\"exclusiveMaximum\": 0.1}", "0.1"), 1);
    cr_expect_eq(valid("{\"maximum\": 9007199254740992}", "9007199254740993"), 1);
    cr_expect_eq(valid("{\"minimum\": 1.0000000000000000001}", "1"), 1);
    cr_expect_eq(valid("{\"const\": 9007199254740993}", "9007199254740992"), 1);
    cr_expect_eq(valid("{\"enum\": [1.0]}", "1"), 0);
    cr_expect_eq(valid("{\"enum\": [false]}", "0"), 1);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"maximum\": "
                       "5, \"exclusiveMaximum\": true}",
                       "5"),
                 1);
}

/* ---- strings and regexes ---- */

Test(schema_strings, code_point_lengths)
{
    cr_expect_eq(valid("{\"maxLength\": 2}", "\"\\ud83d\\udca9\\ud83d\\udca9\""), 0);
    cr_expect_eq(valid("{\"minLength\": 3}", "\"\xc3\xa9\xc3\xa9\""), 1);
    cr_expect_eq(valid("{\"minLength\": 2}", "\"\xc3\xa9\xc3\xa9\""), 0);
}

Test(schema_strings, ecma_regex_semantics)
{
    cr_expect_eq(valid("{\"pattern\": \"^\\\\d+$\"}", "\"42\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\d+$\"}", "\"\xe0\xa7\xaa\""), 1); /* Bengali 4 */
    cr_expect_eq(valid("{\"pattern\": \"^\\\\p{Nd}+$\"}", "\"\xe0\xa7\xaa\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\p{Letter}+$\"}", "\"\xc3\xa9t\xc3\xa9\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\w+$\"}", "\"\xc3\xa9t\xc3\xa9\""), 1);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\s$\"}", "\"\\u00a0\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^[\\\\S]$\"}", "\"\\u00a0\""), 1);
    cr_expect_eq(valid("{\"pattern\": \"^[^\\\\S]$\"}", "\"\\u2003\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^.$\"}", "\"\\n\""), 1);
    cr_expect_eq(valid("{\"pattern\": \"^abc$\"}", "\"abc\\n\""), 1);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\u00e9$\"}", "\"\xc3\xa9\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\ud83d\\\\udc32$\"}", "\"\\ud83d\\udc32\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^\\\\cC$\"}", "\"\\u0003\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"^[]$\"}", "\"\""), 1);
    cr_expect_eq(valid("{\"pattern\": \"^[^]$\"}", "\"\\n\""), 0);
    cr_expect_eq(valid("{\"pattern\": \"a/b\"}", "\"xa/by\""), 0);
    /* The pattern is unanchored, as ECMA's RegExp.test. */
    cr_expect_eq(valid("{\"pattern\": \"b\"}", "\"abc\""), 0);
}

/* ---- keywords by draft ---- */

Test(schema_drafts, default_is_2020_12)
{
    /* Array-form items and dependencies are not 2020-12 keywords. */
    cr_expect_eq(valid("{\"items\": [{\"type\": \"string\"}]}", "[1]"), 0);
    cr_expect_eq(valid("{\"dependencies\": {\"a\": [\"b\"]}}", "{\"a\": 1}"), 0);
    cr_expect_eq(valid("{\"prefixItems\": [{\"type\": \"string\"}]}", "[1]"), 1);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"items\": "
                       "[{\"type\": \"string\"}]}",
                       "[1]"),
                 1);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
                       "\"dependencies\": {\"a\": [\"b\"]}}",
                       "{\"a\": 1}"),
                 1);
}

Test(schema_drafts, format_is_an_annotation)
{
    cr_expect_eq(valid("{\"format\": \"email\"}", "\"not an email\""), 0);
    cr_expect_eq(valid("{\"format\": \"date-time\"}", "\"yesterday\""), 0);
    cr_expect_eq(valid("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"format\": "
                       "\"ipv4\"}",
                       "\"1.2.3\""),
                 0);
}

Test(schema_drafts, ref_to_metaschema_without_network)
{
    cr_expect_eq(
        valid("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}", "{\"type\": \"string\"}"),
        0);
    cr_expect_eq(
        valid("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}", "{\"type\": \"strin\"}"),
        1);
    cr_expect_eq(valid("{\"$ref\": \"https://json-schema.org/draft/2020-12/schema\"}",
                       "{\"minLength\": -1}"),
                 1);
    cr_expect_eq(
        valid("{\"$ref\": \"http://json-schema.org/draft-04/schema#\"}", "{\"required\": []}"), 1);
}

Test(schema_drafts, unevaluated_properties)
{
    const char *s = "{\"allOf\": [{\"properties\": {\"a\": true}}], \"properties\": {\"b\": "
                    "true}, \"unevaluatedProperties\": false}";
    cr_expect_eq(valid(s, "{\"a\": 1, \"b\": 2}"), 0);
    cinto_schema_error e;
    cr_expect_eq(check(s, "{\"a\": 1, \"c\": 2}", &e), 1);
    cr_expect_str_eq(e.message, "Unevaluated properties are not allowed ('c' was unexpected)");
}

/* ---- the compiled object ---- */

Test(schema_object, outlives_its_source_and_is_reusable)
{
    char err[256];
    json_object *s = J("{\"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 0}}, "
                       "\"required\": [\"n\"]}");
    cinto_schema *c = cinto_schema_compile(s, err, sizeof err);
    json_object_put(s);
    cr_assert(c);
    for (int i = 0; i < 200; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"n\": %d}", i % 2 ? i : -i - 1);
        json_object *inst = J(text);
        cr_expect_eq(cinto_schema_validate(c, inst, NULL), i % 2 ? 0 : 1);
        json_object_put(inst);
    }
    cinto_schema_free(c);
    cinto_schema_free(NULL);
}

Test(schema_object, boolean_schemas)
{
    cr_expect_eq(valid("true", "{\"anything\": 1}"), 0);
    cr_expect_eq(valid("false", "null"), 1);
    cr_expect_eq(valid("{}", "null"), 0);
}

Test(schema_messages, false_subschema_field_as_upstream)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"properties\": {\"secret\": false}}", "{\"secret\": 1}", &e), 1);
    cr_expect_str_eq(e.path, "secret");
    cr_expect_str_eq(e.field, "properties");
    cr_assert_eq(check("{\"properties\": {\"x\": {\"properties\": {\"a\": false}}}}",
                       "{\"x\": {\"a\": 1}}", &e),
                 1);
    cr_expect_str_eq(e.path, "x.a");
    cr_expect_str_eq(e.field, "x");
}

Test(schema_messages, python_4_2x_wording)
{
    cinto_schema_error e;
    cr_assert_eq(check("{\"minLength\": 1}", "\"\"", &e), 1);
    cr_expect_str_eq(e.message, "'' should be non-empty");
    cr_assert_eq(check("{\"maxItems\": 0}", "[1]", &e), 1);
    cr_expect_str_eq(e.message, "[1] is expected to be empty");
    cr_assert_eq(check("{\"prefixItems\": [{}], \"items\": false}", "[1, 2, 3]", &e), 1);
    cr_expect_str_eq(e.message, "Expected at most 1 item but found 2 extra: [2, 3]");
    cr_assert_eq(check("{\"type\": \"object\"}", "[]", &e), 1);
    /* Upstream indexes the keyword's string value: its last character. */
    cr_expect_str_eq(e.field, "t");
}

/* Found by tests/fuzz: "\p" or "\P" not followed by "{" is an identity
 * escape; translating it must make progress (it used to loop forever). */
Test(schema_regex, identity_escape_p_terminates, .timeout = 10)
{
    cinto_schema_error e;
    memset(&e, 0, sizeof e);
    cr_assert_eq(schema_check("{\"pattern\":\"\\\\p\"}", &e), 0, "%s", e.message);
    cr_assert_eq(schema_check("{\"patternProperties\":{\"\\\\P\":{}}}", &e), 0, "%s", e.message);
    cr_assert_eq(valid("{\"pattern\":\"^a\\\\pb$\"}", "\"apb\""), 0);
    cr_assert_eq(valid("{\"pattern\":\"^a\\\\pb$\"}", "\"ab\""), 1);
}
