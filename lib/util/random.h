/* Random identifiers from libsodium's CSPRNG (randombytes). */
#ifndef CINTO_UTIL_RANDOM_H
#define CINTO_UTIL_RANDOM_H

/* Kinto's default "RandomId" generator shape: 1 char [A-Za-z0-9] then 7 chars
 * [A-Za-z0-9_-], unbiased; out is NUL-terminated. */
void cinto_random_id(char out[9]);
/* Lowercase UUID4 with hyphens, NUL-terminated. */
void cinto_uuid4(char out[37]);

#endif
