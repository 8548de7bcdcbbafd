/* Random identifiers. libsodium's randombytes is a CSPRNG that is safe to use
 * after fork (FastCGI workers), unlike rand(). */
#include "util/random.h"

#include <sodium.h>
#include <stdlib.h>

static const char id_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void cinto_random_id(char out[9])
{
    /* The first character must not be '-' or '_' (id pattern of spec 01
     * §1.2): draw it uniformly among the 62 alphanumerics; the rest take 6
     * random bits each, an exact index into the 64-character alphabet. */
    unsigned char rnd[7];
    if (sodium_init() < 0)
        abort(); /* no CSPRNG: never hand out guessable ids */
    out[0] = id_alphabet[randombytes_uniform(62)];
    randombytes_buf(rnd, sizeof rnd);
    for (int i = 0; i < 7; i++)
        out[i + 1] = id_alphabet[rnd[i] & 63];
    out[8] = '\0';
    sodium_memzero(rnd, sizeof rnd);
}

void cinto_uuid4(char out[37])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[16];
    if (sodium_init() < 0)
        abort();
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = digits[b[i] >> 4];
        *p++ = digits[b[i] & 15];
    }
    *p = '\0';
}
