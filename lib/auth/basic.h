/* HTTP Basic authentication: header parsing and Kinto's "basicauth" user id
 * (spec 04 §4.11). */
#ifndef CINTO_AUTH_BASIC_H
#define CINTO_AUTH_BASIC_H

/* "Basic <b64>" (scheme case-insensitive, any amount of spaces after it).
 * Decodes, requires a ':' (split at the first one); username and password
 * must be valid UTF-8, else they are decoded as Latin-1 into UTF-8.
 * Returns 0 with *user and *pass malloc'd, -1 if not a usable Basic header
 * (other scheme, bad base64, no ':', a NUL byte in the credentials). */
int cinto_basic_parse(const char *header, char **user, char **pass);

/* basicauth user id: lowercase hex HMAC-SHA256(key=secret,
 * msg=user ":" pass). out: 64 hex + NUL. */
void cinto_basicauth_userid(const char *secret, const char *user, const char *pass, char out[65]);

#endif
