/* Where cinto.ini is looked for (README "Configuration"), and the file
 * identity a worker compares on every request to notice an edited ini.
 *
 * The lookup must work under suexec, which strips SetEnv KINTO_INI and
 * passes no HOME, and in a statically linked binary, which cannot use
 * getpwuid (NSS modules are shared libraries): the home folder is read
 * from /etc/passwd directly. */
#ifndef CINTO_CONFIG_LOCATE_H
#define CINTO_CONFIG_LOCATE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum cinto_ini_source {
    CINTO_INI_NONE,    /* no file found */
    CINTO_INI_ENV,     /* KINTO_INI in the process environment */
    CINTO_INI_REQUEST, /* KINTO_INI as a request variable (SetEnv, fastcgi_param) */
    CINTO_INI_BESIDE,  /* cinto.ini beside the binary */
    CINTO_INI_PARENT,  /* cinto.ini in the parent of the binary's folder */
    CINTO_INI_HOME,    /* cinto.ini in the home folder of the running account */
};

typedef struct cinto_ini_location {
    enum cinto_ini_source source;
    char path[4096]; /* "" when source is CINTO_INI_NONE */
} cinto_ini_location;

/* The home folder of uid in a passwd-format file ("name:pw:uid:gid:gecos:
 * home:shell" lines), as a malloc'd string; NULL when the file cannot be
 * read, uid has no line, or its home is empty or relative. */
char *cinto_passwd_home(const char *passwd_file, uid_t uid);

/* Picks the ini. env_ini and req_ini are the values of KINTO_INI (NULL or
 * "" = unset): when given, that name is taken even if no such file exists,
 * so that the error names what the customer asked for. Otherwise the first
 * candidate that exists, in the order of enum cinto_ini_source. home may
 * be NULL. Returns out->source. */
enum cinto_ini_source cinto_ini_locate(const char *env_ini, const char *req_ini,
                                       const char *binary_dir, const char *home,
                                       cinto_ini_location *out);

/* Where the file is, in words that show no account name ("cinto.ini
 * beside cinto.fcgi"), for HTTP answers anyone may read. */
const char *cinto_ini_source_text(enum cinto_ini_source source);

/* What identifies one version of the file: a new upload (new inode), an
 * edit (mtime, size) or a chmod (ctime) all change it. */
typedef struct cinto_ini_stamp {
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} cinto_ini_stamp;

/* Fills *st from stat(path) (exists = 0 when stat fails). */
void cinto_ini_stamp_of(const char *path, cinto_ini_stamp *st);
int cinto_ini_stamp_equal(const cinto_ini_stamp *a, const cinto_ini_stamp *b);

#endif
