/* The request JSON parser: the one place untrusted JSON enters. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static json_object *parse(const char *s, char *err)
{
    return cinto_json_parse(s, strlen(s), NULL, err, 256);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 8);
    size_t n = 0;
    for (int i = 0; i < depth; i++)
        s[n++] = '[';
    for (int i = 0; i < depth; i++)
        s[n++] = ']';
    s[n] = '\0';
    return s;
}

Test(json, accepts_512_levels_refuses_thousands)
{
    char err[256];
    char *ok = nested(512), *deep = nested(5000);
    json_object *a = parse(ok, err);
    cr_assert_not_null(a, "%s", err);
    cr_assert_null(parse(deep, err));
    cr_assert(strncmp(err, "Invalid JSON", 12) == 0);
    json_object_put(a);
    free(ok);
    free(deep);
}

Test(json, integers_are_exact_or_refused)
{
    char err[256];
    json_object *o = parse("{\"a\":18446744073709551615,\"b\":-9223372036854775808}", err);
    cr_assert_not_null(o, "%s", err);
    cr_assert_str_eq(cinto_json_dump(o), "{\"a\":18446744073709551615,\"b\":-9223372036854775808}");
    json_object_put(o);
    cr_assert_null(parse("{\"a\":18446744073709551616}", err));
    cr_assert_null(parse("[-9223372036854775809]", err));
    cr_assert_null(parse("[1e400]", err));
    cr_assert_null(
        parse("[123456789012345678901234567890123456789012345678901234567890123456789]", err));
    o = parse("[1.5e300, 0.1]", err);
    cr_assert_not_null(o);
    cr_assert_str_eq(cinto_json_dump(o), "[1.5e300,0.1]");
    json_object_put(o);
}

Test(json, refuses_nul_escapes_single_quotes_and_trailing_data)
{
    char err[256];
    cr_assert_null(parse("{\"a\\u0000b\":1}", err));
    cr_assert_null(parse("{\"a\":\"x\\u0000\"}", err));
    cr_assert_null(parse("{'a':1}", err));
    cr_assert_null(parse("{\"a\":1} x", err));
    cr_assert_null(parse("{\"a\":1,}", err));
    cr_assert_null(parse("{\"a\":\"\xff\"}", err));
    json_object *o = parse("  {\"a\":\"\\\\u0000 is text\"}\n", err);
    cr_assert_not_null(o, "an escaped backslash before u0000 is plain text: %s", err);
    json_object_put(o);
}

Test(json, null_literal_is_reported)
{
    char err[256];
    int is_null = 0;
    cr_assert_null(cinto_json_parse("null", 4, &is_null, err, sizeof err));
    cr_assert_eq(is_null, 1);
    cr_assert_eq(err[0], '\0');
}

Test(json, slashes_are_not_escaped)
{
    char err[256];
    json_object *o = parse("{\"u\":\"/buckets/b\"}", err);
    cr_assert_str_eq(cinto_json_dump(o), "{\"u\":\"/buckets/b\"}");
    json_object_put(o);
}

Test(json, total_order_of_types)
{
    char err[256];
    json_object *o = parse("[null, \"a\", 1, true, [1], {\"a\":1}]", err);
    for (size_t i = 0; i + 1 < json_object_array_length(o); i++)
        cr_assert_lt(cinto_json_compare(json_object_array_get_idx(o, i),
                                        json_object_array_get_idx(o, i + 1)),
                     0, "index %zu", i);
    json_object *one = parse("1", err), *onef = parse("1.0", err);
    cr_assert(cinto_json_equal(one, onef));
    cr_assert_eq(cinto_json_compare(one, onef), 0);
    json_object *t = parse("true", err);
    cr_assert_not(cinto_json_equal(one, t), "1 and true differ");
    json_object_put(o);
    json_object_put(one);
    json_object_put(onef);
    json_object_put(t);
}

Test(json, deep_equality_ignores_key_order)
{
    char err[256];
    json_object *a = parse("{\"x\":[1,{\"y\":2,\"z\":3}],\"w\":null}", err);
    json_object *b = parse("{\"w\":null,\"x\":[1,{\"z\":3,\"y\":2}]}", err);
    json_object *c = parse("{\"w\":null,\"x\":[{\"z\":3,\"y\":2},1]}", err);
    cr_assert(cinto_json_equal(a, b));
    cr_assert_not(cinto_json_equal(a, c));
    json_object_put(a);
    json_object_put(b);
    json_object_put(c);
}

Test(json, strict_numbers_words_and_surrogates)
{
    char err[256];
    const char *bad[] = {"[1.]",
                         "[01]",
                         "[.5]",
                         "[1e]",
                         "[+1]",
                         "[NaN]",
                         "[-Infinity]",
                         "[Infinity]",
                         "[\"\\ud800\"]",
                         "[\"\\udc00x\"]",
                         "[\"\\ud800\\u0041\"]",
                         "[nul]",
                         "[True]",
                         "[\"a\tb\"]",
                         "[\"a\nb\"]",
                         NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_null(parse(bad[i], err), "%s was accepted", bad[i]);
    const char *good[] = {"[0, -0, 1.5, -2e10, 3E+2, 4e-3]", "[\"\\ud83d\\ude00\", \"\\u00e9\"]",
                          "[true, false, null]", NULL};
    for (int i = 0; good[i]; i++) {
        json_object *o = parse(good[i], err);
        cr_assert_not_null(o, "%s: %s", good[i], err);
        json_object_put(o);
    }
}
