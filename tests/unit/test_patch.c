/* Unit tests for lib/patch: JSON Pointer, JSON Merge Patch (RFC 7396
 * appendix A), JSON Patch (RFC 6902 appendix A) and Kinto's permission
 * flavour (spec 03 §3.5.3). */
#include "patch/patch.h"
#include "patch/pointer.h"
#include "util/json.h"

#include <criterion/criterion.h>
#include <string.h>

/* Parses a JSON text written in the test (NULL for the literal null). */
static json_object *J(const char *text)
{
    char err[256];
    int is_null = 0;
    json_object *o = cinto_json_parse(text, strlen(text), &is_null, err, sizeof err);
    cr_assert(o || is_null, "bad test JSON %s: %s", text, err);
    return o;
}

/* Asserts that obj equals the JSON text expected (order-insensitive). */
static void assert_json(json_object *obj, const char *expected)
{
    json_object *e = J(expected);
    cr_assert(cinto_json_equal(obj, e), "got %s, expected %s", obj ? cinto_json_dump(obj) : "null",
              expected);
    json_object_put(e);
}

/* ---- JSON Pointer ------------------------------------------------------ */

Test(pointer, parse_unescapes_tokens)
{
    cinto_pointer p = CINTO_POINTER_INIT;
    char err[128];
    cr_assert_eq(cinto_pointer_parse("/a~1b/~0c/~01/", &p, err, sizeof err), 0);
    cr_assert_eq(p.count, 4);
    cr_assert_str_eq(p.tokens[0], "a/b");
    cr_assert_str_eq(p.tokens[1], "~c");
    cr_assert_str_eq(p.tokens[2], "~1"); /* ~0 first, then the 1 stays literal */
    cr_assert_str_eq(p.tokens[3], "");
    cinto_pointer_free(&p);
    cr_assert_eq(cinto_pointer_parse("", &p, err, sizeof err), 0);
    cr_assert_eq(p.count, 0);
    cinto_pointer_free(&p);
}

Test(pointer, parse_errors)
{
    cinto_pointer p = CINTO_POINTER_INIT;
    char err[128];
    cr_assert_eq(cinto_pointer_parse("a/b", &p, err, sizeof err), -1);
    cr_assert_eq(cinto_pointer_parse("/a~2", &p, err, sizeof err), -1);
    cr_assert_eq(cinto_pointer_parse("/a~", &p, err, sizeof err), -1);
    cr_assert_eq(cinto_pointer_parse("/ok/~x", &p, err, sizeof err), -1);
    cr_assert_eq(p.count, 0);
}

Test(pointer, index_is_strict)
{
    size_t i;
    cr_assert_eq(cinto_pointer_index("0", &i), 0);
    cr_assert_eq(i, 0);
    cr_assert_eq(cinto_pointer_index("42", &i), 0);
    cr_assert_eq(i, 42);
    cr_assert_eq(cinto_pointer_index("01", &i), -1);
    cr_assert_eq(cinto_pointer_index("-", &i), -1);
    cr_assert_eq(cinto_pointer_index("", &i), -1);
    cr_assert_eq(cinto_pointer_index("1a", &i), -1);
    cr_assert_eq(cinto_pointer_index("-1", &i), -1);
    cr_assert_eq(cinto_pointer_index("99999999999999999999999", &i), -1);
}

Test(pointer, resolve_rfc6901_examples)
{
    json_object *doc = J("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
                         "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8,\"z\":null}");
    json_object *v;
    cr_assert_eq(cinto_pointer_resolve(doc, "", &v), 1);
    cr_assert_eq(v, doc);
    cr_assert_eq(cinto_pointer_resolve(doc, "/foo/0", &v), 1);
    assert_json(v, "\"bar\"");
    cr_assert_eq(cinto_pointer_resolve(doc, "/", &v), 1);
    assert_json(v, "0");
    cr_assert_eq(cinto_pointer_resolve(doc, "/a~1b", &v), 1);
    assert_json(v, "1");
    cr_assert_eq(cinto_pointer_resolve(doc, "/i\\j", &v), 1);
    assert_json(v, "5");
    cr_assert_eq(cinto_pointer_resolve(doc, "/k\"l", &v), 1);
    assert_json(v, "6");
    cr_assert_eq(cinto_pointer_resolve(doc, "/ ", &v), 1);
    assert_json(v, "7");
    cr_assert_eq(cinto_pointer_resolve(doc, "/m~0n", &v), 1);
    assert_json(v, "8");
    /* A member holding null exists (json-c gives NULL). */
    cr_assert_eq(cinto_pointer_resolve(doc, "/z", &v), 1);
    cr_assert_null(v);
    cr_assert_eq(cinto_pointer_resolve(doc, "/zz", &v), 0);
    cr_assert_eq(cinto_pointer_resolve(doc, "/foo/2", &v), 0);
    cr_assert_eq(cinto_pointer_resolve(doc, "/foo/01", &v), 0);
    cr_assert_eq(cinto_pointer_resolve(doc, "/foo/-", &v), 0);
    cr_assert_eq(cinto_pointer_resolve(doc, "/a~1b/x", &v), 0);
    cr_assert_eq(cinto_pointer_resolve(doc, "/~2", &v), -1);
    json_object_put(doc);
}

/* ---- RFC 7396 ---------------------------------------------------------- */

/* One merge: target and patch as JSON texts, expected result. */
static void merge_case(const char *target, const char *patch, const char *expected)
{
    json_object *t = J(target), *p = J(patch);
    cr_assert_eq(cinto_merge_patch(&t, p), 0);
    assert_json(t, expected);
    assert_json(p, patch); /* the patch itself is left alone */
    json_object_put(t);
    json_object_put(p);
}

Test(merge, rfc7396_appendix_a)
{
    merge_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    merge_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    merge_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    merge_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    merge_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    merge_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    merge_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
               "{\"a\":{\"b\":\"d\"}}");
    merge_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    merge_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    merge_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    merge_case("{\"a\":\"foo\"}", "null", "null");
    merge_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    merge_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    merge_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    merge_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

Test(merge, kinto_cases)
{
    /* spec 03 §3.5.2 */
    merge_case("{}", "{\"a\":{\"b\":{\"c\":null}}}", "{\"a\":{\"b\":{}}}");
    /* falsy values are values, not removals */
    merge_case("{\"a\":1,\"b\":1,\"c\":1,\"d\":1}", "{\"a\":false,\"b\":0,\"c\":\"\",\"d\":{}}",
               "{\"a\":false,\"b\":0,\"c\":\"\",\"d\":{}}");
    /* D5: an object patch over a non-object value merges into {} */
    merge_case("{\"a\":1}", "{\"a\":{\"b\":2,\"c\":null}}", "{\"a\":{\"b\":2}}");
    merge_case("{\"a\":{\"x\":1,\"y\":{\"z\":2}}}", "{\"a\":{\"y\":{\"w\":3}}}",
               "{\"a\":{\"x\":1,\"y\":{\"z\":2,\"w\":3}}}");
    merge_case("null", "{\"a\":1}", "{\"a\":1}");
    merge_case("{\"a\":1}", "{\"zz\":null}", "{\"a\":1}");
}

Test(merge, patch_not_owned_and_self_merge)
{
    json_object *t = J("{\"a\":{\"b\":1}}"), *p = J("{\"a\":{\"c\":[1,2]}}");
    cr_assert_eq(cinto_merge_patch(&t, p), 0);
    /* the inserted values are copies: changing the patch leaves t alone */
    json_object_array_add(json_object_object_get(json_object_object_get(p, "a"), "c"),
                          json_object_new_int(3));
    assert_json(t, "{\"a\":{\"b\":1,\"c\":[1,2]}}");
    assert_json(p, "{\"a\":{\"c\":[1,2,3]}}");
    json_object_put(p);
    p = J("{\"a\":1,\"b\":null}");
    cr_assert_eq(cinto_merge_patch(&p, p), 0);
    assert_json(p, "{\"a\":1}");
    json_object_put(p);
    json_object_put(t);
}

/* ---- RFC 6902 ---------------------------------------------------------- */

/* Applies ops to doc; expected NULL means the patch must fail, leaving the
 * document as it was. */
static void patch_case(const char *doc, const char *ops, const char *expected)
{
    json_object *d = J(doc), *o = J(ops);
    char err[512] = "";
    int rc = cinto_json_patch(&d, o, err, sizeof err);
    if (expected) {
        cr_assert_eq(rc, 0, "patch %s failed: %s", ops, err);
        assert_json(d, expected);
    } else {
        cr_assert_eq(rc, -1, "patch %s should fail", ops);
        cr_assert(strncmp(err, CINTO_PATCH_ERR_PREFIX, strlen(CINTO_PATCH_ERR_PREFIX)) == 0,
                  "message: %s", err);
        assert_json(d, doc);
    }
    json_object_put(d);
    json_object_put(o);
}

Test(json_patch, rfc6902_appendix_a)
{
    /* A.1 */
    patch_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
               "{\"baz\":\"qux\",\"foo\":\"bar\"}");
    /* A.2 */
    patch_case("{\"foo\":[\"bar\",\"baz\"]}",
               "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
               "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
    /* A.3 */
    patch_case("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
               "{\"foo\":\"bar\"}");
    /* A.4 */
    patch_case("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
               "{\"foo\":[\"bar\",\"baz\"]}");
    /* A.5 */
    patch_case("{\"baz\":\"qux\",\"foo\":\"bar\"}",
               "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
               "{\"baz\":\"boo\",\"foo\":\"bar\"}");
    /* A.6 */
    patch_case("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
               "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
               "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
    /* A.7 */
    patch_case("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
               "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
               "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
    /* A.8 */
    patch_case("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
               "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
               "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
               "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
    /* A.9 */
    patch_case("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
               NULL);
    /* A.10 */
    patch_case("{\"foo\":\"bar\"}",
               "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
               "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
    /* A.11: the RFC ignores unknown members; Kinto's schema (and we) refuse them */
    patch_case("{\"foo\":\"bar\"}",
               "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]", NULL);
    /* A.12 */
    patch_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
               NULL);
    /* A.14 */
    patch_case("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
               "{\"/\":9,\"~1\":10}");
    /* A.15 */
    patch_case("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
               NULL);
    /* A.16 */
    patch_case("{\"foo\":[\"bar\"]}",
               "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
               "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

Test(json_patch, more_operations)
{
    /* add replaces an existing member */
    patch_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":2}]", "{\"a\":2}");
    /* add at the end by index, and at the start */
    patch_case("[1,2]",
               "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3},"
               "{\"op\":\"add\",\"path\":\"/0\",\"value\":0}]",
               "[0,1,2,3]");
    /* null is a value */
    patch_case("{}",
               "[{\"op\":\"add\",\"path\":\"/n\",\"value\":null},"
               "{\"op\":\"test\",\"path\":\"/n\",\"value\":null}]",
               "{\"n\":null}");
    patch_case("[null,1]", "[{\"op\":\"remove\",\"path\":\"/0\"}]", "[1]");
    /* root operations */
    patch_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");
    patch_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}");
    patch_case("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]",
               "{\"b\":1}");
    patch_case("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":1.0}}]", "{\"a\":1}");
    /* replace keeps array positions */
    patch_case("[1,2,3]", "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":{\"x\":1}}]",
               "[1,{\"x\":1},3]");
    /* test is deep and ignores key order */
    patch_case("{\"a\":{\"x\":[1,{\"y\":2,\"z\":3}]}}",
               "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"x\":[1,{\"z\":3,\"y\":2}]}}]",
               "{\"a\":{\"x\":[1,{\"y\":2,\"z\":3}]}}");
    /* copy is deep: changing the copy leaves the source */
    patch_case("{\"a\":{\"b\":[1]}}",
               "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
               "{\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":2}]",
               "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1,2]}}");
    /* move onto itself, and between arrays */
    patch_case("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":1}");
    patch_case("{\"a\":[1,2],\"b\":[]}", "[{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/b/-\"}]",
               "{\"a\":[2],\"b\":[1]}");
    patch_case("{\"a\":[1,2,3]}", "[{\"op\":\"move\",\"from\":\"/a/2\",\"path\":\"/a/0\"}]",
               "{\"a\":[3,1,2]}");
    /* escaped member names */
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"/a~1b~0c\",\"value\":1}]", "{\"a/b~c\":1}");
    /* an empty member name */
    patch_case("{}", "[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]", "{\"\":1}");
    /* the empty patch */
    patch_case("{\"a\":1}", "[]", "{\"a\":1}");
    /* a null document */
    patch_case("null", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{}}]", "{}");
}

Test(json_patch, shape_errors)
{
    const char *doc = "{\"a\":[1,2]}";
    patch_case(doc, "{\"op\":\"add\"}", NULL);                               /* not an array */
    patch_case(doc, "[1]", NULL);                                            /* not an object */
    patch_case(doc, "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", NULL);      /* bad op */
    patch_case(doc, "[{\"op\":1,\"path\":\"/a\"}]", NULL);                   /* op not a string */
    patch_case(doc, "[{\"path\":\"/a\"}]", NULL);                            /* no op */
    patch_case(doc, "[{\"op\":\"remove\"}]", NULL);                          /* no path */
    patch_case(doc, "[{\"op\":\"remove\",\"path\":5}]", NULL);               /* path not a string */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/b\"}]", NULL);             /* missing value */
    patch_case(doc, "[{\"op\":\"replace\",\"path\":\"/a\"}]", NULL);         /* missing value */
    patch_case(doc, "[{\"op\":\"test\",\"path\":\"/a\"}]", NULL);            /* missing value */
    patch_case(doc, "[{\"op\":\"move\",\"path\":\"/b\"}]", NULL);            /* missing from */
    patch_case(doc, "[{\"op\":\"copy\",\"path\":\"/b\",\"from\":3}]", NULL); /* from not a string */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL);  /* no leading / */
    patch_case(doc, "[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]", NULL); /* no leading / */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":1}]", NULL);    /* bad escape */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/b~\",\"value\":1}]", NULL);    /* bad escape */
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"/a\",\"extra\":1}]", NULL);  /* extra member */
    /* a shape error after a valid operation still fails the whole patch */
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"nope\",\"path\":\"\"}]", NULL);
}

Test(json_patch, application_errors)
{
    const char *doc = "{\"a\":[1,2],\"o\":{\"k\":1},\"s\":\"x\"}";
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":0}]", NULL); /* leading zero */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":0}]", NULL);  /* past the end */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":0}]", NULL);  /* not a number */
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/a/-1\",\"value\":0}]", NULL); /* negative */
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"/a/2\"}]", NULL);           /* out of range */
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", NULL); /* '-' only for add */
    patch_case(doc, "[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":1}]", NULL);
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"/nope\"}]", NULL);
    patch_case(doc, "[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]", NULL);
    patch_case(doc, "[{\"op\":\"remove\",\"path\":\"\"}]", NULL);
    patch_case(doc, "[{\"op\":\"add\",\"path\":\"/s/x\",\"value\":1}]", NULL); /* into a string */
    patch_case(doc, "[{\"op\":\"test\",\"path\":\"/nope\",\"value\":1}]", NULL);
    patch_case(doc, "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]", NULL);
    patch_case(doc, "[{\"op\":\"move\",\"from\":\"/o\",\"path\":\"/o/k2\"}]", NULL); /* own child */
    patch_case(doc, "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/x\"}]", NULL);
    patch_case(doc, "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/x\"}]", NULL);
    patch_case(doc, "[{\"op\":\"copy\",\"from\":\"/nope\",\"path\":\"/x\"}]", NULL);
    patch_case(doc, "[{\"op\":\"copy\",\"from\":\"/o\",\"path\":\"/a/9\"}]", NULL);
}

Test(json_patch, failure_leaves_document_unchanged)
{
    json_object *d = J("{\"a\":[1,2],\"o\":{\"k\":1}}");
    json_object *before = d;
    json_object *ops = J("[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0},"
                         "{\"op\":\"remove\",\"path\":\"/o/k\"},"
                         "{\"op\":\"replace\",\"path\":\"\",\"value\":7},"
                         "{\"op\":\"test\",\"path\":\"\",\"value\":8}]");
    char err[512];
    cr_assert_eq(cinto_json_patch(&d, ops, err, sizeof err), -1);
    cr_assert_eq(d, before);
    assert_json(d, "{\"a\":[1,2],\"o\":{\"k\":1}}");
    cr_assert(strstr(err, "operation 3") != NULL, "message: %s", err);
    json_object_put(ops);
    json_object_put(d);
}

/* ---- Kinto's flavour --------------------------------------------------- */

static const char *const COLLECTION_PERMS[] = {"read", "write", "record:create", NULL};
static const char *const BUCKET_PERMS[] = {"read", "write", "collection:create", "group:create",
                                           NULL};

/* Runs Kinto's json-patch; on success checks data and perms against the
 * expected texts, on failure (expected_data NULL) checks the message. */
static void kinto_case(const char *const *allowed, const char *data, const char *perms,
                       const char *ops, const char *expected_data, const char *expected_perms)
{
    json_object *d = J(data), *p = perms ? J(perms) : NULL, *o = J(ops);
    json_object *nd = NULL, *np = NULL;
    char err[512] = "";
    int rc = cinto_kinto_json_patch(d, p, allowed, o, &nd, &np, err, sizeof err);
    if (expected_data) {
        cr_assert_eq(rc, 0, "patch %s failed: %s", ops, err);
        assert_json(nd, expected_data);
        assert_json(np, expected_perms);
    } else {
        cr_assert_eq(rc, -1, "patch %s should fail", ops);
        cr_assert_null(nd);
        cr_assert_null(np);
        cr_assert(strncmp(err, CINTO_PATCH_ERR_PREFIX, strlen(CINTO_PATCH_ERR_PREFIX)) == 0,
                  "message: %s", err);
        if (expected_perms)
            cr_assert(strstr(err, expected_perms), "message %s lacks %s", err, expected_perms);
    }
    /* the inputs are never modified */
    assert_json(d, data);
    if (perms)
        assert_json(p, perms);
    json_object_put(nd);
    json_object_put(np);
    json_object_put(d);
    json_object_put(p);
    json_object_put(o);
}

#define REC "{\"id\":\"r1\",\"last_modified\":10,\"title\":\"a\"}"

Test(kinto_patch, data_operations)
{
    kinto_case(COLLECTION_PERMS, REC, "{\"write\":[\"alice\"]}",
               "[{\"op\":\"test\",\"path\":\"/data/id\",\"value\":\"r1\"},"
               "{\"op\":\"replace\",\"path\":\"/data/title\",\"value\":\"b\"},"
               "{\"op\":\"add\",\"path\":\"/data/tags\",\"value\":[\"x\"]},"
               "{\"op\":\"add\",\"path\":\"/data/tags/-\",\"value\":\"y\"}]",
               "{\"id\":\"r1\",\"last_modified\":10,\"title\":\"b\",\"tags\":[\"x\",\"y\"]}",
               "{\"read\":[],\"write\":[\"alice\"],\"record:create\":[]}");
    /* the empty patch reports the stored ACL, every permission included */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"a\",\"b\"],\"write\":[\"alice\"]}", "[]", REC,
               "{\"read\":[\"a\",\"b\"],\"write\":[\"alice\"],\"record:create\":[]}");
    kinto_case(COLLECTION_PERMS, REC, NULL, "[]", REC,
               "{\"read\":[],\"write\":[],\"record:create\":[]}");
}

Test(kinto_patch, group_principals_escaped_and_not)
{
    const char *expected = "{\"read\":[\"alice\",\"/buckets/b/groups/g\"],\"write\":[],"
                           "\"record:create\":[]}";
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions/read/~1buckets~1b~1groups~1g\"}]", REC,
               expected);
    /* kinto.js does not escape */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions/read//buckets/b/groups/g\"}]", REC,
               expected);
    /* removing it by either spelling */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\",\"/buckets/b/groups/g\"]}",
               "[{\"op\":\"remove\",\"path\":\"/permissions/read//buckets/b/groups/g\"}]", REC,
               "{\"read\":[\"alice\"],\"write\":[],\"record:create\":[]}");
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\",\"/buckets/b/groups/g\"]}",
               "[{\"op\":\"remove\",\"path\":\"/permissions/read/~1buckets~1b~1groups~1g\"}]", REC,
               "{\"read\":[\"alice\"],\"write\":[],\"record:create\":[]}");
    /* ~0 and bad escapes in principals */
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/write/a~0b\"}]", REC,
               "{\"read\":[],\"write\":[\"a~b\"],\"record:create\":[]}");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/write/a~2b\"}]", NULL, "escape");
    kinto_case(COLLECTION_PERMS, REC, NULL, "[{\"op\":\"add\",\"path\":\"/permissions/write/\"}]",
               NULL, "empty principal");
}

Test(kinto_patch, implied_value_for_every_permission)
{
    /* kinto.js: add to record:create on a collection that has no such ACE */
    kinto_case(COLLECTION_PERMS, REC, "{\"write\":[\"alice\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions/record:create/system.Authenticated\"}]",
               REC,
               "{\"read\":[],\"write\":[\"alice\"],\"record:create\":[\"system.Authenticated\"]}");
    kinto_case(BUCKET_PERMS, "{\"id\":\"b\"}", NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/collection:create/account:bob\"},"
               "{\"op\":\"add\",\"path\":\"/permissions/group:create/account:bob\"},"
               "{\"op\":\"add\",\"path\":\"/permissions/read/system.Everyone\"}]",
               "{\"id\":\"b\"}",
               "{\"read\":[\"system.Everyone\"],\"write\":[],"
               "\"collection:create\":[\"account:bob\"],\"group:create\":[\"account:bob\"]}");
    /* a given value is overridden by the principal, as upstream does */
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/read/bob\",\"value\":\"zzz\"},"
               "{\"op\":\"test\",\"path\":\"/permissions/read/bob\"}]",
               REC, "{\"read\":[\"bob\"],\"write\":[],\"record:create\":[]}");
    /* test on a non-granted principal fails */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"]}",
               "[{\"op\":\"test\",\"path\":\"/permissions/read/bob\"}]", NULL, "does not exist");
    /* moving a principal between ACEs */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"]}",
               "[{\"op\":\"move\",\"from\":\"/permissions/read/alice\","
               "\"path\":\"/permissions/record:create/alice\"}]",
               REC, "{\"read\":[],\"write\":[],\"record:create\":[\"alice\"]}");
}

Test(kinto_patch, remove_errors_and_unknown_permissions)
{
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"]}",
               "[{\"op\":\"remove\",\"path\":\"/permissions/read/bob\"}]", NULL, "does not exist");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"remove\",\"path\":\"/permissions/record:create/bob\"}]", NULL, NULL);
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/collection:create/bob\"}]", NULL,
               "unknown permission 'collection:create'");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/admin\",\"value\":[\"x\"]}]", NULL,
               "unknown permission");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions\",\"value\":{\"admin\":[\"x\"]}}]", NULL,
               "unknown permission");
    /* smuggling an unknown ACE in through copy is caught at the end */
    kinto_case(COLLECTION_PERMS, "{\"id\":\"r1\",\"p\":{\"admin\":{\"x\":\"x\"}}}", NULL,
               "[{\"op\":\"copy\",\"from\":\"/data/p\",\"path\":\"/permissions\"}]", NULL,
               "unknown permission");
    kinto_case(COLLECTION_PERMS, "{\"id\":\"r1\",\"p\":3}", NULL,
               "[{\"op\":\"copy\",\"from\":\"/data/p\",\"path\":\"/permissions/read\"}]", NULL,
               "list of principals");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/read\",\"value\":\"alice\"}]", NULL,
               "list of principals");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/read\",\"value\":[1]}]", NULL,
               "list of principals");
}

Test(kinto_patch, whole_ace_and_acl)
{
    /* add /permissions/read with an array replaces that ACE */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"alice\"],\"write\":[\"w\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions/read\",\"value\":[\"bob\",\"carol\"]},"
               "{\"op\":\"remove\",\"path\":\"/permissions/read/carol\"}]",
               REC, "{\"read\":[\"bob\"],\"write\":[\"w\"],\"record:create\":[]}");
    /* a missing ACE can be added whole */
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/permissions/record:create\",\"value\":[\"x\",\"x\"]}]",
               REC, "{\"read\":[],\"write\":[],\"record:create\":[\"x\"]}");
    /* test on a whole ACE with an array value */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"a\",\"b\"]}",
               "[{\"op\":\"test\",\"path\":\"/permissions/read\",\"value\":[\"b\",\"a\"]}]", REC,
               "{\"read\":[\"a\",\"b\"],\"write\":[],\"record:create\":[]}");
    /* add /permissions with an object replaces all */
    kinto_case(COLLECTION_PERMS, REC,
               "{\"read\":[\"a\"],\"write\":[\"w\"],\"record:create\":[\"c\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions\",\"value\":{\"read\":[\"x\"]}}]", REC,
               "{\"read\":[\"x\"],\"write\":[],\"record:create\":[]}");
    /* emptied ACEs are reported as [] */
    kinto_case(COLLECTION_PERMS, REC,
               "{\"read\":[\"a\"],\"write\":[\"w\"],\"record:create\":[\"c\"]}",
               "[{\"op\":\"remove\",\"path\":\"/permissions/write/w\"},"
               "{\"op\":\"remove\",\"path\":\"/permissions/record:create\"}]",
               REC, "{\"read\":[\"a\"],\"write\":[],\"record:create\":[]}");
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"a\"]}",
               "[{\"op\":\"remove\",\"path\":\"/permissions\"}]", REC,
               "{\"read\":[],\"write\":[],\"record:create\":[]}");
    /* an unknown stored ACE is ignored */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"a\"],\"bogus\":[\"b\"]}", "[]", REC,
               "{\"read\":[\"a\"],\"write\":[],\"record:create\":[]}");
}

Test(kinto_patch, failures)
{
    /* the data must stay an object */
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"replace\",\"path\":\"/data\",\"value\":42}]", NULL,
               "data must be an object");
    kinto_case(COLLECTION_PERMS, REC, NULL, "[{\"op\":\"remove\",\"path\":\"/data\"}]", NULL,
               "data must be an object");
    /* paths must start with "/": no root operations */
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"data\":{}}}]", NULL, "start with");
    /* value still required outside principal paths */
    kinto_case(COLLECTION_PERMS, REC, NULL, "[{\"op\":\"add\",\"path\":\"/data/x\"}]", NULL,
               "'value' is required");
    kinto_case(COLLECTION_PERMS, REC, NULL, "[{\"op\":\"add\",\"path\":\"/permissions/read\"}]",
               NULL, "'value' is required");
    kinto_case(COLLECTION_PERMS, REC, NULL,
               "[{\"op\":\"add\",\"path\":\"/data/x\",\"value\":1,\"foo\":2}]", NULL,
               "unexpected member");
    kinto_case(COLLECTION_PERMS, REC, NULL, "[{\"op\":\"bad\",\"path\":\"/data/x\"}]", NULL,
               "unknown op");
    /* a failing test after successful operations leaves nothing applied */
    kinto_case(COLLECTION_PERMS, REC, "{\"read\":[\"a\"]}",
               "[{\"op\":\"add\",\"path\":\"/permissions/read/b\"},"
               "{\"op\":\"replace\",\"path\":\"/data/title\",\"value\":\"z\"},"
               "{\"op\":\"test\",\"path\":\"/data/title\",\"value\":\"a\"}]",
               NULL, "not equal");
    kinto_case(COLLECTION_PERMS, REC, NULL, "{}", NULL, "array");
}
