/* A streaming multipart/form-data parser (RFC 7578 over RFC 2046 framing)
 * for uploads: the body is fed in pieces of any size, each part's headers
 * are parsed within fixed limits, and part data goes out through a
 * callback in pieces, so memory is O(limits), never O(body). Pure C: no
 * transport, no JSON, no storage, so unit tests and the fuzzer link it
 * alone. The attachment plugin decides what the parts mean. */
#ifndef CINTO_HTTP_MULTIPART_H
#define CINTO_HTTP_MULTIPART_H

#include <stddef.h>

/* What the parser accepts and hands out (tests/unit/test_multipart.c):
 * - Lines end with CRLF only (every uploading client sends CRLF); a bare
 *   LF in part headers is malformed, a delimiter after a bare LF is data.
 * - A preamble (at most max_part_header_bytes: a wrong boundary fails
 *   early), transport padding after delimiters, an epilogue (ignored).
 * - Part headers: names case-insensitive; folding, NUL and other control
 *   bytes (tab excepted) are refused as CINTO_MP_MALFORMED, never passed
 *   on; headers other than Content-Disposition and Content-Type are
 *   ignored; either of those twice is malformed.
 * - Content-Disposition must be form-data with a name. filename is the
 *   raw value: no path stripping ("../", "C:\\x"), no percent-decoding
 *   (browsers send '"' as %22); in a quoted string only \" and \\ are
 *   escapes (as upstream reads them). filename* (RFC 5987, UTF-8 or
 *   ISO-8859-1) wins over filename; another charset is ignored; a bad
 *   escape, invalid UTF-8 or %00 in it is malformed. An empty filename=""
 *   is "" (a file part), not NULL. name, filename and content_type are
 *   NUL-terminated UTF-8 (invalid bytes shown as U+FFFD), valid until
 *   part_end returns (or cinto_multipart_free).
 * - part_end comes only after the part's closing delimiter line was read
 *   whole; after an error (or a stop) no callback comes again and feed
 *   and finish keep returning that status.
 * - Data limits count the bytes given to part_data, which never exceed
 *   them (the part is refused before its excess is passed on); 0 means
 *   unlimited for max_field_bytes too. max_parts counts parts begun. */

typedef struct cinto_multipart cinto_multipart;

typedef struct cinto_multipart_limits {
    size_t max_part_header_bytes; /* all header lines of one part together (e.g. 8 KiB) */
    unsigned max_part_headers;    /* header lines per part (e.g. 16) */
    unsigned max_parts;           /* parts in the body (e.g. 8) */
    size_t max_field_bytes;       /* a part without filename (data, permissions) (e.g. 1 MiB) */
    unsigned long long max_file_bytes; /* a part with a filename; 0 = unlimited */
} cinto_multipart_limits;

typedef struct cinto_multipart_part {
    const char *name;         /* Content-Disposition name, never NULL */
    const char *filename;     /* raw filename= value (quotes removed, RFC 5987 filename* decoded to
                                 UTF-8), NULL if absent */
    const char *content_type; /* the part's Content-Type, NULL if absent */
} cinto_multipart_part;

typedef struct cinto_multipart_callbacks {
    void *ctx;
    /* each returns 0 to go on, non-zero to stop (feed then returns CINTO_MP_CALLBACK) */
    int (*part_begin)(void *ctx, const cinto_multipart_part *part);
    int (*part_data)(void *ctx, const char *buf, size_t n);
    int (*part_end)(void *ctx);
} cinto_multipart_callbacks;

enum cinto_multipart_status {
    CINTO_MP_OK = 0,
    CINTO_MP_BAD_CONTENT_TYPE, /* not multipart/form-data, or no/invalid boundary */
    CINTO_MP_MALFORMED,        /* framing or part header syntax */
    CINTO_MP_HEADER_TOO_LARGE,
    CINTO_MP_TOO_MANY_HEADERS,
    CINTO_MP_TOO_MANY_PARTS,
    CINTO_MP_FIELD_TOO_LARGE,
    CINTO_MP_FILE_TOO_LARGE,
    CINTO_MP_TRUNCATED, /* input ended before the closing boundary */
    CINTO_MP_CALLBACK,  /* a callback asked to stop */
    CINTO_MP_NOMEM,
};

/* Boundary from a Content-Type header value; 0 and out filled, or CINTO_MP_BAD_CONTENT_TYPE. */
int cinto_multipart_boundary(const char *content_type, char *out, size_t outsz);
cinto_multipart *cinto_multipart_new(const char *boundary, const cinto_multipart_limits *limits,
                                     const cinto_multipart_callbacks *cb);
int cinto_multipart_feed(cinto_multipart *mp, const char *buf, size_t n); /* a status */
/* CINTO_MP_TRUNCATED unless the close delimiter was seen */
int cinto_multipart_finish(cinto_multipart *mp);
const char *cinto_multipart_message(int status); /* English text for the 400 message */
/* After an error: a more precise English sentence than the status's
 * message ("a part has no Content-Disposition header"), naming no byte of
 * the input; NULL while there is no error. */
const char *cinto_multipart_error(const cinto_multipart *mp);
void cinto_multipart_free(cinto_multipart *mp);

#endif
