/* Basic credentials parsing and the basicauth user id (spec 04 §4.11). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "auth/basic.h"

Test(basicauth_userid, spec_vectors)
{
    char out[65];
    cinto_basicauth_userid("", "mat", "secret", out);
    cr_assert_str_eq(out, "8a931a10fc88ab2f6d1cc02a07d3a81b5d4768f6f13e85c5d8d4180419acb1b4");
    cinto_basicauth_userid("", "alice", "secret", out);
    cr_assert_str_eq(out, "d5b0026601f1b251974e09548d44155e16812e3c64ff7ae053fe3542e2ca1570");
    cinto_basicauth_userid("some-secret-string", "mat", "secret", out);
    cr_assert_str_eq(out, "c6c27f0c7297ba7d4abd2a70c8a2cb88a06a3bb793817ef2c85fe8a709b08022");
}

Test(basicauth_userid, utf8_and_colons)
{
    /* Reference computed with Python's hmac module. */
    char out[65];
    cinto_basicauth_userid("", "j\xc3\xa9r\xc3\xb4me", "p:w", out);
    cr_assert_str_eq(out, "588960e65426577fdfc414d95a08bd2681dd981de523120dc5faf36ae60e5a18");
}

Test(basicauth_userid, long_secret)
{
    /* Keys longer than the SHA-256 block are hashed first (RFC 2104);
     * just check it is deterministic and differs from a short key. */
    char a[65], b[65], c[65];
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    cinto_basicauth_userid(key, "mat", "secret", a);
    cinto_basicauth_userid(key, "mat", "secret", b);
    cinto_basicauth_userid("k", "mat", "secret", c);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_eq(strlen(a), 64);
}

/* Parses and checks the expected user/password, then frees. */
static void expect_ok(const char *header, const char *user, const char *pass)
{
    char *u = (char *)1, *p = (char *)1;
    cr_assert_eq(cinto_basic_parse(header, &u, &p), 0, "refused [%s]", header);
    cr_expect_str_eq(u, user);
    cr_expect_str_eq(p, pass);
    free(u);
    free(p);
}

static void expect_bad(const char *header)
{
    char *u = (char *)1, *p = (char *)1;
    cr_expect_eq(cinto_basic_parse(header, &u, &p), -1, "accepted [%s]", header ? header : "NULL");
    cr_expect_null(u);
    cr_expect_null(p);
}

Test(basic_parse, ordinary)
{
    expect_ok("Basic bWF0OnNlY3JldA==", "mat", "secret");
    expect_ok("basic bWF0OnNlY3JldA==", "mat", "secret");
    expect_ok("BASIC   bWF0OnNlY3JldA==", "mat", "secret");
    expect_ok("BaSiC\tbWF0OnNlY3JldA==  ", "mat", "secret");
    expect_ok("Basic bWF0OnNlY3JldA", "mat", "secret"); /* padding optional */
}

Test(basic_parse, password_with_colons_and_empty_parts)
{
    expect_ok("Basic dXNlcjpwOmE6c3M=", "user", "p:a:ss"); /* user:p:a:ss */
    expect_ok("Basic dXNlcjo=", "user", "");               /* user: */
    expect_ok("Basic OnB3", "", "pw");                     /* :pw */
    expect_ok("Basic Og==", "", "");                       /* : */
}

Test(basic_parse, utf8_and_latin1)
{
    /* "jérôme:p:w" in UTF-8 stays as is. */
    expect_ok("Basic asOpcsO0bWU6cDp3", "j\xc3\xa9r\xc3\xb4me", "p:w");
    /* The same in Latin-1 bytes is not UTF-8: decoded as Latin-1. */
    expect_ok("Basic auly9G1lOnA6dw==", "j\xc3\xa9r\xc3\xb4me", "p:w");
    /* Mixed: valid UTF-8 user, Latin-1 password -> the whole value is
     * read as Latin-1, as upstream does. "\xc3\xa9:\xe9" */
    expect_ok("Basic w6k66Q==", "\xc3\x83\xc2\xa9", "\xc3\xa9");
}

Test(basic_parse, not_usable)
{
    expect_bad(NULL);
    expect_bad("");
    expect_bad("basic");
    expect_bad("Basic");
    expect_bad("Basic ");
    expect_bad("Basic    ");
    expect_bad("BASIC   x");                /* not base64 */
    expect_bad("Basic bWF0c2VjcmV0");       /* "matsecret": no colon */
    expect_bad("Basic bWF0OnNlY3JldA=");    /* partial padding */
    expect_bad("Basic bWF0On NlY3JldA==");  /* inner space */
    expect_bad("Basic bWF0OnNlY3JldA==,x"); /* junk */
    expect_bad("Bearer bWF0OnNlY3JldA==");
    expect_bad("Carrier pigeon");
    expect_bad("BasicbWF0OnNlY3JldA=="); /* no space after the scheme */
    expect_bad("Basi bWF0OnNlY3JldA==");
    expect_bad("Digest username=\"mat\"");
    expect_bad("Basic YQBiOmM="); /* "a\0b:c": NUL refused */
    expect_bad("Basic YTpiAGM="); /* "a:b\0c" */
}
