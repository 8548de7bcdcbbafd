/* Pure parsers for HTTP request header values and query strings: untrusted
 * input is validated here, in one place, into typed values. */
#ifndef CINTO_HTTP_PARSE_H
#define CINTO_HTTP_PARSE_H

#include <stddef.h>

/* If-Match / If-None-Match: '*' or a double-quoted non-negative decimal
 * integer that fits int64 (e.g. "\"123\""); surrounding whitespace allowed.
 * Returns 0 and sets *star (1 for '*', else 0) or *ts; -1 invalid (unquoted,
 * W/, lists, "**", 8000 digits, negative, empty). */
int cinto_parse_precondition(const char *value, int *star, long long *ts);

/* Media type of a Content-Type value, lowercased, without parameters,
 * trimmed, into out (NUL-terminated, truncated safely). Returns 0, -1 if
 * malformed (no '/', empty type or subtype, characters outside RFC 9110
 * tokens, junk before ';'): callers should answer 415 then, not treat it
 * as "no Content-Type". */
int cinto_media_type(const char *content_type, char *out, size_t outlen);

/* 1 if an Accept header value accepts application/json: any range among
 * * / *, application/ *, application/json with q > 0 (q=0 excludes;
 * parameters tolerated; malformed q treated as 1). NULL or empty -> 1.
 * The most specific matching range decides (RFC 9110 §12.5.1), so
 * "application/json;q=0, * / *" refuses. A malformed range makes the whole
 * header count as absent (-> 1), as WebOb does. */
int cinto_accept_json(const char *accept);

/* IMF-fixdate, e.g. "Tue, 14 Nov 2023 22:13:20 GMT" for epoch seconds. */
void cinto_http_date(long long epoch_seconds, char out[32]);

/* Query string: split on '&', name=value, percent-decode both ('+' is a
 * space), trim whitespace around names; keep order; empty pieces skipped; a
 * name without '=' has value "". Decoded names and values must be valid
 * UTF-8, else -1 with err "A request with an incorrect encoding in the
 * querystring was received. Please make sure your requests are encoded in
 * UTF-8: <detail>". Values may contain NUL after decoding (%00): use the
 * lengths. name and value are malloc'd and NUL-terminated. */
typedef struct cinto_query_param {
    char *name;
    char *value;
    size_t name_len, value_len;
} cinto_query_param;

typedef struct cinto_query {
    cinto_query_param *items;
    size_t count;
} cinto_query;

/* A malformed escape ("100%", "%zz") is kept literally, as Python's
 * unquote does (never an error). The <detail> of the error is the raw query
 * string, bytes >= 0x80 read as Latin-1 (as WSGI shows it). qs may be NULL
 * or "" (zero params). Returns 0, -1 on bad UTF-8, -2 when memory ran out
 * (err "Out of memory"). out is always initialised: free it with
 * cinto_query_free whatever the result. */
int cinto_query_parse(const char *qs, cinto_query *out, char *err, size_t errlen);
/* Last occurrence of name (NULL when absent). */
const cinto_query_param *cinto_query_last(const cinto_query *q, const char *name);
void cinto_query_free(cinto_query *q);

#endif
