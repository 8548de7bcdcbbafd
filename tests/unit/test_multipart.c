/* The streaming multipart/form-data parser: the bodies real clients send
 * (curl, browsers' and undici's FormData as kinto-http.js uses it, Python
 * requests), fed whole, a byte at a time and split at every offset, and
 * every malformed or oversized shape of issue 10's bad-input list. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"
#include "util/buf.h"

/* ---- A recorder: every callback appended to one transcript ---- */

typedef struct rec {
    cinto_buf t;    /* "[name|filename|type]data;" per part */
    int stop_begin; /* part_begin returns non-zero on this part (1-based) */
    int stop_data;  /* part_data returns non-zero on this call (1-based) */
    int begins, datas, ends;
    int after_error; /* a callback came after feed returned an error */
    int errored;
    size_t max_piece; /* largest piece given to part_data */
    size_t data_bytes;
} rec;

static int on_begin(void *ctx, const cinto_multipart_part *p)
{
    rec *r = ctx;
    r->after_error |= r->errored;
    cr_assert_not_null(p->name);
    cinto_buf_printf(&r->t, "[%s|%s|%s]", p->name, p->filename ? p->filename : "-",
                     p->content_type ? p->content_type : "-");
    return ++r->begins == r->stop_begin;
}

static int on_data(void *ctx, const char *buf, size_t n)
{
    rec *r = ctx;
    r->after_error |= r->errored;
    cr_assert_gt(n, 0);
    if (n > r->max_piece)
        r->max_piece = n;
    r->data_bytes += n;
    cinto_buf_append(&r->t, buf, n);
    return ++r->datas == r->stop_data;
}

static int on_end(void *ctx)
{
    rec *r = ctx;
    r->after_error |= r->errored;
    r->ends++;
    cinto_buf_putc(&r->t, ';');
    return 0;
}

static const cinto_multipart_limits default_limits = {
    .max_part_header_bytes = 8192,
    .max_part_headers = 16,
    .max_parts = 8,
    .max_field_bytes = 1 << 20,
    .max_file_bytes = 0,
};

/* Feeds body in pieces of chunk bytes (0: whole), then finishes; returns
 * the first error or finish's status. The transcript is in r->t. */
static int run_lim(const char *boundary, const char *body, size_t len, size_t chunk,
                   const cinto_multipart_limits *lim, rec *r)
{
    cinto_multipart_callbacks cb = {r, on_begin, on_data, on_end};
    cinto_multipart *mp = cinto_multipart_new(boundary, lim, &cb);
    cr_assert_not_null(mp);
    int rc = CINTO_MP_OK;
    if (!chunk)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len && rc == CINTO_MP_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = cinto_multipart_feed(mp, body + off, n);
    }
    if (rc == CINTO_MP_OK)
        rc = cinto_multipart_finish(mp);
    if (rc != CINTO_MP_OK) {
        r->errored = 1;
        cr_assert_not_null(cinto_multipart_error(mp));
        /* Sticky: more input changes nothing and calls nothing. */
        cr_assert_eq(cinto_multipart_feed(mp, "--x\r\n", 5), rc);
        cr_assert_eq(cinto_multipart_finish(mp), rc);
    } else {
        cr_assert_null(cinto_multipart_error(mp));
    }
    cr_assert_eq(r->after_error, 0);
    cinto_multipart_free(mp);
    return rc;
}

static int run(const char *boundary, const char *body, size_t len, size_t chunk, rec *r)
{
    return run_lim(boundary, body, len, chunk, &default_limits, r);
}

/* The same body whole, a byte at a time, and split in two at every offset
 * (and in three around every offset, so a boundary is split in every
 * place across feeds) gives the same status and transcript. */
static void check_all_splits(const char *boundary, const char *body, size_t len, int want_rc,
                             const char *want, size_t want_len)
{
    rec whole = {0};
    cr_assert_eq(run(boundary, body, len, 0, &whole), want_rc);
    if (want) {
        cr_assert_eq(whole.t.len, want_len, "transcript length %zu, want %zu: %s", whole.t.len,
                     want_len, cinto_buf_str(&whole.t));
        cr_assert(want_len == 0 || memcmp(whole.t.data, want, want_len) == 0, "transcript: %s",
                  cinto_buf_str(&whole.t));
    }
    rec bytes = {0};
    cr_assert_eq(run(boundary, body, len, 1, &bytes), want_rc);
    cr_assert_eq(bytes.t.len, whole.t.len);
    cr_assert(bytes.t.len == 0 || memcmp(bytes.t.data, whole.t.data, whole.t.len) == 0);
    for (size_t cut = 0; cut <= len; cut++) {
        for (size_t w = 1; w <= 3; w++) {
            cinto_multipart_callbacks cb;
            rec r = {0};
            cb = (cinto_multipart_callbacks){&r, on_begin, on_data, on_end};
            cinto_multipart *mp = cinto_multipart_new(boundary, &default_limits, &cb);
            size_t b = cut + w > len ? len : cut + w;
            int rc = cinto_multipart_feed(mp, body, cut);
            if (rc == CINTO_MP_OK)
                rc = cinto_multipart_feed(mp, body + cut, b - cut);
            if (rc == CINTO_MP_OK)
                rc = cinto_multipart_feed(mp, body + b, len - b);
            if (rc == CINTO_MP_OK)
                rc = cinto_multipart_finish(mp);
            cr_assert_eq(rc, want_rc, "cut at %zu+%zu: status %d", cut, w, rc);
            cr_assert_eq(r.t.len, whole.t.len, "cut at %zu+%zu", cut, w);
            cr_assert(r.t.len == 0 || memcmp(r.t.data, whole.t.data, r.t.len) == 0,
                      "cut at %zu+%zu", cut, w);
            cinto_multipart_free(mp);
            cinto_buf_free(&r.t);
        }
    }
    cinto_buf_free(&whole.t);
    cinto_buf_free(&bytes.t);
}

#define S(lit) lit, sizeof(lit) - 1

/* ---- Boundary from the Content-Type ---- */

Test(boundary, good_shapes)
{
    char b[71];
    cr_assert_eq(
        cinto_multipart_boundary(
            "multipart/form-data; boundary=------------------------d74496d66958873e", b, sizeof b),
        0);
    cr_assert_str_eq(b, "------------------------d74496d66958873e");
    cr_assert_eq(
        cinto_multipart_boundary(
            "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b, sizeof b),
        0);
    cr_assert_str_eq(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
    cr_assert_eq(cinto_multipart_boundary("Multipart/Form-Data;BOUNDARY=\"a b:c\"", b, sizeof b),
                 0);
    cr_assert_str_eq(b, "a b:c");
    cr_assert_eq(
        cinto_multipart_boundary("multipart/form-data; charset=utf-8; boundary=x", b, sizeof b), 0);
    cr_assert_str_eq(b, "x");
    cr_assert_eq(cinto_multipart_boundary("multipart/form-data ;\tboundary = \"q\" ;", b, sizeof b),
                 0);
    cr_assert_str_eq(b, "q");
    /* RFC 2046 bchars unquoted, as some clients send them. */
    cr_assert_eq(
        cinto_multipart_boundary("multipart/form-data; boundary=----=_Part_0_1.2", b, sizeof b), 0);
    cr_assert_str_eq(b, "----=_Part_0_1.2");
    char seventy[120];
    snprintf(seventy, sizeof seventy, "multipart/form-data; boundary=%070d", 7);
    cr_assert_eq(cinto_multipart_boundary(seventy, b, sizeof b), 0);
    cr_assert_eq(strlen(b), 70);
}

Test(boundary, bad_shapes)
{
    char b[71];
    const char *bad[] = {
        NULL,
        "",
        "application/json",
        "multipart/mixed; boundary=x",
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=\"ab \"",    /* ends with a space */
        "multipart/form-data; boundary=a;b",        /* ';' cuts, then "b" is no param */
        "multipart/form-data; boundary=a\"b",       /* '"' is no bchar */
        "multipart/form-data; boundary=\"a\\\"b\"", /* nor escaped */
        "multipart/form-data; boundary=a%b",
        "multipart/form-data; boundary=a\x01",
        "multipart/form-data; boundary=\"a\rb\"",
        "multipart/form-data; boundary=x; boundary=y",
        "multipart/form-data; boundary x",
        "multipart/form-data junk; boundary=x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(b, "unchanged");
        cr_assert_eq(cinto_multipart_boundary(bad[i], b, sizeof b), CINTO_MP_BAD_CONTENT_TYPE, "%s",
                     bad[i] ? bad[i] : "NULL");
        cr_assert_str_eq(b, "");
    }
    char seventy_one[120];
    snprintf(seventy_one, sizeof seventy_one, "multipart/form-data; boundary=%071d", 7);
    cr_assert_eq(cinto_multipart_boundary(seventy_one, b, sizeof b), CINTO_MP_BAD_CONTENT_TYPE);
    /* Too small an output. */
    char small[4];
    cr_assert_eq(
        cinto_multipart_boundary("multipart/form-data; boundary=abcd", small, sizeof small),
        CINTO_MP_BAD_CONTENT_TYPE);
    cr_assert_eq(cinto_multipart_boundary("multipart/form-data; boundary=abc", small, sizeof small),
                 0);
}

Test(boundary, new_refuses_bad_boundaries)
{
    cr_assert_null(cinto_multipart_new("", &default_limits, NULL));
    cr_assert_null(cinto_multipart_new(NULL, &default_limits, NULL));
    char big[80];
    memset(big, 'a', 71);
    big[71] = '\0';
    cr_assert_null(cinto_multipart_new(big, &default_limits, NULL));
    big[70] = '\0';
    cinto_multipart *mp = cinto_multipart_new(big, &default_limits, NULL);
    cr_assert_not_null(mp);
    cinto_multipart_free(mp);
    cinto_multipart_free(NULL);
}

/* ---- What clients send ---- */

#define CURL_B "------------------------d74496d66958873e"
static const char curl_body[] =
    "--" CURL_B "\r\n"
    "Content-Disposition: form-data; name=\"attachment\"; filename=\"report.pdf\"\r\n"
    "Content-Type: application/pdf\r\n"
    "\r\n"
    "%PDF-1.4\r\n\r\n-- not a boundary\r\n--"
    "-----\r\n"
    "\r\n--" CURL_B "\r\n"
    "Content-Disposition: form-data; name=\"data\"\r\n"
    "\r\n"
    "{\"type\": \"doc\"}\r\n"
    "--" CURL_B "--\r\n";

Test(clients, curl)
{
    static const char want[] = "[attachment|report.pdf|application/pdf]%PDF-1.4\r\n\r\n-- not a "
                               "boundary\r\n-------\r\n;[data|-|-]{\"type\": \"doc\"};";
    check_all_splits(CURL_B, S(curl_body), CINTO_MP_OK, S(want));
}

/* undici's FormData (node 18+, kinto-http.js addAttachment in node): its
 * boundary, binary data full of CR, LF and boundary prefixes. */
#define UNDICI_B "----formdata-undici-038243478316"
static const char undici_body[] =
    "--" UNDICI_B "\r\n"
    "Content-Disposition: form-data; name=\"attachment\"; filename=\"pixel.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\0\r\r\n\r\n-\r\n--\r\n--"
    "----formdata-undici-03824347831\rX\n--"
    "----formdata-undici-0382434783167\r"
    "\r\n"
    "--" UNDICI_B "\r\n"
    "Content-Disposition: form-data; name=\"data\"\r\n"
    "\r\n"
    "{\"title\":\"pixel\"}\r\n"
    "--" UNDICI_B "\r\n"
    "Content-Disposition: form-data; name=\"permissions\"\r\n"
    "\r\n"
    "{\"read\":[\"system.Everyone\"]}\r\n"
    "--" UNDICI_B "--\r\n";

Test(clients, undici_formdata_binary)
{
    /* Not delimiters: the boundary one character short after CRLF, the
     * whole boundary (and more) after a bare LF. */
    static const char want[] =
        "[attachment|pixel.png|image/png]\x89PNG\r\n\x1a\n\0\0\r\r\n\r\n-\r\n--\r\n------formdata-"
        "undici-03824347831\rX\n------formdata-undici-0382434783167\r;"
        "[data|-|-]{\"title\":\"pixel\"};[permissions|-|-]{\"read\":[\"system.Everyone\"]};";
    check_all_splits(UNDICI_B, S(undici_body), CINTO_MP_OK, S(want));
}

/* Python requests (urllib3): a uuid4-hex boundary, no Content-Type on a
 * file part given as (name, fileobj). */
#define REQ_B "8c4ab1e2d6f94e0c9d2f0e7b5c3a1f00"
static const char requests_body[] = "--" REQ_B "\r\n"
                                    "Content-Disposition: form-data; name=\"attachment\"; "
                                    "filename=\"notes.txt\"\r\n"
                                    "\r\n"
                                    "line 1\nline 2\n\r\n"
                                    "--" REQ_B "--\r\n";

Test(clients, python_requests)
{
    static const char want[] = "[attachment|notes.txt|-]line 1\nline 2\n;";
    check_all_splits(REQ_B, S(requests_body), CINTO_MP_OK, S(want));
}

/* A browser: raw UTF-8 in the filename, an empty file input (filename ""),
 * a quote percent-encoded as the HTML standard says. */
Test(clients, browser_utf8_filename_and_empty_file)
{
    static const char body[] =
        "--b\r\n"
        "Content-Disposition: form-data; name=\"attachment\"; filename=\"r\xc3\xa9sum\xc3\xa9 "
        "%22x%22.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "\r\n--b\r\n"
        "Content-Disposition: form-data; name=\"other\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
        "\r\n--b--";
    static const char want[] = "[attachment|r\xc3\xa9sum\xc3\xa9 %22x%22.txt|text/plain];"
                               "[other||application/octet-stream];";
    check_all_splits("b", S(body), CINTO_MP_OK, S(want));
}

/* ---- Framing ---- */

Test(framing, preamble_epilogue_padding)
{
    static const char body[] = "This is the preamble.\r\nIt is ignored --b not here\r\n"
                               "--b \t\r\n"
                               "content-disposition: FORM-DATA; NAME=f\r\n\r\n"
                               "x\r\n"
                               "--b\t\r\n"
                               "Content-Disposition: form-data;name=\"g\";\r\n\r\n"
                               "\r\n"
                               "--b--  trailing\r\nepilogue\r\n--b\r\nignored too";
    static const char want[] = "[f|-|-]x;[g|-|-];";
    check_all_splits("b", S(body), CINTO_MP_OK, S(want));
}

Test(framing, no_parts)
{
    check_all_splits("b", S("--b--\r\n"), CINTO_MP_OK, S(""));
    check_all_splits("b", S("--b--"), CINTO_MP_OK, S(""));
}

Test(framing, truncated)
{
    check_all_splits("b", S(""), CINTO_MP_TRUNCATED, S(""));
    check_all_splits("b", S("--b"), CINTO_MP_TRUNCATED, S(""));
    check_all_splits("b", S("--b-"), CINTO_MP_TRUNCATED, S(""));
    check_all_splits("b", S("--b\r\n"), CINTO_MP_TRUNCATED, S(""));
    check_all_splits("b", S("--b\r\nContent-Disposition: form-data; name=a\r\n"),
                     CINTO_MP_TRUNCATED, S(""));
    /* The part began but never ended: no part_end. */
    check_all_splits("b", S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n--b"),
                     CINTO_MP_TRUNCATED, S("[a|-|-]abc"));
    /* Missing close delimiter after a complete part. */
    check_all_splits("b", S("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n--b\r\n"),
                     CINTO_MP_TRUNCATED, S("[a|-|-]abc;"));
}

Test(framing, wrong_or_missing_boundary)
{
    rec r = {0};
    /* Small body: ends without any boundary line. */
    cr_assert_eq(run("other", S(curl_body), 0, &r), CINTO_MP_TRUNCATED);
    cr_assert_eq(r.begins, 0);
    cinto_buf_free(&r.t);
    /* A long preamble fails without reading the whole body. */
    cinto_multipart_limits lim = default_limits;
    lim.max_part_header_bytes = 64;
    char *big = malloc(100000);
    memset(big, 'a', 100000);
    rec r2 = {0};
    cinto_multipart_callbacks cb = {&r2, on_begin, on_data, on_end};
    cinto_multipart *mp = cinto_multipart_new("b", &lim, &cb);
    cr_assert_eq(cinto_multipart_feed(mp, big, 100000), CINTO_MP_MALFORMED);
    cr_assert_eq(r2.begins, 0);
    cinto_multipart_free(mp);
    free(big);
    /* The preamble limit counts input bytes before the delimiter's CRLF:
     * 64 pass, 65 do not. */
    for (size_t n = 63; n <= 65; n++) {
        cinto_buf b = CINTO_BUF_INIT;
        for (size_t i = 0; i < n; i++)
            cinto_buf_putc(&b, 'p');
        cinto_buf_puts(&b, "\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--");
        for (size_t chunk = 0; chunk <= 2; chunk++) {
            rec rp = {0};
            cr_assert_eq(run_lim("b", b.data, b.len, chunk, &lim, &rp),
                         n <= 64 ? CINTO_MP_OK : CINTO_MP_MALFORMED, "preamble %zu", n);
            cinto_buf_free(&rp.t);
        }
        cinto_buf_free(&b);
    }
    /* The boundary without its leading dashes, or not at a line start. */
    rec r3 = {0};
    cr_assert_eq(run("b", S("b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\nb--"), 0, &r3),
                 CINTO_MP_TRUNCATED);
    cr_assert_eq(r3.begins, 0);
    cinto_buf_free(&r3.t);
    rec r4 = {0};
    cr_assert_eq(run("b", S("x--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"), 0, &r4),
                 CINTO_MP_TRUNCATED);
    cr_assert_eq(r4.begins, 0);
    cinto_buf_free(&r4.t);
}

Test(framing, boundary_like_data)
{
    /* Prefixes of the delimiter, the boundary not after CRLF, after a bare
     * LF, and a CR CR LF: all data. */
    static const char body[] = "--bound\r\n"
                               "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n"
                               "--bound\n--bound\r--bound\r\r\n--boun\r\n-\r\n--\r\n--b\r\n"
                               "x--bound--\r\r\r\n\r\n"
                               "--bound--\r\n";
    static const char want[] = "[f|a|-]--bound\n--bound\r--bound\r\r\n--boun\r\n-\r\n--\r\n--b\r\n"
                               "x--bound--\r\r\r\n;";
    check_all_splits("bound", S(body), CINTO_MP_OK, S(want));
}

Test(framing, junk_after_delimiter)
{
    const char *bad[] = {
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--bX\r\n",
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b-x",
        "--b \r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b --\r\n",
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b\rX",
        "--b\nContent-Disposition: form-data; name=a\n\nx\n--b--\n",
        "--bb\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rec r = {0};
        cr_assert_eq(run("b", bad[i], strlen(bad[i]), 0, &r), CINTO_MP_MALFORMED, "%zu", i);
        cinto_buf_free(&r.t);
    }
}

/* ---- Part headers ---- */

static int one_part(const char *headers, rec *r)
{
    cinto_buf b = CINTO_BUF_INIT;
    cinto_buf_printf(&b, "--b\r\n%s\r\n\r\ndata\r\n--b--\r\n", headers);
    int rc = run("b", b.data, b.len, 0, r);
    cinto_buf_free(&b);
    return rc;
}

static void expect_part(const char *headers, int want_rc, const char *want)
{
    rec r = {0};
    cr_assert_eq(one_part(headers, &r), want_rc, "%s", headers);
    if (want)
        cr_assert_str_eq(cinto_buf_str(&r.t), want, "%s", headers);
    cinto_buf_free(&r.t);
}

Test(headers, disposition_parameters)
{
    expect_part("Content-Disposition: form-data; name=\"a\"", 0, "[a|-|-]data;");
    expect_part("Content-Disposition: form-data; filename=\"f.txt\"; name=a", 0,
                "[a|f.txt|-]data;");
    expect_part("CONTENT-DISPOSITION:form-data;name=a;FILENAME=f", 0, "[a|f|-]data;");
    expect_part("Content-Disposition: form-data; name=a; size=12; creation-date=\"x;y\"", 0,
                "[a|-|-]data;");
    expect_part("Content-Disposition: form-data; name=\"a;b=c\"", 0, "[a;b=c|-|-]data;");
    expect_part("Content-Disposition: form-data; name=\"\"", 0, "[|-|-]data;");
    expect_part("X-Other: 1\r\nContent-Disposition: form-data; name=a\r\n"
                "Content-Transfer-Encoding: binary",
                0, "[a|-|-]data;");
    expect_part("Content-Type:   text/plain; charset=utf-8  \r\n"
                "Content-Disposition: form-data; name=a",
                0, "[a|-|text/plain; charset=utf-8]data;");
}

Test(headers, filenames_passed_raw)
{
    /* Sanitizing is the plugin's: path parts, dots, backslashes stay. */
    expect_part("Content-Disposition: form-data; name=a; filename=\"../../etc/passwd\"", 0,
                "[a|../../etc/passwd|-]data;");
    expect_part("Content-Disposition: form-data; name=a; filename=\"C:\\Users\\me\\doc.txt\"", 0,
                "[a|C:\\Users\\me\\doc.txt|-]data;");
    expect_part("Content-Disposition: form-data; name=a; filename=\"...\"", 0, "[a|...|-]data;");
    /* \" and \\ are escapes in a quoted string (as upstream reads them). */
    expect_part("Content-Disposition: form-data; name=a; filename=\"a\\\"b\\\\c\\d\"", 0,
                "[a|a\"b\\c\\d|-]data;");
    /* Invalid UTF-8 shows as U+FFFD. */
    expect_part("Content-Disposition: form-data; name=a; filename=\"x\xff\xc3.txt\"", 0,
                "[a|x\xef\xbf\xbd\xef\xbf\xbd.txt|-]data;");
}

Test(headers, filename_star)
{
    expect_part("Content-Disposition: form-data; name=a; filename=\"fallback.txt\"; "
                "filename*=UTF-8''%e2%82%ac%20rates.txt",
                0, "[a|\xe2\x82\xac rates.txt|-]data;");
    expect_part("Content-Disposition: form-data; name=a; filename*=iso-8859-1'en'%A3%20x.txt", 0,
                "[a|\xc2\xa3 x.txt|-]data;");
    /* A charset we do not know: the plain filename stands. */
    expect_part("Content-Disposition: form-data; name=a; filename=f.txt; "
                "filename*=koi8-r''%c1.txt",
                0, "[a|f.txt|-]data;");
    expect_part("Content-Disposition: form-data; name=a; filename*=UTF-8''%zz", CINTO_MP_MALFORMED,
                NULL);
    expect_part("Content-Disposition: form-data; name=a; filename*=UTF-8''a%00b",
                CINTO_MP_MALFORMED, NULL);
    expect_part("Content-Disposition: form-data; name=a; filename*=UTF-8''%ff", CINTO_MP_MALFORMED,
                NULL);
    expect_part("Content-Disposition: form-data; name=a; filename*=noquotes", CINTO_MP_MALFORMED,
                NULL);
    expect_part("Content-Disposition: form-data; name=a; filename*=UTF-8''a; filename*=UTF-8''b",
                CINTO_MP_MALFORMED, NULL);
}

Test(headers, malformed)
{
    const char *bad[] = {
        "",                                           /* no Content-Disposition */
        "Content-Type: text/plain",                   /* idem */
        "Content-Disposition: attachment; name=a",    /* not form-data */
        "Content-Disposition: form-data",             /* no name */
        "Content-Disposition: form-data; filename=x", /* idem */
        "Content-Disposition: form-data; name=a; name=b",
        "Content-Disposition: form-data; name=a; filename=x; filename=y",
        "Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b",
        "Content-Disposition: form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: c/d",
        "Content-Disposition: form-data; name=\"a",   /* unterminated quote */
        "Content-Disposition: form-data; name",       /* no '=' */
        "Content-Disposition: form-data; name=",      /* no value */
        "Content-Disposition: form-data name=a",      /* no ';' */
        "Content-Disposition: form-data;\r\n name=a", /* folding */
        "Content-Disposition: form-data; name=a\r\n\tX-Folded: 1",
        "Content-Disposition : form-data; name=a", /* space before ':' */
        "No colon here\r\nContent-Disposition: form-data; name=a",
        ": empty name\r\nContent-Disposition: form-data; name=a",
        "Content-Disposition: form-data; name=a\nX: bare LF",
        "Content-Disposition: form-data; name=a\rX: bare CR",
        "Content-Disposition: form-data; name=\"a\x01\"", /* control characters */
        "Content-Disposition: form-data; name=a; filename=\"x\x1b[31m\"",
        "Content-Disposition: form-data; name=a; filename=\"x\x7f\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_part(bad[i], CINTO_MP_MALFORMED, "");
    /* NUL inside a header line (strlen-based helper above stops at it). */
    static const char nul[] =
        "--b\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--b--";
    check_all_splits("b", S(nul), CINTO_MP_MALFORMED, S(""));
    static const char nul2[] =
        "--b\r\nContent-Disposition: form-data; name=a; filename=\"../\0.txt\""
        "\r\n\r\nx\r\n--b--";
    check_all_splits("b", S(nul2), CINTO_MP_MALFORMED, S(""));
}

/* ---- Limits ---- */

static void repeat_headers(cinto_buf *b, unsigned n)
{
    cinto_buf_puts(b, "Content-Disposition: form-data; name=a");
    for (unsigned i = 1; i < n; i++)
        cinto_buf_printf(b, "\r\nX-H%u: v", i);
}

Test(limits, header_count)
{
    cinto_multipart_limits lim = default_limits;
    lim.max_part_headers = 4;
    for (unsigned n = 3; n <= 5; n++) {
        cinto_buf h = CINTO_BUF_INIT, b = CINTO_BUF_INIT;
        repeat_headers(&h, n);
        cinto_buf_printf(&b, "--b\r\n%s\r\n\r\nx\r\n--b--", h.data);
        rec r = {0};
        cr_assert_eq(run_lim("b", b.data, b.len, 0, &lim, &r),
                     n <= 4 ? CINTO_MP_OK : CINTO_MP_TOO_MANY_HEADERS, "%u headers", n);
        cr_assert_eq(r.begins, n <= 4);
        cinto_buf_free(&r.t);
        cinto_buf_free(&h);
        cinto_buf_free(&b);
    }
}

Test(limits, header_bytes)
{
    /* "Content-Disposition: form-data; name=a" is 38 bytes, +2 for CRLF. */
    static const char h[] = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--";
    for (size_t max = 38; max <= 41; max++) {
        cinto_multipart_limits lim = default_limits;
        lim.max_part_header_bytes = max;
        rec r = {0};
        int rc = run_lim("b", S(h), 1, &lim, &r);
        cr_assert_eq(rc, max >= 40 ? CINTO_MP_OK : CINTO_MP_HEADER_TOO_LARGE, "max %zu", max);
        cinto_buf_free(&r.t);
    }
    /* A huge header line is refused once over the limit, not buffered. */
    cinto_multipart *mp = cinto_multipart_new("b", &default_limits, NULL);
    cr_assert_eq(cinto_multipart_feed(mp, S("--b\r\nX: ")), 0);
    char *big = malloc(1 << 20);
    memset(big, 'v', 1 << 20);
    cr_assert_eq(cinto_multipart_feed(mp, big, 1 << 20), CINTO_MP_HEADER_TOO_LARGE);
    free(big);
    cinto_multipart_free(mp);
}

Test(limits, part_count)
{
    cinto_multipart_limits lim = default_limits;
    lim.max_parts = 3;
    for (unsigned n = 2; n <= 4; n++) {
        cinto_buf b = CINTO_BUF_INIT;
        for (unsigned i = 0; i < n; i++)
            cinto_buf_printf(&b, "--b\r\nContent-Disposition: form-data; name=p%u\r\n\r\nv\r\n", i);
        cinto_buf_puts(&b, "--b--");
        rec r = {0};
        cr_assert_eq(run_lim("b", b.data, b.len, 0, &lim, &r),
                     n <= 3 ? CINTO_MP_OK : CINTO_MP_TOO_MANY_PARTS);
        cr_assert_eq(r.begins, n <= 3 ? n : 3);
        cr_assert_eq(r.ends, n <= 3 ? n : 3);
        cinto_buf_free(&r.t);
        cinto_buf_free(&b);
    }
}

Test(limits, field_and_file_sizes)
{
    cinto_multipart_limits lim = default_limits;
    lim.max_field_bytes = 5;
    lim.max_file_bytes = 7;
    const struct {
        const char *body;
        int rc;
    } cases[] = {
        {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n12345\r\n--b--", CINTO_MP_OK},
        {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n123456\r\n--b--",
         CINTO_MP_FIELD_TOO_LARGE},
        {"--b\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n1234567\r\n--b--",
         CINTO_MP_OK},
        {"--b\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n12345678\r\n--b--",
         CINTO_MP_FILE_TOO_LARGE},
        /* Held-back delimiter prefixes count only if they turn out data. */
        {"--b\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n12345\r\n\r\n--b--",
         CINTO_MP_OK},
        {"--b\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n12345\r\n-\r\n--b--",
         CINTO_MP_FILE_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (size_t chunk = 0; chunk <= 3; chunk++) {
            rec r = {0};
            cr_assert_eq(run_lim("b", cases[i].body, strlen(cases[i].body), chunk, &lim, &r),
                         cases[i].rc, "case %zu chunk %zu", i, chunk);
            cr_assert_leq(r.data_bytes, 7);
            cinto_buf_free(&r.t);
        }
    }
    /* max_file_bytes 0: unlimited; 3 MiB through in 64 KiB pieces. */
    lim.max_file_bytes = 0;
    size_t n = 3 << 20;
    cinto_buf b = CINTO_BUF_INIT;
    cinto_buf_puts(&b, "--b\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n");
    size_t start = b.len;
    cinto_buf_reserve(&b, n);
    for (size_t i = 0; i < n; i++)
        b.data[start + i] = (char)(i * 7 % 251);
    b.len += n;
    cinto_buf_puts(&b, "\r\n--b--\r\n");
    rec r = {0};
    cr_assert_eq(run_lim("b", b.data, b.len, 65536, &lim, &r), CINTO_MP_OK);
    cr_assert_eq(r.data_bytes, n);
    cr_assert_leq(r.max_piece, 65536);
    cr_assert(memcmp(r.t.data + strlen("[a|f|-]"), b.data + start, n) == 0);
    cinto_buf_free(&r.t);
    cinto_buf_free(&b);
}

/* ---- Callbacks that stop ---- */

Test(callbacks, stop_in_begin_or_data)
{
    rec r = {.stop_begin = 2};
    cr_assert_eq(run(CURL_B, S(curl_body), 0, &r), CINTO_MP_CALLBACK);
    cr_assert_eq(r.begins, 2);
    cr_assert_eq(r.ends, 1);
    cinto_buf_free(&r.t);
    rec r2 = {.stop_data = 1};
    cr_assert_eq(run(CURL_B, S(curl_body), 1, &r2), CINTO_MP_CALLBACK);
    cr_assert_eq(r2.datas, 1);
    cr_assert_eq(r2.ends, 0);
    cinto_buf_free(&r2.t);
}

Test(callbacks, null_callbacks)
{
    cinto_multipart *mp = cinto_multipart_new(CURL_B, &default_limits, NULL);
    cr_assert_eq(cinto_multipart_feed(mp, S(curl_body)), 0);
    cr_assert_eq(cinto_multipart_finish(mp), 0);
    cinto_multipart_free(mp);
}

Test(messages, every_status_has_one)
{
    for (int s = CINTO_MP_OK; s <= CINTO_MP_NOMEM; s++) {
        const char *m = cinto_multipart_message(s);
        cr_assert(m && *m);
    }
    cr_assert_str_eq(cinto_multipart_message(CINTO_MP_BAD_CONTENT_TYPE),
                     "Content-Type should be multipart/form-data with a boundary parameter");
    cr_assert(*cinto_multipart_message(999));
}
