/* MariaDB client authentication plugins built into cinto.
 *
 * Hosting control panels create database users with mysql_native_password
 * (built into libmariadb), ed25519 (MariaDB) or caching_sha2_password
 * (MySQL 8). libmariadb loads the last two as .so files from its plugin
 * folder, which a static binary cannot do (and a shared host may not have),
 * so cinto carries its own: ed25519 through libsodium, caching_sha2_password
 * through libcrypto. They are registered in every build, so the code the
 * static upload runs is the code the tests run. */
#ifndef CINTO_STORAGE_AUTH_PLUGINS_H
#define CINTO_STORAGE_AUTH_PLUGINS_H

#include <stddef.h>

#include <mysql.h>
#include <mysql/plugin_auth.h>

/* mysql_init(NULL), with cinto's plugins registered (once per process) and,
 * in the static build, the host's NSS modules and libmariadb's plugin
 * folder kept out of the process. Returns NULL when out of memory. */
MYSQL *cinto_mysql_init(void);

/* ---- the pieces, exposed for the unit tests ---- */

/* MariaDB's ed25519: the 64-byte expanded secret key is SHA-512 of the
 * whole password (not of a 32-byte seed as in RFC 8032). The public key is
 * what the server stores (base64, 43 characters). Return 0, or -1 on a
 * degenerate scalar (probability 2^-252). */
int cinto_ed25519_public_key(unsigned char pk[32], const char *pw, size_t pwlen);
int cinto_ed25519_sign(unsigned char sig[64], const unsigned char *msg, size_t msglen,
                       const char *pw, size_t pwlen);

/* caching_sha2_password's fast-auth answer:
 * SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce). */
void cinto_sha2_scramble(unsigned char out[32], const char *pw, size_t pwlen,
                         const unsigned char nonce[20]);

/* The client side of each exchange on a plugin vio. secure: the channel is
 * a unix socket or TLS, where caching_sha2's full authentication may send
 * the password in clear. Return CR_OK or an error (CR_ERROR,
 * CR_SERVER_HANDSHAKE_ERR...). */
int cinto_ed25519_exchange(MYSQL_PLUGIN_VIO *vio, const char *pw);
int cinto_sha2_exchange(MYSQL_PLUGIN_VIO *vio, const char *pw, int secure);

#endif
