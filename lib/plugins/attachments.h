/* The attachment plugin (kinto_attachment, spec 07): the pure parts that
 * decide names, extensions and mimetypes (attachments_names.c, unit
 * tested without a server), shared with the plugin itself
 * (attachments.c). */
#ifndef CINTO_PLUGINS_ATTACHMENTS_H
#define CINTO_PLUGINS_ATTACHMENTS_H

#include <stddef.h>

/* Sizes of the names handled: a stored relative path is at most
 * CINTO_ATT_PATH_MAX - 1 bytes (the bookkeeping column holds 1536). */
#define CINTO_ATT_NAME_MAX 256
#define CINTO_ATT_PATH_MAX 1024

/* The allowed extensions of kinto.attachment.extensions: "+"-joined
 * groups (documents, text, images, audio, video, data, scripts, archives,
 * executables, default, any) and/or space-separated extensions. */
typedef struct cinto_att_exts {
    int any;      /* "any" alone (or an empty set): everything */
    char **items; /* lowercase, without the dot, NULL-terminated */
    size_t count;
} cinto_att_exts;

/* 0, or -1 when memory ran out. */
int cinto_att_exts_parse(const char *spec, cinto_att_exts *out);
void cinto_att_exts_free(cinto_att_exts *e);
/* ext: lowercase, without the dot ("" for none). */
int cinto_att_exts_allows(const cinto_att_exts *e, const char *ext);
/* One allowed extension for the heartbeat's test file ("json" when any). */
const char *cinto_att_exts_sample(const cinto_att_exts *e);

/* The last path component of a client's file name, '/' and '\\' both
 * separating (a Windows path as old browsers send it). */
const char *cinto_att_basename(const char *filename);
/* The extension of a base name as Python's os.path.splitext finds it
 * (after the last dot, not counting leading dots), lowercased and kept to
 * [a-z0-9_-] (at most outlen - 1 bytes); "" when none. */
void cinto_att_extension(const char *base, char *out, size_t outlen);
/* Upstream's secure_filename: NFKD to ASCII (Latin letters with their
 * accents lose them, other characters go), separators and whitespace runs
 * become '_', anything outside [A-Za-z0-9_.-] goes, and leading or
 * trailing '.' and '_' are stripped. May be "". */
void cinto_att_secure_filename(const char *base, char *out, size_t outlen);

/* Fills a pattern's placeholders ({name}) from names/values (n pairs);
 * -1 when the pattern names another placeholder or is malformed, or the
 * result does not fit. */
int cinto_att_format(const char *pattern, const char *const *names, const char *const *values,
                     size_t n, char *out, size_t outlen);
/* A folder pattern's result as a relative path: segments joined by '/',
 * empty ones dropped; -1 when a segment is "." or "..". */
int cinto_att_clean_folder(const char *in, char *out, size_t outlen);

/* The mimetype of a stored file: the override of its extension (
 * kinto.attachment.mimetypes, ".ext:type;.ext2:type2", exact extension
 * as written in the name), the built-in ones (.pem, .geojson), else the
 * client's Content-Type (its media type), else a guess from the
 * extension, else application/octet-stream. out gets at most outlen - 1
 * bytes. */
void cinto_att_mimetype(const char *overrides, const char *base, const char *client_type, char *out,
                        size_t outlen);

#endif
