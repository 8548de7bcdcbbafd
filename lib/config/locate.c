/* See locate.h. */
#include "config/locate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cinto_passwd_home(const char *passwd_file, uid_t uid)
{
    FILE *f = fopen(passwd_file, "r");
    if (!f)
        return NULL;
    char line[2048];
    char *home = NULL;
    while (!home && fgets(line, sizeof line, f)) {
        /* name:password:uid:gid:gecos:home:shell */
        char *field[7] = {0};
        size_t n = 0;
        char *p = line;
        line[strcspn(line, "\r\n")] = '\0';
        while (n < 7) {
            field[n++] = p;
            p = strchr(p, ':');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (n < 6 || !*field[2])
            continue;
        char *end;
        errno = 0;
        unsigned long id = strtoul(field[2], &end, 10);
        if (errno || *end || (uid_t)id != uid || id != (unsigned long)(uid_t)id)
            continue;
        if (field[5][0] == '/')
            home = strdup(field[5]);
        break; /* the first line for a uid is the one NSS would return */
    }
    fclose(f);
    return home;
}

/* A candidate counts as present when it exists, and also when it cannot
 * be looked at (EACCES): then the customer gets "cannot read" for the
 * file they uploaded instead of "not found". */
static int present(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno == EACCES;
}

/* dir/../cinto.ini without "..": the parent folder by text. */
static int parent_of(const char *dir, char *out, size_t outlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    while (n > 0 && dir[n - 1] != '/')
        n--;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0)
        return -1; /* relative name without a slash: no parent we can name */
    int w = snprintf(out, outlen, "%.*s/cinto.ini", (int)(n == 1 ? 0 : n), dir);
    return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static int candidate(cinto_ini_location *out, enum cinto_ini_source source, const char *path)
{
    if (!path || !present(path))
        return 0;
    snprintf(out->path, sizeof out->path, "%s", path);
    out->source = source;
    return 1;
}

enum cinto_ini_source cinto_ini_locate(const char *env_ini, const char *req_ini,
                                       const char *binary_dir, const char *home,
                                       cinto_ini_location *out)
{
    char path[4096];
    memset(out, 0, sizeof *out);
    if (env_ini && *env_ini) {
        snprintf(out->path, sizeof out->path, "%s", env_ini);
        return out->source = CINTO_INI_ENV;
    }
    if (req_ini && *req_ini) {
        snprintf(out->path, sizeof out->path, "%s", req_ini);
        return out->source = CINTO_INI_REQUEST;
    }
    if (binary_dir && *binary_dir) {
        int w = snprintf(path, sizeof path, "%s/cinto.ini", binary_dir);
        if (w > 0 && (size_t)w < sizeof path && candidate(out, CINTO_INI_BESIDE, path))
            return out->source;
        if (parent_of(binary_dir, path, sizeof path) == 0 && candidate(out, CINTO_INI_PARENT, path))
            return out->source;
    }
    if (home && *home) {
        int w = snprintf(path, sizeof path, "%s%scinto.ini", home,
                         home[strlen(home) - 1] == '/' ? "" : "/");
        if (w > 0 && (size_t)w < sizeof path && candidate(out, CINTO_INI_HOME, path))
            return out->source;
    }
    return CINTO_INI_NONE;
}

const char *cinto_ini_source_text(enum cinto_ini_source source)
{
    switch (source) {
    case CINTO_INI_ENV:
        return "the file named by KINTO_INI in the server's environment";
    case CINTO_INI_REQUEST:
        return "the file named by KINTO_INI (SetEnv in .htaccess or the server configuration)";
    case CINTO_INI_BESIDE:
        return "cinto.ini beside cinto.fcgi";
    case CINTO_INI_PARENT:
        return "cinto.ini in the folder above cinto.fcgi";
    case CINTO_INI_HOME:
        return "cinto.ini in your home folder";
    case CINTO_INI_NONE:
        break;
    }
    return "no configuration file";
}

void cinto_ini_stamp_of(const char *path, cinto_ini_stamp *out)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (!path || !*path || stat(path, &st) < 0)
        return;
    out->exists = 1;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime = st.st_mtim;
    out->ctime = st.st_ctim;
}

int cinto_ini_stamp_equal(const cinto_ini_stamp *a, const cinto_ini_stamp *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}
