/* The attachment plugin's pure decisions (spec 07 §7.5-7.6): extension
 * groups, upstream's secure_filename, extensions, patterns, folders and
 * mimetypes. */
#include <criterion/criterion.h>
#include <string.h>

#include "plugins/attachments.h"

static const char *secure(const char *in)
{
    static char out[CINTO_ATT_NAME_MAX];
    cinto_att_secure_filename(in, out, sizeof out);
    return out;
}

static const char *ext(const char *in)
{
    static char out[64];
    cinto_att_extension(in, out, sizeof out);
    return out;
}

Test(exts, groups_and_words)
{
    cinto_att_exts e;
    cr_assert_eq(cinto_att_exts_parse(NULL, &e), 0);
    cr_assert(cinto_att_exts_allows(&e, "pdf") && cinto_att_exts_allows(&e, "yml"));
    cr_assert(!cinto_att_exts_allows(&e, "exe") && !cinto_att_exts_allows(&e, ""));
    cr_assert(!e.any);
    cinto_att_exts_free(&e);
    cr_assert_eq(cinto_att_exts_parse("images+pdf DOT", &e), 0);
    cr_assert(cinto_att_exts_allows(&e, "png") && cinto_att_exts_allows(&e, "pdf"));
    cr_assert(cinto_att_exts_allows(&e, "dot") && !cinto_att_exts_allows(&e, "txt"));
    cinto_att_exts_free(&e);
    cr_assert_eq(cinto_att_exts_parse("any", &e), 0);
    cr_assert(e.any && cinto_att_exts_allows(&e, "exe") && cinto_att_exts_allows(&e, ""));
    cr_assert_str_eq(cinto_att_exts_sample(&e), "json");
    cinto_att_exts_free(&e);
    cr_assert_eq(cinto_att_exts_parse("executables", &e), 0);
    cr_assert_str_eq(cinto_att_exts_sample(&e), "so");
    cinto_att_exts_free(&e);
}

Test(names, secure_filename_as_upstream)
{
    cr_assert_str_eq(secure("My cool movie.mov"), "My_cool_movie.mov");
    cr_assert_str_eq(secure("../../../etc/passwd"), "etc_passwd");
    cr_assert_str_eq(secure("i contain cool \xc3\xbcml\xc3\xa4uts.txt"),
                     "i_contain_cool_umlauts.txt");
    cr_assert_str_eq(secure("Rapport \xc3\xa9t\xc3\xa9 (final).pdf"), "Rapport_ete_final.pdf");
    cr_assert_str_eq(secure("...."), "");
    cr_assert_str_eq(secure("__init__.py"), "init__.py");
    cr_assert_str_eq(secure("a\x01"
                            "b\x7f.txt"),
                     "ab.txt");
    cr_assert_str_eq(secure("\xe4\xb8\xad\xe6\x96\x87.pdf"), "pdf");
    cr_assert_str_eq(secure("\xef\xbc\xa1\xef\xbc\xa2.txt"), "AB.txt"); /* fullwidth */
    cr_assert_str_eq(secure("\xc5\x92uvre \xc5\x81\xc3\xb3"
                            "d\xc5\xba.txt"),
                     "uvre_odz.txt");
    cr_assert_str_eq(secure("bad\xff\xfe.txt"), "bad.txt");
}

Test(names, basename_and_extension)
{
    cr_assert_str_eq(cinto_att_basename("C:\\Users\\me\\report.PDF"), "report.PDF");
    cr_assert_str_eq(cinto_att_basename("../a/b.txt"), "b.txt");
    cr_assert_str_eq(ext("report.PDF"), "pdf");
    cr_assert_str_eq(ext("archive.tar.gz"), "gz");
    cr_assert_str_eq(ext(".bashrc"), "");
    cr_assert_str_eq(ext("..pdf"), "");
    cr_assert_str_eq(ext("noext"), "");
    cr_assert_str_eq(ext("x.p h$p"), "php");
}

Test(names, patterns_and_folders)
{
    const char *names[] = {"bucket_id", "collection_id", "id"};
    const char *values[] = {"b", "c", "r"};
    char out[64];
    cr_assert_eq(cinto_att_format("{bucket_id}/{collection_id}", names, values, 3, out, sizeof out),
                 0);
    cr_assert_str_eq(out, "b/c");
    cr_assert_eq(cinto_att_format("x{{y}}{id}", names, values, 3, out, sizeof out), 0);
    cr_assert_str_eq(out, "x{y}r");
    cr_assert_eq(cinto_att_format("{nope}", names, values, 3, out, sizeof out), -1);
    cr_assert_eq(cinto_att_format("{id", names, values, 3, out, sizeof out), -1);
    cr_assert_eq(cinto_att_format("{id}{id}{id}", names, values, 3, out, 3), -1);
    cr_assert_eq(cinto_att_clean_folder("/a//b/", out, sizeof out), 0);
    cr_assert_str_eq(out, "a/b");
    cr_assert_eq(cinto_att_clean_folder("", out, sizeof out), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(cinto_att_clean_folder("a/../b", out, sizeof out), -1);
    cr_assert_eq(cinto_att_clean_folder("./b", out, sizeof out), -1);
}

Test(mime, overrides_defaults_client_guess)
{
    char out[128];
    cinto_att_mimetype(".dot:text/vnd.graphviz;.txt: text/x-mine", "kinto.txt", "text/plain", out,
                       sizeof out);
    cr_assert_str_eq(out, "text/x-mine");
    cinto_att_mimetype("", "key.pem", "text/plain", out, sizeof out);
    cr_assert_str_eq(out, "application/x-pem-file");
    cinto_att_mimetype(NULL, "map.geojson", NULL, out, sizeof out);
    cr_assert_str_eq(out, "application/geojson");
    cinto_att_mimetype(NULL, "a.bin", "Application/JSON; charset=utf-8", out, sizeof out);
    cr_assert_str_eq(out, "application/json");
    cinto_att_mimetype(NULL, "a.PNG", NULL, out, sizeof out);
    cr_assert_str_eq(out, "image/png");
    cinto_att_mimetype(NULL, "a.weird", "", out, sizeof out);
    cr_assert_str_eq(out, "application/octet-stream");
}
