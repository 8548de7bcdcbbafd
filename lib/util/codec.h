/* Byte-level codecs used while parsing untrusted request input: base64 (Basic
 * auth), hex (digests), percent-encoding (query strings) and UTF-8 checks.
 * Functions returning int give 0 on success and -1 on invalid input or
 * memory exhaustion; on -1 the output buffer content is unspecified. */
#ifndef CINTO_UTIL_CODEC_H
#define CINTO_UTIL_CODEC_H

#include <stddef.h>

#include "util/buf.h"

/* Standard alphabet, padded; appends to out. */
int cinto_b64_encode(const void *data, size_t len, cinto_buf *out);
/* Standard alphabet; padding optional; whitespace NOT allowed; -1 on any
 * invalid char/length. out gets the bytes (appended) + NUL. */
int cinto_b64_decode(const char *s, size_t len, cinto_buf *out);
/* Lowercase hex of in[0..len) into out (2*len + 1 bytes), NUL-terminated. */
/* Value of one hexadecimal digit, -1 for anything else. */
int cinto_hex_digit(int c);
void cinto_hex(const unsigned char *in, size_t len, char *out);
/* Percent-decoding (appends); '+' becomes a space when plus_is_space.
 * -1 on a malformed %xx escape. */
int cinto_url_decode(const char *s, size_t len, int plus_is_space, cinto_buf *out);
/* For query components: keep A-Za-z0-9-._~, encode the rest as %XX. */
int cinto_url_encode(const char *s, size_t len, cinto_buf *out);
/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates,
 * <= U+10FFFF), 0 otherwise. */
int cinto_utf8_valid(const char *s, size_t len);
/* Reads s[0..len) as ISO-8859-1 and appends it as UTF-8 (every byte is a
 * valid Latin-1 character, so this only fails when memory runs out). */
int cinto_latin1_to_utf8(const char *s, size_t len, cinto_buf *out);

#endif
