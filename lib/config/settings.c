/* Settings: the [app:main] section of a PasteDeploy ini file, read the way
 * Python's configparser reads it, overlaid by KINTO_* environment variables
 * captured once at load time. The object is immutable afterwards, so any
 * number of requests may read it. */
#define _GNU_SOURCE
#include "config/settings.h"

#include <json-c/json.h>

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/codec.h"

extern char **environ;

typedef struct kv {
    char *key;
    char *value;
} kv;

typedef struct kvlist {
    kv *items;
    size_t count, cap;
} kvlist;

struct cinto_settings {
    kvlist file; /* normalized keys of [app:main], in file order */
    kvlist env;  /* KINTO_* variables: full variable name -> value */
    char *path;
    char *hash;
    char *mtime;
};

static void kvlist_free(kvlist *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static kv *kvlist_find(const kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return &l->items[i];
    return NULL;
}

/* Kinto reads setting values as JSON when they parse (spec 08 §8.14 item
 * 3): a quoted value is the string inside, so `userid_hmac_secret = ""`
 * is the empty secret. Numbers and booleans keep their text; the typed
 * accessors read them. Returns a malloc'd copy. */
static char *native_value(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        json_object *o = json_tokener_parse(v);
        if (o && json_object_is_type(o, json_type_string)) {
            char *r = strdup(json_object_get_string(o));
            json_object_put(o);
            return r;
        }
        json_object_put(o);
    }
    return strdup(v);
}

/* Appends a copy of key and value; -1 when memory ran out. */
static int kvlist_add(kvlist *l, const char *key, const char *value)
{
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        kv *items = realloc(l->items, ncap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = ncap;
    }
    char *k = strdup(key), *v = native_value(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    l->items[l->count++] = (kv){k, v};
    return 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- ini parsing ------------------------------------------------------- */

/* One section as configparser keeps it: raw option names (lowercased) and
 * their joined values, before interpolation. */
typedef struct section {
    char *name;
    kvlist opts;
} section;

typedef struct ini {
    section *secs;
    size_t count, cap;
} ini;

static void ini_free(ini *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->secs[i].name);
        kvlist_free(&f->secs[i].opts);
    }
    free(f->secs);
    memset(f, 0, sizeof *f);
}

static section *ini_find(const ini *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->secs[i].name, name) == 0)
            return &f->secs[i];
    return NULL;
}

static section *ini_add(ini *f, const char *name)
{
    if (f->count == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 8;
        section *secs = realloc(f->secs, ncap * sizeof *secs);
        if (!secs)
            return NULL;
        f->secs = secs;
        f->cap = ncap;
    }
    char *n = strdup(name);
    if (!n)
        return NULL;
    f->secs[f->count] = (section){n, {NULL, 0, 0}};
    return &f->secs[f->count++];
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Strips whitespace around s[0..*len) in place; returns the new start. */
static char *strip(char *s, size_t *len)
{
    size_t n = *len;
    while (n && is_space(s[n - 1]))
        n--;
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* State of the line parser: the option whose value continuation lines
 * extend, and configparser's notion of its indentation. */
typedef struct parser {
    ini *f;
    section *cur;
    cinto_buf value; /* value being accumulated for opt */
    char *opt;       /* current option name, NULL when none */
    size_t pending_blank;
    size_t indent;
    size_t lineno;
} parser;

/* Stores the accumulated option value in its section (configparser joins
 * the lines with '\n' and strips trailing whitespace). */
static int flush_option(parser *ps)
{
    if (!ps->opt)
        return 0;
    size_t n = ps->value.len;
    const char *v = cinto_buf_str(&ps->value);
    while (n && is_space(v[n - 1]))
        n--;
    if (ps->value.data)
        ps->value.data[n] = '\0';
    int rc = kvlist_add(&ps->cur->opts, ps->opt, cinto_buf_str(&ps->value));
    free(ps->opt);
    ps->opt = NULL;
    cinto_buf_reset(&ps->value);
    ps->pending_blank = 0;
    return rc;
}

static int parse_line(parser *ps, char *line, size_t len, char *err, size_t errlen)
{
    size_t indent = 0;
    while (indent < len && (line[indent] == ' ' || line[indent] == '\t'))
        indent++;
    size_t vlen = len;
    char *v = strip(line, &vlen);
    if (vlen == 0) {
        /* Blank lines inside a value are kept if more continuation lines
         * follow (configparser's empty_lines_in_values). */
        if (ps->opt)
            ps->pending_blank++;
        return 0;
    }
    if (*v == '#' || *v == ';')
        return 0; /* full-line comment, even indented */
    if (ps->opt && indent > ps->indent) {
        for (; ps->pending_blank; ps->pending_blank--)
            if (cinto_buf_putc(&ps->value, '\n') < 0)
                return -2;
        if (cinto_buf_putc(&ps->value, '\n') < 0 || cinto_buf_append(&ps->value, v, vlen) < 0)
            return -2;
        return 0;
    }
    if (flush_option(ps) < 0)
        return -2;
    ps->indent = indent;
    if (*v == '[') {
        char *close = strrchr(v, ']');
        if (!close || close == v + 1) {
            set_err(err, errlen, "line %zu: malformed section header", ps->lineno);
            return -1;
        }
        *close = '\0';
        if (ini_find(ps->f, v + 1)) {
            set_err(err, errlen, "line %zu: duplicate section [%s]", ps->lineno, v + 1);
            return -1;
        }
        ps->cur = ini_add(ps->f, v + 1);
        return ps->cur ? 0 : -2;
    }
    if (!ps->cur) {
        set_err(err, errlen, "line %zu: option outside of any section", ps->lineno);
        return -1;
    }
    size_t klen = strcspn(v, "=:");
    if (klen == vlen || klen == 0) {
        set_err(err, errlen, "line %zu: expected \"key = value\"", ps->lineno);
        return -1;
    }
    char *val = v + klen + 1;
    size_t val_len = vlen - klen - 1;
    v[klen] = '\0';
    char *key = strip(v, &klen);
    if (klen == 0) {
        set_err(err, errlen, "line %zu: empty option name", ps->lineno);
        return -1;
    }
    lower(key); /* configparser's optionxform */
    if (kvlist_find(&ps->cur->opts, key)) {
        set_err(err, errlen, "line %zu: option \"%s\" given twice in [%s]", ps->lineno, key,
                ps->cur->name);
        return -1;
    }
    val = strip(val, &val_len);
    ps->opt = strdup(key);
    if (!ps->opt || cinto_buf_append(&ps->value, val, val_len) < 0)
        return -2;
    return 0;
}

/* Parses the whole text into sections. Returns 0, -1 with err. */
static int ini_parse(ini *f, char *text, size_t len, char *err, size_t errlen)
{
    parser ps = {.f = f, .value = CINTO_BUF_INIT};
    int rc = 0;
    char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* UTF-8 byte order mark */
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        ps.lineno++;
        if (memchr(p, '\0', (size_t)(le - p))) {
            set_err(err, errlen, "line %zu: NUL byte", ps.lineno);
            rc = -1;
            break;
        }
        *le = '\0';
        rc = parse_line(&ps, p, (size_t)(le - p), err, errlen);
        p = le + 1;
    }
    if (rc == 0 && flush_option(&ps) < 0)
        rc = -2;
    if (rc == -2)
        set_err(err, errlen, "out of memory");
    free(ps.opt);
    cinto_buf_free(&ps.value);
    return rc ? -1 : 0;
}

/* ---- interpolation ----------------------------------------------------- */

/* PasteDeploy interpolation: "%%" is a percent sign and "%(name)s" is the
 * option name of the same section or of [DEFAULT], or "here" (directory of
 * the file) / "__file__". Upstream rejects any other '%'; here it is kept
 * literally so that a percent-encoded password written naively still works,
 * while every file upstream accepts gives the same values. */
typedef struct interp {
    const section *sec, *defaults;
    const char *here, *file;
} interp;

static const char *interp_lookup(const interp *in, const char *name)
{
    const kv *e = in->sec ? kvlist_find(&in->sec->opts, name) : NULL;
    if (!e && in->defaults)
        e = kvlist_find(&in->defaults->opts, name);
    if (e)
        return e->value;
    if (strcmp(name, "here") == 0)
        return in->here;
    if (strcmp(name, "__file__") == 0)
        return in->file;
    return NULL;
}

static int interpolate(const interp *in, const char *v, int depth, cinto_buf *out, char *err,
                       size_t errlen)
{
    if (depth > 10) {
        set_err(err, errlen, "interpolation too deep");
        return -1;
    }
    for (const char *p = v; *p; p++) {
        if (p[0] == '%' && p[1] == '%') {
            if (cinto_buf_putc(out, '%') < 0)
                goto oom;
            p++;
            continue;
        }
        const char *close = p[0] == '%' && p[1] == '(' ? strstr(p + 2, ")s") : NULL;
        if (close) {
            char name[256];
            size_t n = (size_t)(close - p - 2);
            if (n < sizeof name) {
                memcpy(name, p + 2, n);
                name[n] = '\0';
                lower(name);
                const char *sub = interp_lookup(in, name);
                if (!sub) {
                    set_err(err, errlen, "unknown interpolation %%(%s)s", name);
                    return -1;
                }
                if (interpolate(in, sub, depth + 1, out, err, errlen) < 0)
                    return -1;
                p = close + 1;
                continue;
            }
        }
        if (cinto_buf_putc(out, *p) < 0)
            goto oom;
    }
    return 0;
oom:
    set_err(err, errlen, "out of memory");
    return -1;
}

/* ---- file metadata ----------------------------------------------------- */

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    cinto_buf b = CINTO_BUF_INIT;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_err(err, errlen, "%s", strerror(errno));
        return -1;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (cinto_buf_append(&b, chunk, n) < 0) {
            set_err(err, errlen, "out of memory");
            goto err;
        }
    }
    if (ferror(fp)) {
        set_err(err, errlen, "%s", strerror(errno));
        goto err;
    }
    fclose(fp);
    if (cinto_buf_append(&b, "", 0) < 0) {
        set_err(err, errlen, "out of memory");
        cinto_buf_free(&b);
        return -1;
    }
    *len = b.len;
    *text = cinto_buf_steal(&b);
    return 0;
err:
    fclose(fp);
    cinto_buf_free(&b);
    return -1;
}

/* Local time "YYYY-MM-DDTHH:MM:SS.ffffff", as Python's
 * datetime.fromtimestamp(mtime).isoformat() prints it (the fraction is
 * always printed here, even when zero). */
static char *mtime_text(const struct stat *st)
{
    struct tm tm;
    char when[32], out[48];
    if (!localtime_r(&st->st_mtim.tv_sec, &tm) ||
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return NULL;
    snprintf(out, sizeof out, "%s.%06d", when, (int)(st->st_mtim.tv_nsec / 1000 % 1000000));
    return strdup(out);
}

static char *sha256_hex(const char *text, size_t len)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *hex = malloc(2 * sizeof digest + 1);
    if (!hex)
        return NULL;
    crypto_hash_sha256(digest, (const unsigned char *)text, len);
    cinto_hex(digest, sizeof digest, hex);
    return hex;
}

/* ---- loading ----------------------------------------------------------- */

/* Adds one [app:main] option under its normalized key, refusing a
 * "kinto.x" / "x" pair that disagrees (spec 08 §8.14 item 1). */
static int add_setting(cinto_settings *s, const char *raw_key, const char *value, char *err,
                       size_t errlen)
{
    const char *key = strncmp(raw_key, "kinto.", 6) == 0 ? raw_key + 6 : raw_key;
    kv *prev = kvlist_find(&s->file, key);
    if (prev) {
        char *native = native_value(value);
        int same = native && strcmp(prev->value, native) == 0;
        free(native);
        if (same)
            return 0;
        set_err(err, errlen, "settings \"%s\" and \"kinto.%s\" are in conflict", key, key);
        return -1;
    }
    if (kvlist_add(&s->file, key, value) < 0) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* path made absolute against the working directory, without resolving
 * symbolic links (Python's os.path.abspath, minus the normalisation). */
static char *absolute_path(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *cwd = getcwd(NULL, 0);
    char *out = NULL;
    if (cwd && asprintf(&out, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
                        strncmp(path, "./", 2) == 0 ? path + 2 : path) < 0)
        out = NULL;
    free(cwd);
    return out;
}

static int load_app_main(cinto_settings *s, const ini *f, char *err, size_t errlen)
{
    const section *app = ini_find(f, "app:main");
    if (!app)
        return 0; /* nothing configured: defaults apply */
    /* PasteDeploy's "here" and "__file__" are absolute paths. */
    char *file = absolute_path(s->path);
    char *dir = file ? strdup(file) : NULL;
    if (!dir) {
        free(file);
        goto oom;
    }
    char *slash = strrchr(dir, '/');
    *(slash == dir ? slash + 1 : slash) = '\0'; /* absolute: a '/' exists */
    interp in = {app, ini_find(f, "DEFAULT"), dir, file};
    cinto_buf v = CINTO_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < app->opts.count && rc == 0; i++) {
        const kv *o = &app->opts.items[i];
        /* PasteDeploy hands [DEFAULT] options to the app as global_conf,
         * not as settings: skip them when repeated in the section. */
        if (in.defaults && kvlist_find(&in.defaults->opts, o->key))
            continue;
        cinto_buf_reset(&v);
        rc = interpolate(&in, o->value, 0, &v, err, errlen);
        if (rc == 0 && cinto_buf_append(&v, "", 0) < 0) {
            set_err(err, errlen, "out of memory");
            rc = -1;
        }
        if (rc == 0)
            rc = add_setting(s, o->key, v.data, err, errlen);
    }
    cinto_buf_free(&v);
    free(dir);
    free(file);
    return rc;
oom:
    set_err(err, errlen, "out of memory");
    return -1;
}

/* Reads and parses path. On failure *kind says why and err holds the
 * reason without the path (strerror text, or "line N: ..."), so that the
 * caller decides how much of the path to show. Errors never quote a
 * line's text: it may be a password or a secret. */
static int load_file(cinto_settings *s, const char *path, enum cinto_settings_error *kind,
                     char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    ini f = {0};
    int rc = -1;
    char perr[200] = "";
    if (stat(path, &st) < 0) {
        *kind = errno == ENOENT || errno == ENOTDIR ? CINTO_SETTINGS_NOT_FOUND
                                                    : CINTO_SETTINGS_UNREADABLE;
        set_err(err, errlen, "%s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        *kind = CINTO_SETTINGS_UNREADABLE;
        set_err(err, errlen, "%s", strerror(EISDIR));
        return -1;
    }
    if (read_file(path, &text, &len, perr, sizeof perr) < 0) {
        *kind = CINTO_SETTINGS_UNREADABLE;
        set_err(err, errlen, "%s", perr);
        return -1;
    }
    s->path = strdup(path);
    s->hash = sha256_hex(text, len);
    s->mtime = mtime_text(&st);
    if (!s->path || !s->hash || !s->mtime) {
        *kind = CINTO_SETTINGS_NO_MEMORY;
        set_err(err, errlen, "out of memory");
        goto done;
    }
    *kind = CINTO_SETTINGS_SYNTAX;
    if (ini_parse(&f, text, len, err, errlen) < 0)
        goto done;
    if (load_app_main(s, &f, err, errlen) < 0)
        goto done;
    *kind = CINTO_SETTINGS_OK;
    rc = 0;
done:
    ini_free(&f);
    free(text);
    return rc;
}

/* Copies every KINTO_* variable once: reading them at startup keeps request
 * parameters out (fcgi_stdio swaps environ per request) and makes the
 * settings immutable. */
static int capture_env(cinto_settings *s)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "KINTO_", 6) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char *name = strndup(*e, (size_t)(eq - *e));
        if (!name)
            return -1;
        int rc = kvlist_find(&s->env, name) ? 0 : kvlist_add(&s->env, name, eq + 1);
        free(name);
        if (rc < 0)
            return -1;
    }
    return 0;
}

cinto_settings *cinto_settings_load_ex(const char *path, enum cinto_settings_error *kind, char *err,
                                       size_t errlen)
{
    enum cinto_settings_error dummy;
    if (!kind)
        kind = &dummy;
    *kind = CINTO_SETTINGS_NO_MEMORY;
    cinto_settings *s = calloc(1, sizeof *s);
    if (err && errlen)
        err[0] = '\0';
    if (!s || sodium_init() < 0) {
        set_err(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    if (capture_env(s) < 0) {
        set_err(err, errlen, "out of memory");
        goto err;
    }
    if (path && load_file(s, path, kind, err, errlen) < 0)
        goto err;
    *kind = CINTO_SETTINGS_OK;
    return s;
err:
    cinto_settings_free(s);
    return NULL;
}

cinto_settings *cinto_settings_load(const char *path, char *err, size_t errlen)
{
    enum cinto_settings_error kind;
    char why[512];
    cinto_settings *s = cinto_settings_load_ex(path, &kind, why, sizeof why);
    if (s)
        return s;
    if (kind == CINTO_SETTINGS_NOT_FOUND || kind == CINTO_SETTINGS_UNREADABLE)
        set_err(err, errlen, "cannot open %s: %s", path, why);
    else if (kind == CINTO_SETTINGS_SYNTAX)
        set_err(err, errlen, "%s: %s", path, why);
    else
        set_err(err, errlen, "%s", why);
    return NULL;
}

void cinto_settings_free(cinto_settings *s)
{
    if (!s)
        return;
    kvlist_free(&s->file);
    kvlist_free(&s->env);
    free(s->path);
    free(s->hash);
    free(s->mtime);
    free(s);
}

/* ---- lookups ----------------------------------------------------------- */

const char *cinto_settings_get(const cinto_settings *s, const char *key)
{
    if (!s || !key)
        return NULL;
    if (strncmp(key, "kinto.", 6) == 0)
        key += 6; /* callers may use either spelling */
    /* KINTO_<KEY>: upper case, '.' and '-' become '_'. */
    size_t n = strlen(key);
    char stackname[128];
    char *name = n + 7 <= sizeof stackname ? stackname : malloc(n + 7);
    const char *found = NULL;
    if (name) {
        memcpy(name, "KINTO_", 6);
        for (size_t i = 0; i <= n; i++) {
            char c = key[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            else if (c == '.' || c == '-')
                c = '_';
            name[6 + i] = c;
        }
        const kv *e = kvlist_find(&s->env, name);
        if (e)
            found = e->value;
        if (name != stackname)
            free(name);
    }
    if (!found) {
        const kv *f = kvlist_find(&s->file, key);
        if (f)
            found = f->value;
    }
    return found;
}

/* Parses a whole string as a boolean word; -1 when it is none. */
static int parse_bool(const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t n = strlen(v);
    char *buf = strndup(v, n);
    if (!buf)
        return -1;
    size_t len = n;
    char *t = strip(buf, &len);
    int r = -1;
    for (int i = 0; i < 4 && r < 0; i++) {
        if (strcasecmp(t, yes[i]) == 0)
            r = 1;
        else if (strcasecmp(t, no[i]) == 0)
            r = 0;
    }
    free(buf);
    return r;
}

int cinto_settings_bool(const cinto_settings *s, const char *key, int dflt)
{
    const char *v = cinto_settings_get(s, key);
    int b = v ? parse_bool(v) : -1;
    return b < 0 ? dflt : b;
}

long long cinto_settings_int(const cinto_settings *s, const char *key, long long dflt, int *ok)
{
    const char *v = cinto_settings_get(s, key);
    if (ok)
        *ok = 0;
    if (!v)
        return dflt;
    /* JSON integer text with surrounding whitespace: optional '-', no
     * '+', no leading zeros, no hex, within 64 bits. */
    const char *p = v;
    while (is_space(*p))
        p++;
    const char *digits = *p == '-' ? p + 1 : p;
    if (*digits < '0' || *digits > '9' ||
        (digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9'))
        return dflt;
    char *end;
    errno = 0;
    long long r = strtoll(p, &end, 10);
    if (errno == ERANGE)
        return dflt;
    while (is_space(*end))
        end++;
    if (*end)
        return dflt;
    if (ok)
        *ok = 1;
    return r;
}

size_t cinto_settings_list(const cinto_settings *s, const char *key, char ***out)
{
    const char *v = cinto_settings_get(s, key);
    size_t count = 0, cap = 4;
    char **vec = malloc(cap * sizeof *vec);
    *out = NULL;
    if (!vec)
        return 0;
    for (const char *p = v ? v : ""; *p;) {
        while (*p && is_space(*p))
            p++;
        size_t n = 0;
        while (p[n] && !is_space(p[n]))
            n++;
        if (!n)
            break;
        if (count + 1 >= cap) {
            char **nv = realloc(vec, cap * 2 * sizeof *vec);
            if (!nv)
                goto err;
            vec = nv;
            cap *= 2;
        }
        if (!(vec[count] = strndup(p, n)))
            goto err;
        count++;
        p += n;
    }
    vec[count] = NULL;
    *out = vec;
    return count;
err:
    vec[count] = NULL;
    cinto_strv_free(vec);
    return 0;
}

void cinto_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

const char *cinto_settings_path(const cinto_settings *s)
{
    return s ? s->path : NULL;
}

const char *cinto_settings_hash(const cinto_settings *s)
{
    return s ? s->hash : NULL;
}

const char *cinto_settings_mtime(const cinto_settings *s)
{
    return s ? s->mtime : NULL;
}

size_t cinto_settings_count(const cinto_settings *s)
{
    return s ? s->file.count : 0;
}

const char *cinto_settings_key_at(const cinto_settings *s, size_t i)
{
    return s && i < s->file.count ? s->file.items[i].key : NULL;
}

/* ---- redaction --------------------------------------------------------- */

/* Replaces each occurrence of secret in text by "***" (or by as many '*'
 * as the secret is long, when shorter: the text never grows). */
static void mask(char *text, const char *secret, size_t n)
{
    if (n == 0)
        return;
    for (char *p = strstr(text, secret); p; p = strstr(p, secret)) {
        size_t m = n < 3 ? n : 3;
        memset(p, '*', m);
        memmove(p + m, p + n, strlen(p + n) + 1);
        p += m;
    }
}

static int secret_key(const char *key)
{
    char low[256];
    snprintf(low, sizeof low, "%s", key);
    lower(low);
    return strstr(low, "secret") || strstr(low, "password");
}

/* The password part of a "scheme://user:password@host/..." URL, as
 * written and percent-decoded. */
static void mask_url_password(char *text, const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    p += 3;
    const char *at = strrchr(p, '@');
    const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    if (!colon)
        return;
    size_t n = (size_t)(at - colon - 1);
    char *raw = strndup(colon + 1, n);
    char *dec = malloc(n + 1);
    if (raw && dec) {
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            int hi, lo;
            if (raw[i] == '%' && i + 2 < n && (hi = cinto_hex_digit(raw[i + 1])) >= 0 &&
                (lo = cinto_hex_digit(raw[i + 2])) >= 0) {
                dec[j++] = (char)(hi * 16 + lo);
                i += 2;
            } else {
                dec[j++] = raw[i];
            }
        }
        dec[j] = '\0';
        mask(text, raw, n);
        mask(text, dec, j);
    }
    free(raw);
    free(dec);
}

void cinto_settings_redact(const cinto_settings *s, char *text)
{
    if (!s || !text)
        return;
    for (size_t i = 0; i < s->file.count; i++)
        if (secret_key(s->file.items[i].key))
            mask(text, s->file.items[i].value, strlen(s->file.items[i].value));
    for (size_t i = 0; i < s->env.count; i++)
        if (secret_key(s->env.items[i].key))
            mask(text, s->env.items[i].value, strlen(s->env.items[i].value));
    mask_url_password(text, cinto_settings_get(s, "storage_url"));
}
