/* Settings: ini reading as configparser does it, kinto. prefixes, KINTO_*
 * environment overrides, typed helpers. Each Criterion test runs in its own
 * process, so setenv here does not leak into other tests. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/settings.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/cinto-settings-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(settings, .init = make_dir, .fini = remove_dir);

/* Writes text to dir/name and returns the path (static storage). */
static const char *write_ini(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    return path;
}

static cinto_settings *load_text(const char *text)
{
    char err[256] = "";
    cinto_settings *s = cinto_settings_load(write_ini("t.ini", text), err, sizeof err);
    cr_assert_not_null(s, "load failed: %s", err);
    return s;
}

static void expect_error(const char *text, const char *needle)
{
    char err[256] = "";
    cinto_settings *s = cinto_settings_load(write_ini("bad.ini", text), err, sizeof err);
    cr_expect_null(s, "accepted:\n%s", text);
    cr_expect(strstr(err, needle) != NULL, "error [%s] lacks [%s]", err, needle);
    cinto_settings_free(s);
}

Test(settings, no_file)
{
    char err[64] = "x";
    cinto_settings *s = cinto_settings_load(NULL, err, sizeof err);
    cr_assert_not_null(s);
    cr_assert_null(cinto_settings_get(s, "paginate_by"));
    cr_assert_null(cinto_settings_path(s));
    cr_assert_null(cinto_settings_hash(s));
    cr_assert_null(cinto_settings_mtime(s));
    cr_assert_eq(cinto_settings_count(s), 0);
    cr_assert_null(cinto_settings_key_at(s, 0));
    cr_assert_eq(cinto_settings_bool(s, "readonly", 0), 0);
    cr_assert_eq(cinto_settings_bool(s, "readonly", 1), 1);
    int ok = 1;
    cr_assert_eq(cinto_settings_int(s, "batch_max_requests", 25, &ok), 25);
    cr_assert_eq(ok, 0);
    char **v = NULL;
    cr_assert_eq(cinto_settings_list(s, "includes", &v), 0);
    cr_assert_not_null(v);
    cr_assert_null(v[0]);
    cinto_strv_free(v);
    cinto_settings_free(s);
}

Test(settings, missing_file)
{
    char err[256] = "";
    char path[128];
    snprintf(path, sizeof path, "%s/nope.ini", dir);
    cr_assert_null(cinto_settings_load(path, err, sizeof err));
    cr_assert(strstr(err, "nope.ini") != NULL, "%s", err);
    cr_assert(strstr(err, "No such file") != NULL, "%s", err);
}

Test(settings, unreadable_path_is_directory)
{
    char err[256] = "";
    cr_assert_null(cinto_settings_load(dir, err, sizeof err));
    cr_assert_neq(err[0], '\0');
}

Test(settings, app_main_only_and_prefix)
{
    cinto_settings *s = load_text("# a comment\n"
                                  "[server:main]\n"
                                  "use = egg:waitress#main\n"
                                  "port = 8888\n"
                                  "\n"
                                  "[app:main]\n"
                                  "use = egg:kinto\n"
                                  "kinto.paginate_by = 10\n"
                                  "readonly = true\n"
                                  "multiauth.policies = account basicauth\n"
                                  "Kinto.Bucket_Create_Principals: account:admin\n"
                                  "kinto.foo.bar.record_cache_expires_seconds = 42\n"
                                  "\n"
                                  "[loggers]\n"
                                  "keys = root\n");
    cr_assert_str_eq(cinto_settings_get(s, "paginate_by"), "10");
    cr_assert_str_eq(cinto_settings_get(s, "kinto.paginate_by"), "10");
    cr_assert_str_eq(cinto_settings_get(s, "readonly"), "true");
    cr_assert_str_eq(cinto_settings_get(s, "multiauth.policies"), "account basicauth");
    cr_assert_str_eq(cinto_settings_get(s, "bucket_create_principals"), "account:admin");
    cr_assert_str_eq(cinto_settings_get(s, "foo.bar.record_cache_expires_seconds"), "42");
    cr_assert_null(cinto_settings_get(s, "port"));
    cr_assert_null(cinto_settings_get(s, "keys"));
    cr_assert_str_eq(cinto_settings_get(s, "use"), "egg:kinto");
    cr_assert_eq(cinto_settings_count(s), 6);
    const char *keys[] = {"use",
                          "paginate_by",
                          "readonly",
                          "multiauth.policies",
                          "bucket_create_principals",
                          "foo.bar.record_cache_expires_seconds"};
    for (size_t i = 0; i < 6; i++)
        cr_expect_str_eq(cinto_settings_key_at(s, i), keys[i]);
    cr_assert_null(cinto_settings_key_at(s, 6));
    cinto_settings_free(s);
}

Test(settings, prefix_collisions)
{
    /* Same value twice: fine (upstream compares the values). */
    cinto_settings *s = load_text("[app:main]\nkinto.readonly = true\nreadonly = true\n");
    cr_assert_str_eq(cinto_settings_get(s, "readonly"), "true");
    cr_assert_eq(cinto_settings_count(s), 1);
    cinto_settings_free(s);
    expect_error("[app:main]\nkinto.readonly = true\nreadonly = false\n", "conflict");
    expect_error("[app:main]\nreadonly = false\nkinto.readonly = true\n", "conflict");
    /* kinto.kinto.x only strips once; no collision with x. */
    s = load_text("[app:main]\nkinto.kinto.x = 1\nx = 2\n");
    cr_assert_str_eq(cinto_settings_key_at(s, 0), "kinto.x");
    cr_assert_str_eq(cinto_settings_get(s, "x"), "2");
    cinto_settings_free(s);
}

Test(settings, continuation_lines)
{
    cinto_settings *s = load_text("[app:main]\n"
                                  "kinto.includes = kinto.plugins.default_bucket\n"
                                  "                 kinto.plugins.history\n"
                                  "\tkinto.plugins.accounts\n"
                                  "\n"
                                  "    kinto_attachment\n"
                                  "\n"
                                  "multiauth.policies =\n"
                                  "    account\n"
                                  "    basicauth\n"
                                  "kinto.account_create_principals = system.Everyone\n");
    cr_assert_str_eq(cinto_settings_get(s, "includes"),
                     "kinto.plugins.default_bucket\nkinto.plugins.history\n"
                     "kinto.plugins.accounts\n\nkinto_attachment");
    cr_assert_str_eq(cinto_settings_get(s, "multiauth.policies"), "\naccount\nbasicauth");
    cr_assert_str_eq(cinto_settings_get(s, "account_create_principals"), "system.Everyone");
    char **v;
    cr_assert_eq(cinto_settings_list(s, "includes", &v), 4);
    cr_assert_str_eq(v[0], "kinto.plugins.default_bucket");
    cr_assert_str_eq(v[3], "kinto_attachment");
    cr_assert_null(v[4]);
    cinto_strv_free(v);
    cr_assert_eq(cinto_settings_list(s, "multiauth.policies", &v), 2);
    cr_assert_str_eq(v[0], "account");
    cr_assert_str_eq(v[1], "basicauth");
    cinto_strv_free(v);
    cinto_settings_free(s);
}

Test(settings, indented_key_after_indented_key)
{
    /* configparser: an indented option line starts an option when no
     * option precedes it at a lower indentation. */
    cinto_settings *s = load_text("[app:main]\n  a = 1\n  b = 2\n");
    cr_assert_str_eq(cinto_settings_get(s, "a"), "1");
    cr_assert_str_eq(cinto_settings_get(s, "b"), "2");
    cinto_settings_free(s);
}

Test(settings, comments)
{
    cinto_settings *s = load_text("; leading comment\n"
                                  "[app:main]\n"
                                  "# kinto.readonly = true\n"
                                  "; kinto.paginate_by = 3\n"
                                  "kinto.cors_origins = *  # not an inline comment\n"
                                  "list = a\n"
                                  "   # indented comment is skipped\n"
                                  "   b\n");
    cr_assert_null(cinto_settings_get(s, "readonly"));
    cr_assert_null(cinto_settings_get(s, "paginate_by"));
    cr_assert_str_eq(cinto_settings_get(s, "cors_origins"), "*  # not an inline comment");
    cr_assert_str_eq(cinto_settings_get(s, "list"), "a\nb");
    cinto_settings_free(s);
}

Test(settings, crlf_bom_and_empty_value)
{
    cinto_settings *s = load_text("\xef\xbb\xbf[app:main]\r\nkinto.paginate_by = 7\r\nempty =\r\n"
                                  "colon: x=y\r\n");
    cr_assert_str_eq(cinto_settings_get(s, "paginate_by"), "7");
    cr_assert_str_eq(cinto_settings_get(s, "empty"), "");
    cr_assert_str_eq(cinto_settings_get(s, "colon"), "x=y");
    cinto_settings_free(s);
}

Test(settings, no_app_main_section)
{
    cinto_settings *s = load_text("[server:main]\nport = 1\n");
    cr_assert_eq(cinto_settings_count(s), 0);
    cr_assert_not_null(cinto_settings_hash(s));
    cinto_settings_free(s);
}

Test(settings, syntax_errors)
{
    expect_error("[app:main]\na = %(b)s\nb = %(a)s\n", "too deep");
    expect_error("paginate_by = 1\n[app:main]\n", "outside of any section");
    expect_error("[app:main]\njust a line\n", "line 2");
    expect_error("[app:main]\n= value\n", "line 2");
    expect_error("[app:main]\na = 1\na = 2\n", "twice");
    expect_error("[app:main]\na = 1\nA = 1\n", "twice"); /* keys are case-insensitive */
    expect_error("[app:main]\n[app:main]\n", "duplicate section");
    expect_error("[app:main\na = 1\n", "section header");
    expect_error("[]\n", "section header");
    expect_error("[app:main]\na = %(nope)s\n", "nope");
}

Test(settings, interpolation)
{
    cinto_settings *s = load_text("[DEFAULT]\n"
                                  "base = /srv\n"
                                  "[app:main]\n"
                                  "kinto.attachment.base_path = %(here)s/att\n"
                                  "file = %(__file__)s\n"
                                  "pct = 100%%\n"
                                  "naive = mysql://u:p%40ss@h/db\n"
                                  "from_default = %(base)s/x\n"
                                  "from_section = <%(pct)s>\n");
    char here[128];
    snprintf(here, sizeof here, "%s/att", dir);
    cr_assert_str_eq(cinto_settings_get(s, "attachment.base_path"), here);
    snprintf(here, sizeof here, "%s/t.ini", dir);
    cr_assert_str_eq(cinto_settings_get(s, "file"), here);
    cr_assert_str_eq(cinto_settings_get(s, "pct"), "100%");
    cr_assert_str_eq(cinto_settings_get(s, "naive"), "mysql://u:p%40ss@h/db");
    cr_assert_str_eq(cinto_settings_get(s, "from_default"), "/srv/x");
    cr_assert_str_eq(cinto_settings_get(s, "from_section"), "<100%>");
    cr_assert_null(cinto_settings_get(s, "base")); /* [DEFAULT] is not a setting */
    cinto_settings_free(s);
}

Test(settings, relative_path_here_is_absolute)
{
    write_ini("rel.ini", "[app:main]\nh = %(here)s\nfile = %(__file__)s\n");
    cr_assert_eq(chdir(dir), 0);
    char err[128];
    cinto_settings *s = cinto_settings_load("./rel.ini", err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    char exp[128];
    cr_assert_str_eq(cinto_settings_get(s, "h"), dir);
    snprintf(exp, sizeof exp, "%s/rel.ini", dir);
    cr_assert_str_eq(cinto_settings_get(s, "file"), exp);
    cr_assert_str_eq(cinto_settings_path(s), "./rel.ini");
    cinto_settings_free(s);
}

Test(settings, env_override)
{
    setenv("KINTO_PAGINATE_BY", "5", 1);
    setenv("KINTO_MULTIAUTH_POLICIES", "basicauth", 1);
    setenv("KINTO_FOO_BAR_RECORD_CACHE_EXPIRES_SECONDS", "99", 1);
    setenv("KINTO_USER_DATA_DELETE_PRINCIPALS", "account:admin", 1);
    setenv("KINTO_BATCH_MAX_REQUESTS", "", 1);
    setenv("READONLY", "true", 1);      /* unprefixed: ignored (spec 08 §8.14) */
    setenv("HTTP_READONLY", "true", 1); /* what a header would become: ignored */
    setenv("KINTO_ENV_ONLY", "yes", 1);
    cinto_settings *s = load_text("[app:main]\n"
                                  "kinto.paginate_by = 10\n"
                                  "multiauth.policies = account\n"
                                  "kinto.foo.bar.record_cache_expires_seconds = 1\n"
                                  "kinto.batch_max_requests = 25\n"
                                  "readonly = false\n");
    cr_assert_str_eq(cinto_settings_get(s, "paginate_by"), "5");
    cr_assert_str_eq(cinto_settings_get(s, "kinto.paginate_by"), "5");
    cr_assert_str_eq(cinto_settings_get(s, "multiauth.policies"), "basicauth");
    cr_assert_str_eq(cinto_settings_get(s, "foo.bar.record_cache_expires_seconds"), "99");
    cr_assert_str_eq(cinto_settings_get(s, "user-data_delete_principals"), "account:admin");
    cr_assert_str_eq(cinto_settings_get(s, "batch_max_requests"), ""); /* set, even empty */
    cr_assert_str_eq(cinto_settings_get(s, "readonly"), "false");
    cr_assert_str_eq(cinto_settings_get(s, "env_only"), "yes");
    cr_assert_eq(cinto_settings_bool(s, "env_only", 0), 1);
    int ok = 1;
    cr_assert_eq(cinto_settings_int(s, "batch_max_requests", 25, &ok), 25);
    cr_assert_eq(ok, 0);
    /* The environment is captured at load: later changes are not seen,
     * and the returned pointers stay valid. */
    const char *p = cinto_settings_get(s, "paginate_by");
    setenv("KINTO_PAGINATE_BY", "6", 1);
    unsetenv("KINTO_MULTIAUTH_POLICIES");
    cr_assert_str_eq(p, "5");
    cr_assert_str_eq(cinto_settings_get(s, "paginate_by"), "5");
    cr_assert_str_eq(cinto_settings_get(s, "multiauth.policies"), "basicauth");
    cinto_settings_free(s);
}

Test(settings, env_without_file)
{
    setenv("KINTO_READONLY", "On", 1);
    char err[64];
    cinto_settings *s = cinto_settings_load(NULL, err, sizeof err);
    cr_assert_not_null(s);
    cr_assert_eq(cinto_settings_bool(s, "readonly", 0), 1);
    cr_assert_eq(cinto_settings_count(s), 0);
    cinto_settings_free(s);
}

Test(settings, booleans)
{
    cinto_settings *s = load_text("[app:main]\n"
                                  "t1 = true\nt2 = YES\nt3 = On\nt4 = 1\nt5 = True \n"
                                  "f1 = false\nf2 = No\nf3 = OFF\nf4 = 0\n"
                                  "x1 = maybe\nx2 = 2\nx3 =\nx4 = truee\n");
    const char *t[] = {"t1", "t2", "t3", "t4", "t5"};
    const char *f[] = {"f1", "f2", "f3", "f4"};
    const char *x[] = {"x1", "x2", "x3", "x4", "absent"};
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(cinto_settings_bool(s, t[i], 0), 1, "%s", t[i]);
        cr_expect_eq(cinto_settings_bool(s, x[i], 0), 0, "%s", x[i]);
        cr_expect_eq(cinto_settings_bool(s, x[i], 1), 1, "%s", x[i]);
    }
    for (int i = 0; i < 4; i++)
        cr_expect_eq(cinto_settings_bool(s, f[i], 1), 0, "%s", f[i]);
    cinto_settings_free(s);
}

Test(settings, integers)
{
    cinto_settings *s = load_text("[app:main]\n"
                                  "a = 25\nb = -1\nc = 0\nd = 9223372036854775807\n"
                                  "e = 9223372036854775808\nf = 1.5\ng = abc\nh = 0x10\n"
                                  "i = +3\nj = 012\nk = 12abc\nl =\nm = -\n");
    int ok;
    cr_assert_eq(cinto_settings_int(s, "a", 7, &ok), 25);
    cr_assert_eq(ok, 1);
    cr_assert_eq(cinto_settings_int(s, "b", 7, &ok), -1);
    cr_assert_eq(ok, 1);
    cr_assert_eq(cinto_settings_int(s, "c", 7, &ok), 0);
    cr_assert_eq(ok, 1);
    cr_assert_eq(cinto_settings_int(s, "d", 7, &ok), 9223372036854775807LL);
    cr_assert_eq(ok, 1);
    const char *bad[] = {"e", "f", "g", "h", "i", "j", "k", "l", "m", "absent"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ok = 1;
        cr_expect_eq(cinto_settings_int(s, bad[i], 7, &ok), 7, "%s", bad[i]);
        cr_expect_eq(ok, 0, "%s", bad[i]);
    }
    cr_assert_eq(cinto_settings_int(s, "a", 7, NULL), 25);
    cinto_settings_free(s);
}

Test(settings, lists)
{
    cinto_settings *s = load_text("[app:main]\n"
                                  "cors_origins = https://a.example  https://b.example\n"
                                  "commas = a,b, c\n"
                                  "multi = one\n"
                                  "  two three\n"
                                  "\tfour\n"
                                  "blank = \n");
    char **v;
    cr_assert_eq(cinto_settings_list(s, "cors_origins", &v), 2);
    cr_assert_str_eq(v[0], "https://a.example");
    cr_assert_str_eq(v[1], "https://b.example");
    cr_assert_null(v[2]);
    cinto_strv_free(v);
    cr_assert_eq(cinto_settings_list(s, "commas", &v), 2);
    cr_assert_str_eq(v[0], "a,b,");
    cr_assert_str_eq(v[1], "c");
    cinto_strv_free(v);
    cr_assert_eq(cinto_settings_list(s, "multi", &v), 4);
    cr_assert_str_eq(v[3], "four");
    cinto_strv_free(v);
    cr_assert_eq(cinto_settings_list(s, "blank", &v), 0);
    cr_assert_null(v[0]);
    cinto_strv_free(v);
    cinto_strv_free(NULL);
    cinto_settings_free(s);
}

Test(settings, many_list_items)
{
    char text[8192] = "[app:main]\nbig =";
    for (int i = 0; i < 500; i++) {
        char item[16];
        snprintf(item, sizeof item, " p%d", i);
        strcat(text, item);
    }
    strcat(text, "\n");
    cinto_settings *s = load_text(text);
    char **v;
    cr_assert_eq(cinto_settings_list(s, "big", &v), 500);
    cr_assert_str_eq(v[499], "p499");
    cr_assert_null(v[500]);
    cinto_strv_free(v);
    cinto_settings_free(s);
}

Test(settings, path_hash_mtime)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const char *text = "[app:main]\nkinto.readonly = true\n";
    const char *path = write_ini("meta.ini", text);
    /* 2024-01-31T09:12:44.123456 UTC */
    struct timespec ts[2] = {{1706692364, 123456789}, {1706692364, 123456789}};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    char err[128];
    cinto_settings *s = cinto_settings_load(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_str_eq(cinto_settings_path(s), path);
    /* printf '[app:main]\nkinto.readonly = true\n' | sha256sum */
    cr_assert_str_eq(cinto_settings_hash(s),
                     "38a3e2837dadd9e2072f7ff1f29f95a5cb5fc137933c07d4a305e7efb4085cb5");
    cr_assert_str_eq(cinto_settings_mtime(s), "2024-01-31T09:12:44.123456");
    cinto_settings_free(s);
}

Test(settings, mtime_local_time)
{
    setenv("TZ", "CET-1", 1); /* fixed +01:00, no DST rules */
    tzset();
    const char *path = write_ini("tz.ini", "[app:main]\n");
    struct timespec ts[2] = {{1706692364, 0}, {1706692364, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    char err[128];
    cinto_settings *s = cinto_settings_load(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_str_eq(cinto_settings_mtime(s), "2024-01-31T10:12:44.000000");
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regexec(&re, cinto_settings_mtime(s), 0, NULL, 0), 0);
    regfree(&re);
    cinto_settings_free(s);
}

Test(settings, null_safety)
{
    cr_assert_null(cinto_settings_get(NULL, "x"));
    cr_assert_null(cinto_settings_path(NULL));
    cr_assert_eq(cinto_settings_count(NULL), 0);
    cinto_settings_free(NULL);
}

/* Values that are JSON strings are read as the string inside (spec 08 §8.14
 * item 3), so `userid_hmac_secret = ""` means the empty secret. */
Test(settings, json_string_values)
{
    const char *p = write_ini("json.ini", "[app:main]\n"
                                          "kinto.userid_hmac_secret = \"\"\n"
                                          "kinto.project_name = \"my kinto\"\n"
                                          "kinto.raw = \"unterminated\n"
                                          "kinto.paginate_by = 5\n"
                                          "readonly = \"x\"\n"
                                          "kinto.readonly = x\n");
    char err[256];
    cinto_settings *s = cinto_settings_load(p, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_str_eq(cinto_settings_get(s, "userid_hmac_secret"), "");
    cr_assert_str_eq(cinto_settings_get(s, "project_name"), "my kinto");
    cr_assert_str_eq(cinto_settings_get(s, "raw"), "\"unterminated");
    cr_assert_eq(cinto_settings_int(s, "paginate_by", 0, NULL), 5);
    cr_assert_str_eq(cinto_settings_get(s, "readonly"), "x", "same value in both spellings");
    cinto_settings_free(s);
}
