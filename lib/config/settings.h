/* Settings: the [app:main] section of an ini file overlaid by KINTO_*
 * environment variables (spec 08 §8.14-8.15). Immutable once loaded. */
#ifndef CINTO_CONFIG_SETTINGS_H
#define CINTO_CONFIG_SETTINGS_H

#include <stddef.h>

typedef struct cinto_settings cinto_settings;

/* Load an ini file (path may be NULL = no file: defaults + environment
 * only). Reads the [app:main] section only; "key = value" (or "key: value")
 * with continuation lines (indented lines continue the previous value, as
 * Python's configparser; joined by '\n'); comments '#' and ';' at line start
 * (indented too); option names are lowercased (configparser's optionxform);
 * a leading "kinto." is stripped from keys (both "kinto.x" and "x" with
 * different values -> error); other keys are kept as is. Values get
 * PasteDeploy interpolation: "%%" -> "%", "%(here)s" (absolute directory of
 * the file), "%(__file__)s", "%(name)s" (another option of [app:main] or
 * [DEFAULT]); a lone '%' is kept literally. [DEFAULT] options are not
 * settings. Records the path (as given), the SHA-256 hex of the file and its
 * mtime as local ISO-8601 "YYYY-MM-DDTHH:MM:SS.ffffff".
 * The KINTO_* variables of the process environment are captured here, once:
 * call this before any FastCGI accept loop (fcgi_stdio swaps environ per
 * request) and setenv() afterwards has no effect on this object.
 * Returns NULL with err on I/O or syntax error. */
cinto_settings *cinto_settings_load(const char *path, char *err, size_t errlen);
void cinto_settings_free(cinto_settings *s);

/* Why a load failed. */
enum cinto_settings_error {
    CINTO_SETTINGS_OK,
    CINTO_SETTINGS_NOT_FOUND,  /* no such file */
    CINTO_SETTINGS_UNREADABLE, /* exists but cannot be read (permissions, a folder) */
    CINTO_SETTINGS_SYNTAX,     /* not an ini file we can read */
    CINTO_SETTINGS_NO_MEMORY,
};

/* As cinto_settings_load, but *kind says why it failed and err does not
 * repeat the path: the strerror text, or "line N: what is wrong" (never
 * the text of the line, which may hold a password). */
cinto_settings *cinto_settings_load_ex(const char *path, enum cinto_settings_error *kind, char *err,
                                       size_t errlen);

/* Masks every secret of s found in text (NUL-terminated, changed in
 * place, never longer): values of keys whose name contains "secret" or
 * "password", and the password of kinto.storage_url (as written and
 * percent-decoded). For messages that quote settings or come from code
 * that might (the storage layer quotes its URL). */
void cinto_settings_redact(const cinto_settings *s, char *text);

/* Lookup by normalized key ("paginate_by", "multiauth.policies"; a leading
 * "kinto." is also accepted and stripped): the environment variable
 * KINTO_<KEY> (upper-cased, '.' and '-' -> '_') wins over the file, even
 * when empty. NULL when unset. The returned string stays valid until
 * cinto_settings_free. */
const char *cinto_settings_get(const cinto_settings *s, const char *key);

/* Booleans accept true/false yes/no on/off 1/0 case-insensitively; ints are
 * decimal JSON integers (optional '-', no '+', no leading zeros, 64-bit);
 * surrounding whitespace allowed; absent or unparsable -> dflt (and *ok=0
 * if ok given, else *ok=1). */
int cinto_settings_bool(const cinto_settings *s, const char *key, int dflt);
long long cinto_settings_int(const cinto_settings *s, const char *key, long long dflt, int *ok);

/* Whitespace/newline-separated list (commas are NOT separators). Returns the
 * count and a malloc'd NULL-terminated array of malloc'd strings in *out
 * (free with cinto_strv_free); *out is NULL only when memory ran out. */
size_t cinto_settings_list(const cinto_settings *s, const char *key, char ***out);
void cinto_strv_free(char **v);

const char *cinto_settings_path(const cinto_settings *s);  /* NULL when no file */
const char *cinto_settings_hash(const cinto_settings *s);  /* sha256 hex or NULL */
const char *cinto_settings_mtime(const cinto_settings *s); /* ISO text or NULL */

/* Iterate over the file's keys (normalized, file order), for prefix scans.
 * Keys given only through the environment are not listed (an env name
 * cannot be mapped back to a dotted key). */
size_t cinto_settings_count(const cinto_settings *s);
const char *cinto_settings_key_at(const cinto_settings *s, size_t i);

#endif
