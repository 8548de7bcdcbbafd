/* Header values and query strings: every malformed shape a client sends. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http/parse.h"

/* ---- If-Match / If-None-Match ---- */

Test(precondition, quoted_integer)
{
    int star = -1;
    long long ts = -1;
    cr_assert_eq(cinto_parse_precondition("\"123\"", &star, &ts), 0);
    cr_assert_eq(star, 0);
    cr_assert_eq(ts, 123);
    cr_assert_eq(cinto_parse_precondition("  \"0\"\t", &star, &ts), 0);
    cr_assert_eq(ts, 0);
    cr_assert_eq(cinto_parse_precondition("\"9223372036854775807\"", &star, &ts), 0);
    cr_assert_eq(ts, 9223372036854775807LL);
    cr_assert_eq(cinto_parse_precondition("\"1700000000456\"", &star, &ts), 0);
    cr_assert_eq(ts, 1700000000456LL);
    cr_assert_eq(cinto_parse_precondition("\"007\"", &star, &ts), 0); /* int("007") upstream */
    cr_assert_eq(ts, 7);
}

Test(precondition, star)
{
    int star = -1;
    long long ts = -1;
    cr_assert_eq(cinto_parse_precondition("*", &star, &ts), 0);
    cr_assert_eq(star, 1);
    cr_assert_eq(cinto_parse_precondition("  * ", &star, &ts), 0);
    cr_assert_eq(star, 1);
}

Test(precondition, invalid_values)
{
    static char big[8010];
    big[0] = '"';
    memset(big + 1, '9', 8000);
    big[8001] = '"';
    big[8002] = '\0';
    const char *bad[] = {
        "123",
        "W/\"1\"",
        "\"1\", \"2\"",
        "**",
        "\"-1\"",
        "\"+1\"",
        "\"9223372036854775808\"",
        "\"99999999999999999999\"",
        "",
        "   ",
        "\"\"",
        "\"",
        "\"1",
        "1\"",
        "\"1.5\"",
        "\"1e3\"",
        "\" 1\"",
        "\"1 \"",
        "'1'",
        "\"abc\"",
        "* *",
        "\"1\"x",
        "x\"1\"",
        "\"0x10\"",
        big,
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int star = 7;
        long long ts = 7;
        cr_expect_eq(cinto_parse_precondition(bad[i], &star, &ts), -1, "accepted [%.40s]", bad[i]);
    }
    int star;
    long long ts;
    cr_assert_eq(cinto_parse_precondition(NULL, &star, &ts), -1);
}

/* ---- Content-Type ---- */

Test(media_type, plain_and_params)
{
    char out[64];
    cr_assert_eq(cinto_media_type("application/json", out, sizeof out), 0);
    cr_assert_str_eq(out, "application/json");
    cr_assert_eq(cinto_media_type("application/json; charset=utf-8", out, sizeof out), 0);
    cr_assert_str_eq(out, "application/json");
    cr_assert_eq(cinto_media_type("  Application/JSON ;charset=UTF-8", out, sizeof out), 0);
    cr_assert_str_eq(out, "application/json");
    cr_assert_eq(cinto_media_type("APPLICATION/MERGE-PATCH+JSON", out, sizeof out), 0);
    cr_assert_str_eq(out, "application/merge-patch+json");
    cr_assert_eq(cinto_media_type("multipart/form-data; boundary=----x", out, sizeof out), 0);
    cr_assert_str_eq(out, "multipart/form-data");
    cr_assert_eq(cinto_media_type("text/plain;", out, sizeof out), 0);
    cr_assert_str_eq(out, "text/plain");
}

Test(media_type, malformed)
{
    const char *bad[] = {"",
                         "   ",
                         "json",
                         "/json",
                         "application/",
                         "/",
                         "; charset=utf-8",
                         "application json",
                         "application/json garbage",
                         "a/b/c",
                         "appl\xc3\xa9/json",
                         "text/(x)",
                         "application /json"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[64] = "untouched";
        cr_expect_eq(cinto_media_type(bad[i], out, sizeof out), -1, "accepted [%s]", bad[i]);
    }
    char out[8];
    cr_assert_eq(cinto_media_type(NULL, out, sizeof out), -1);
}

Test(media_type, truncates_safely)
{
    char out[8];
    memset(out, 'X', sizeof out);
    cr_assert_eq(cinto_media_type("application/json", out, sizeof out), 0);
    cr_assert_str_eq(out, "applica");
    cr_assert_eq(cinto_media_type("application/json", out, 0), 0); /* no write */
    char one[1] = {'X'};
    cr_assert_eq(cinto_media_type("a/b", one, 1), 0);
    cr_assert_eq(one[0], '\0');
}

/* ---- Accept ---- */

Test(accept, accepts)
{
    const char *ok[] = {
        NULL,
        "",
        "  ",
        "application/json",
        "APPLICATION/JSON",
        "*/*",
        "application/*",
        "text/html, application/json;q=0.9",
        "text/html,*/*;q=0.1",
        "application/json; charset=utf-8",
        "application/json;q=1.0",
        "application/json;q=0.001",
        "application/json;q=abc", /* malformed q -> 1 */
        "application/json;q=",    /* malformed q -> 1 */
        "application/json;q=2",   /* out of range -> 1 */
        "application/json;level=1;q=0.5;ext=x",
        "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8",
        "text/html;q=0, application/*;q=0.5",
        "garbage", /* invalid header: as if absent */
        "text/html, nonsense",
        ",,",
        "application/json , ",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        cr_expect_eq(cinto_accept_json(ok[i]), 1, "refused [%s]", ok[i] ? ok[i] : "NULL");
}

Test(accept, refuses)
{
    const char *no[] = {
        "text/html",
        "text/*",
        "application/xml",
        "application/jsonx",
        "application/json;q=0",
        "application/json; q=0.000",
        "*/*;q=0",
        "application/*;q=0",
        "text/html, application/json;q=0",
        "application/json;q=0, */*", /* the most specific range wins */
        "application/*;q=0, */*;q=1",
        "text/html;q=0.9, image/png",
        "*/json", /* not a range that matches */
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_expect_eq(cinto_accept_json(no[i]), 0, "accepted [%s]", no[i]);
}

/* ---- HTTP date ---- */

Test(http_date, imf_fixdate)
{
    char out[32];
    cinto_http_date(1700000000, out);
    cr_assert_str_eq(out, "Tue, 14 Nov 2023 22:13:20 GMT");
    cinto_http_date(0, out);
    cr_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    cinto_http_date(951782400, out); /* leap day 2000 */
    cr_assert_str_eq(out, "Tue, 29 Feb 2000 00:00:00 GMT");
    cinto_http_date(253402300799LL, out);
    cr_assert_str_eq(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    cinto_http_date(9223372036854775807LL, out); /* out of range: epoch, no overflow */
    cr_assert_eq(strlen(out), 29);
}

/* ---- Query strings ---- */

Test(query, order_kept_and_last)
{
    cinto_query q;
    char err[256];
    cr_assert_eq(cinto_query_parse("_limit=2&a=1&_sort=-x&a=2&flag", &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 5);
    cr_assert_str_eq(q.items[0].name, "_limit");
    cr_assert_str_eq(q.items[0].value, "2");
    cr_assert_str_eq(q.items[1].name, "a");
    cr_assert_str_eq(q.items[2].name, "_sort");
    cr_assert_str_eq(q.items[2].value, "-x");
    cr_assert_str_eq(q.items[3].value, "2");
    cr_assert_str_eq(q.items[4].name, "flag");
    cr_assert_str_eq(q.items[4].value, "");
    cr_assert_eq(q.items[4].value_len, 0);
    const cinto_query_param *a = cinto_query_last(&q, "a");
    cr_assert_not_null(a);
    cr_assert_str_eq(a->value, "2");
    cr_assert_null(cinto_query_last(&q, "missing"));
    cr_assert_null(cinto_query_last(&q, "_limi"));
    cinto_query_free(&q);
    cr_assert_eq(q.count, 0);
    cr_assert_null(q.items);
}

Test(query, empty_and_null)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("", &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 0);
    cinto_query_free(&q);
    cr_assert_eq(cinto_query_parse(NULL, &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 0);
    cinto_query_free(&q);
    cr_assert_eq(cinto_query_parse("&&&", &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 0);
    cinto_query_free(&q);
    cr_assert_eq(cinto_query_parse("=", &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 1);
    cr_assert_str_eq(q.items[0].name, "");
    cr_assert_str_eq(q.items[0].value, "");
    cinto_query_free(&q);
}

Test(query, plus_and_percent)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("a+b=c+d%2Be&x=%3D%26&in_id=a,b", &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 3);
    cr_assert_str_eq(q.items[0].name, "a b");
    cr_assert_str_eq(q.items[0].value, "c d+e");
    cr_assert_str_eq(q.items[1].value, "=&");
    cr_assert_str_eq(q.items[2].value, "a,b");
    cinto_query_free(&q);
}

Test(query, value_with_equals_splits_at_first)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("a=b=c", &q, err, sizeof err), 0);
    cr_assert_str_eq(q.items[0].name, "a");
    cr_assert_str_eq(q.items[0].value, "b=c");
    cinto_query_free(&q);
}

Test(query, malformed_escapes_stay_literal)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("a=100%&b=%zz&c=%4&d=%41", &q, err, sizeof err), 0);
    cr_assert_str_eq(q.items[0].value, "100%");
    cr_assert_str_eq(q.items[1].value, "%zz");
    cr_assert_str_eq(q.items[2].value, "%4");
    cr_assert_str_eq(q.items[3].value, "A");
    cinto_query_free(&q);
}

Test(query, nul_in_value_keeps_length)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("a=x%00y&b%00c=1", &q, err, sizeof err), 0);
    cr_assert_eq(q.items[0].value_len, 3);
    cr_assert(memcmp(q.items[0].value, "x\0y", 4) == 0);
    cr_assert_eq(q.items[1].name_len, 3);
    cr_assert(memcmp(q.items[1].name, "b\0c", 4) == 0);
    /* A name containing NUL never matches a C-string lookup of its prefix. */
    cr_assert_null(cinto_query_last(&q, "b"));
    cinto_query_free(&q);
}

Test(query, names_trimmed_values_not)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(
        cinto_query_parse("+_limit+=+2+&%20a%09=1&%C2%A0b%E3%80%80=2", &q, err, sizeof err), 0);
    cr_assert_str_eq(q.items[0].name, "_limit");
    cr_assert_eq(q.items[0].name_len, 6);
    cr_assert_str_eq(q.items[0].value, " 2 ");
    cr_assert_str_eq(q.items[1].name, "a");
    cr_assert_str_eq(q.items[2].name, "b"); /* NBSP and ideographic space */
    cinto_query_free(&q);
}

Test(query, utf8_values)
{
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse("name=caf%C3%A9&raw=\xc3\xa9", &q, err, sizeof err), 0);
    cr_assert_str_eq(q.items[0].value, "caf\xc3\xa9");
    cr_assert_str_eq(q.items[1].value, "\xc3\xa9");
    cinto_query_free(&q);
}

Test(query, bad_utf8_rejected)
{
    const char *bad[] = {"a=%E9",
                         "%FF=1",
                         "a=%C0%80",
                         "a=%ED%A0%80",
                         "foo\xe2\xfc\xa7"
                         "bar",
                         "ok=1&b=%C3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cinto_query q;
        char err[512] = "";
        cr_expect_eq(cinto_query_parse(bad[i], &q, err, sizeof err), -1, "accepted %s", bad[i]);
        static const char prefix[] =
            "A request with an incorrect encoding in the querystring was received. "
            "Please make sure your requests are encoded in UTF-8: ";
        cr_expect(strncmp(err, prefix, sizeof prefix - 1) == 0, "err: %s", err);
        cinto_query_free(&q);
    }
    cinto_query q;
    char err[512];
    cr_assert_eq(cinto_query_parse("a=%E9", &q, err, sizeof err), -1);
    cr_assert(strstr(err, "UTF-8: a=%E9") != NULL, "%s", err);
    cinto_query_free(&q);
    /* Raw high bytes are echoed as Latin-1, so the message itself is UTF-8. */
    cr_assert_eq(cinto_query_parse("x=\xe9", &q, err, sizeof err), -1);
    cr_assert(strstr(err, "UTF-8: x=\xc3\xa9") != NULL, "%s", err);
    cinto_query_free(&q);
}

Test(query, small_error_buffer)
{
    cinto_query q;
    char err[10];
    cr_assert_eq(cinto_query_parse("a=%E9", &q, err, sizeof err), -1);
    cr_assert_eq(strlen(err), 9);
    cinto_query_free(&q);
    cr_assert_eq(cinto_query_parse("a=%E9", &q, NULL, 0), -1);
    cinto_query_free(&q);
}

Test(query, many_params)
{
    char qs[20000];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(qs + n, sizeof qs - n, "k%d=v%d&", i, i);
    cinto_query q;
    char err[64];
    cr_assert_eq(cinto_query_parse(qs, &q, err, sizeof err), 0);
    cr_assert_eq(q.count, 1000);
    cr_assert_str_eq(q.items[999].name, "k999");
    cr_assert_str_eq(cinto_query_last(&q, "k500")->value, "v500");
    cinto_query_free(&q);
}
