/* Where cinto.ini is found (the order of README "Configuration"), the
 * home folder read from a passwd file without NSS, file stamps, and the
 * masking of secrets in configuration messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/locate.h"
#include "config/settings.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/cinto-locate-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(locate, .init = make_dir, .fini = remove_dir);

static const char *in_dir(const char *name)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(locate, passwd_home_by_uid_without_nss)
{
    const char *pw = in_dir("passwd");
    write_file(pw, "root:x:0:0:root:/root:/bin/bash\n"
                   "broken line\n"
                   "short:x:7\n"
                   "alice:x:1001:1001:Alice,,,:/home/alice:/bin/sh\n"
                   "rel:x:1002:1002::home/rel:/bin/sh\n"
                   "alice2:x:1001:1001::/home/second:/bin/sh\n"
                   "big:x:4294967295999:1::/home/big:/bin/sh\n");
    char *h = cinto_passwd_home(pw, 1001);
    cr_assert_str_eq(h, "/home/alice", "the first line for a uid wins");
    free(h);
    h = cinto_passwd_home(pw, 0);
    cr_assert_str_eq(h, "/root");
    free(h);
    cr_assert_null(cinto_passwd_home(pw, 1002), "a relative home is ignored");
    cr_assert_null(cinto_passwd_home(pw, 4242));
    cr_assert_null(cinto_passwd_home(in_dir("nope"), 0));
}

Test(locate, order_env_request_beside_parent_home)
{
    /* dir/site/bin is the binary's folder; dir/site its parent; dir/home the home. */
    char bin[256], site[256], home[256];
    snprintf(site, sizeof site, "%s/site", dir);
    snprintf(bin, sizeof bin, "%s/site/bin", dir);
    snprintf(home, sizeof home, "%s/home", dir);
    cr_assert_eq(mkdir(site, 0700), 0);
    cr_assert_eq(mkdir(bin, 0700), 0);
    cr_assert_eq(mkdir(home, 0700), 0);
    cinto_ini_location loc;

    cr_assert_eq(cinto_ini_locate(NULL, NULL, bin, home, &loc), CINTO_INI_NONE);
    cr_assert_str_eq(loc.path, "");

    char f[512];
    snprintf(f, sizeof f, "%s/cinto.ini", home);
    write_file(f, "[app:main]\n");
    cr_assert_eq(cinto_ini_locate(NULL, "", bin, home, &loc), CINTO_INI_HOME);
    cr_assert_str_eq(loc.path, f);
    char slash[300];
    snprintf(slash, sizeof slash, "%s/", home);
    cr_assert_eq(cinto_ini_locate(NULL, NULL, bin, slash, &loc), CINTO_INI_HOME);
    cr_assert_str_eq(loc.path, f, "no double slash");

    snprintf(f, sizeof f, "%s/cinto.ini", site);
    write_file(f, "[app:main]\n");
    cr_assert_eq(cinto_ini_locate("", NULL, bin, home, &loc), CINTO_INI_PARENT);
    cr_assert_str_eq(loc.path, f);
    char trailing[300];
    snprintf(trailing, sizeof trailing, "%s/", bin);
    cr_assert_eq(cinto_ini_locate(NULL, NULL, trailing, home, &loc), CINTO_INI_PARENT);
    cr_assert_str_eq(loc.path, f);

    snprintf(f, sizeof f, "%s/cinto.ini", bin);
    write_file(f, "[app:main]\n");
    cr_assert_eq(cinto_ini_locate(NULL, NULL, bin, home, &loc), CINTO_INI_BESIDE);
    cr_assert_str_eq(loc.path, f);

    /* An explicit KINTO_INI is taken even when it names nothing. */
    cr_assert_eq(cinto_ini_locate(NULL, "/no/such.ini", bin, home, &loc), CINTO_INI_REQUEST);
    cr_assert_str_eq(loc.path, "/no/such.ini");
    cr_assert_eq(cinto_ini_locate("/env.ini", "/req.ini", bin, home, &loc), CINTO_INI_ENV);
    cr_assert_str_eq(loc.path, "/env.ini");
}

Test(locate, parent_of_top_level_folders)
{
    cinto_ini_location loc;
    /* "/" has no parent other than itself; a bare relative name none. */
    cinto_ini_locate(NULL, NULL, "relative", NULL, &loc);
    cr_assert_eq(loc.source, CINTO_INI_NONE);
}

Test(locate, stamp_changes_on_edit_and_chmod)
{
    const char *p = in_dir("s.ini");
    cinto_ini_stamp a, b, none;
    cinto_ini_stamp_of(in_dir("missing"), &none);
    cr_assert_eq(none.exists, 0);
    write_file(p, "[app:main]\n");
    cinto_ini_stamp_of(p, &a);
    cinto_ini_stamp_of(p, &b);
    cr_assert(cinto_ini_stamp_equal(&a, &b));
    cr_assert_not(cinto_ini_stamp_equal(&a, &none));
    write_file(p, "[app:main]\nreadonly = true\n");
    cinto_ini_stamp_of(p, &b);
    cr_assert_not(cinto_ini_stamp_equal(&a, &b), "size and mtime changed");
    cinto_ini_stamp_of(p, &a);
    struct timespec before = a.ctime;
    /* chmod changes ctime only; wait for the clock to move if needed */
    for (int i = 0; i < 100000; i++) {
        cr_assert_eq(chmod(p, i % 2 ? 0600 : 0644), 0);
        cinto_ini_stamp_of(p, &b);
        if (b.ctime.tv_sec != before.tv_sec || b.ctime.tv_nsec != before.tv_nsec)
            break;
    }
    cr_assert_not(cinto_ini_stamp_equal(&a, &b), "chmod changes the stamp");
}

Test(locate, source_texts_name_no_path)
{
    for (int s = CINTO_INI_NONE; s <= CINTO_INI_HOME; s++) {
        const char *t = cinto_ini_source_text((enum cinto_ini_source)s);
        cr_assert_not_null(t);
        cr_assert_null(strchr(t, '/'), "%s", t);
    }
}

Test(locate, redact_masks_secrets_and_storage_password)
{
    const char *p = in_dir("r.ini");
    write_file(p, "[app:main]\n"
                  "kinto.storage_url = mysql://bob:p%40ss%3Aword@db.example/kinto\n"
                  "kinto.userid_hmac_secret = HMAC-SECRET-1234\n"
                  "kinto.default_bucket_hmac_secret = bucket-secret\n"
                  "some.password = hunter2\n"
                  "kinto.project_name = visible\n");
    char err[256];
    cinto_settings *s = cinto_settings_load(p, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    char text[512] = "url mysql://bob:p%40ss%3Aword@db.example/kinto decoded p@ss:word "
                     "hmac HMAC-SECRET-1234 b bucket-secret pw hunter2 name visible";
    cinto_settings_redact(s, text);
    cr_assert_null(strstr(text, "p%40ss%3Aword"), "%s", text);
    cr_assert_null(strstr(text, "p@ss:word"), "%s", text);
    cr_assert_null(strstr(text, "HMAC-SECRET-1234"), "%s", text);
    cr_assert_null(strstr(text, "bucket-secret"), "%s", text);
    cr_assert_null(strstr(text, "hunter2"), "%s", text);
    cr_assert_not_null(strstr(text, "mysql://bob:***@db.example/kinto"), "%s", text);
    cr_assert_not_null(strstr(text, "name visible"), "%s", text);
    cinto_settings_free(s);
}

Test(locate, load_ex_kinds_and_messages_without_path_or_line_text)
{
    enum cinto_settings_error kind;
    char err[256];
    cr_assert_null(cinto_settings_load_ex(in_dir("none.ini"), &kind, err, sizeof err));
    cr_assert_eq(kind, CINTO_SETTINGS_NOT_FOUND);
    cr_assert_null(strstr(err, dir), "%s", err);
    cr_assert_null(cinto_settings_load_ex(dir, &kind, err, sizeof err));
    cr_assert_eq(kind, CINTO_SETTINGS_UNREADABLE, "a folder");
    const char *p = in_dir("bad.ini");
    write_file(p, "[app:main]\nkinto.storage_url = mysql://u:pw@h/d\n"
                  "kinto.userid_hmac_secret THE-SECRET-VALUE\n");
    cr_assert_null(cinto_settings_load_ex(p, &kind, err, sizeof err));
    cr_assert_eq(kind, CINTO_SETTINGS_SYNTAX);
    cr_assert_not_null(strstr(err, "line 3"), "%s", err);
    cr_assert_null(strstr(err, "THE-SECRET-VALUE"), "%s", err);
    cr_assert_null(strstr(err, dir), "%s", err);
}
