/* MariaDB client authentication plugins built into cinto (see auth_plugins.h),
 * and the process set-up a static binary needs before libmariadb starts. */
#include "storage/auth_plugins.h"
#include "util/log.h"

#include <assert.h>
#include <errmsg.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#ifdef CINTO_STATIC_BINARY
#include <nss.h>
#endif

/* The descriptor of an authentication plugin. Debian's
 * <mysql/client_plugin.h> includes a header the package does not ship
 * (ma_compress.h), so it is declared here from the common part that
 * <mysql.h> defines; the layout is libmariadb's plugin ABI (type 2,
 * interface 1.0), the same that its .so plugins export. */
#define AUTH_PLUGIN_TYPE 2
#define AUTH_PLUGIN_INTERFACE_VERSION 0x0100
struct auth_plugin {
    MYSQL_CLIENT_PLUGIN_HEADER
    int (*authenticate_user)(MYSQL_PLUGIN_VIO *vio, MYSQL *mysql);
};

#define ED25519_NONCE_LEN 32
#define SHA2_NONCE_LEN 20

/* caching_sha2_password's one-byte messages (MySQL's protocol). */
enum {
    SHA2_REQUEST_PUBLIC_KEY = 2,
    SHA2_FAST_AUTH_SUCCESS = 3,
    SHA2_PERFORM_FULL_AUTH = 4,
};

/* ---- ed25519 (MariaDB's auth_ed25519) ---------------------------------- */

/* The secret scalar and the nonce prefix from the password: SHA-512 of the
 * whole password, the low half clamped as in Ed25519. The scalar is then
 * reduced mod L so that libsodium's scalar arithmetic gets canonical input
 * (the point a*B is the same: B has order L). */
static void ed25519_expand(unsigned char a[32], unsigned char prefix[32], const char *pw,
                           size_t pwlen)
{
    unsigned char az[64], wide[64] = {0};
    crypto_hash_sha512(az, (const unsigned char *)pw, pwlen);
    az[0] &= 248;
    az[31] &= 63;
    az[31] |= 64;
    memcpy(wide, az, 32);
    crypto_core_ed25519_scalar_reduce(a, wide);
    memcpy(prefix, az + 32, 32);
    sodium_memzero(az, sizeof az);
    sodium_memzero(wide, sizeof wide);
}

int cinto_ed25519_public_key(unsigned char pk[32], const char *pw, size_t pwlen)
{
    unsigned char a[32], prefix[32];
    ed25519_expand(a, prefix, pw, pwlen);
    int rc = crypto_scalarmult_ed25519_base_noclamp(pk, a) == 0 ? 0 : -1;
    sodium_memzero(a, sizeof a);
    sodium_memzero(prefix, sizeof prefix);
    return rc;
}

/* An Ed25519 signature (R || S) with the expanded key above:
 *   r = H(prefix || m) mod L, R = rB, A = aB, S = r + H(R || A || m) a mod L.
 * It verifies with any standard Ed25519 verifier against A. */
int cinto_ed25519_sign(unsigned char sig[64], const unsigned char *msg, size_t msglen,
                       const char *pw, size_t pwlen)
{
    unsigned char a[32], prefix[32], pk[32], h[64], r[32], k[32], ka[32];
    crypto_hash_sha512_state st;
    int rc = -1;

    ed25519_expand(a, prefix, pw, pwlen);
    if (crypto_scalarmult_ed25519_base_noclamp(pk, a) != 0)
        goto out;

    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, prefix, sizeof prefix);
    crypto_hash_sha512_update(&st, msg, msglen);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(r, h);
    if (crypto_scalarmult_ed25519_base_noclamp(sig, r) != 0) /* R */
        goto out;

    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, sig, 32);
    crypto_hash_sha512_update(&st, pk, sizeof pk);
    crypto_hash_sha512_update(&st, msg, msglen);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(k, h);
    crypto_core_ed25519_scalar_mul(ka, k, a);
    crypto_core_ed25519_scalar_add(sig + 32, ka, r); /* S */
    rc = 0;
out:
    sodium_memzero(a, sizeof a);
    sodium_memzero(prefix, sizeof prefix);
    sodium_memzero(r, sizeof r);
    sodium_memzero(h, sizeof h);
    sodium_memzero(ka, sizeof ka);
    sodium_memzero(&st, sizeof st);
    return rc;
}

/* The server sends a 32-byte nonce and expects its signature back. */
int cinto_ed25519_exchange(MYSQL_PLUGIN_VIO *vio, const char *pw)
{
    unsigned char *pkt, sig[64];
    int n = vio->read_packet(vio, &pkt);
    if (n < 0)
        return CR_ERROR;
    if (n != ED25519_NONCE_LEN)
        return CR_SERVER_HANDSHAKE_ERR;
    if (!pw)
        pw = "";
    if (cinto_ed25519_sign(sig, pkt, ED25519_NONCE_LEN, pw, strlen(pw)) != 0)
        return CR_ERROR;
    return vio->write_packet(vio, sig, sizeof sig) ? CR_ERROR : CR_OK;
}

static int ed25519_authenticate(MYSQL_PLUGIN_VIO *vio, MYSQL *mysql)
{
    return cinto_ed25519_exchange(vio, mysql->passwd);
}

/* ---- caching_sha2_password (MySQL 8) ---------------------------------- */

void cinto_sha2_scramble(unsigned char out[32], const char *pw, size_t pwlen,
                         const unsigned char nonce[20])
{
    unsigned char h1[32], h2[32], h3[32];
    crypto_hash_sha256_state c;
    crypto_hash_sha256(h1, (const unsigned char *)pw, pwlen);
    crypto_hash_sha256(h2, h1, sizeof h1);
    crypto_hash_sha256_init(&c);
    crypto_hash_sha256_update(&c, h2, sizeof h2);
    crypto_hash_sha256_update(&c, nonce, SHA2_NONCE_LEN);
    crypto_hash_sha256_final(&c, h3);
    for (int i = 0; i < 32; i++)
        out[i] = h1[i] ^ h3[i];
    sodium_memzero(h1, sizeof h1);
    sodium_memzero(h2, sizeof h2);
    sodium_memzero(&c, sizeof c);
}

/* RSA-OAEP (SHA-1, as the server decrypts) of (password NUL) XOR nonce with
 * the server's PEM public key; *out is malloc'ed. Returns the length, or -1
 * (bad key, password too long for the key). */
static int sha2_rsa_encrypt(const unsigned char *pem, size_t pemlen, const char *pw,
                            const unsigned char nonce[20], unsigned char **out)
{
    size_t pwlen = strlen(pw) + 1, outlen = 0;
    unsigned char *plain = malloc(pwlen);
    BIO *bio = BIO_new_mem_buf(pem, (int)pemlen);
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -1;

    *out = NULL;
    if (!plain || !bio)
        goto out;
    for (size_t i = 0; i < pwlen; i++)
        plain[i] = (unsigned char)pw[i] ^ nonce[i % SHA2_NONCE_LEN];
    key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (!key || !(ctx = EVP_PKEY_CTX_new(key, NULL)))
        goto out;
    if (EVP_PKEY_encrypt_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_encrypt(ctx, NULL, &outlen, plain, pwlen) <= 0 || !(*out = malloc(outlen)))
        goto out;
    if (EVP_PKEY_encrypt(ctx, *out, &outlen, plain, pwlen) <= 0) {
        free(*out);
        *out = NULL;
        goto out;
    }
    rc = (int)outlen;
out:
    if (plain)
        OPENSSL_cleanse(plain, pwlen);
    free(plain);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    return rc;
}

/* Full authentication without a secure channel: ask for the server's RSA
 * key and send the password encrypted with it. The key is not verified (no
 * key file is configured), so a TLS connection or a unix socket is the
 * safer set-up; the README says so. */
static int sha2_full_auth_rsa(MYSQL_PLUGIN_VIO *vio, const char *pw, const unsigned char nonce[20])
{
    static const unsigned char req = SHA2_REQUEST_PUBLIC_KEY;
    unsigned char *pkt, *enc;
    if (vio->write_packet(vio, &req, 1))
        return CR_ERROR;
    int n = vio->read_packet(vio, &pkt);
    if (n <= 0)
        return CR_ERROR;
    int len = sha2_rsa_encrypt(pkt, (size_t)n, pw, nonce, &enc);
    if (len < 0)
        return CR_AUTH_PLUGIN_ERR;
    int rc = vio->write_packet(vio, enc, len) ? CR_ERROR : CR_OK;
    free(enc);
    return rc;
}

/* The server's nonce (20 bytes, often followed by a NUL), our scramble,
 * then either "fast auth success" (the server had the password cached) or
 * "perform full authentication": the password itself, in clear on a secure
 * channel, else RSA-encrypted. */
int cinto_sha2_exchange(MYSQL_PLUGIN_VIO *vio, const char *pw, int secure)
{
    unsigned char *pkt, nonce[SHA2_NONCE_LEN], scramble[32];
    int n = vio->read_packet(vio, &pkt);
    if (n < 0)
        return CR_ERROR;
    if (n < SHA2_NONCE_LEN)
        return CR_SERVER_HANDSHAKE_ERR;
    memcpy(nonce, pkt, sizeof nonce);
    if (!pw || !*pw) {
        /* an empty password is one NUL byte; the server answers OK or error */
        static const unsigned char nul = 0;
        return vio->write_packet(vio, &nul, 1) ? CR_ERROR : CR_OK;
    }
    cinto_sha2_scramble(scramble, pw, strlen(pw), nonce);
    int werr = vio->write_packet(vio, scramble, sizeof scramble);
    OPENSSL_cleanse(scramble, sizeof scramble);
    if (werr)
        return CR_ERROR;
    n = vio->read_packet(vio, &pkt);
    if (n < 0)
        return CR_ERROR;
    if (n != 1)
        return CR_SERVER_HANDSHAKE_ERR;
    if (pkt[0] == SHA2_FAST_AUTH_SUCCESS)
        return CR_OK;
    if (pkt[0] != SHA2_PERFORM_FULL_AUTH)
        return CR_SERVER_HANDSHAKE_ERR;
    if (secure)
        return vio->write_packet(vio, (const unsigned char *)pw, (int)strlen(pw) + 1) ? CR_ERROR
                                                                                      : CR_OK;
    return sha2_full_auth_rsa(vio, pw, nonce);
}

/* A unix socket (or Windows' local transports) or TLS may carry the
 * password in clear, as the server itself accepts. */
static int channel_is_secure(MYSQL_PLUGIN_VIO *vio, MYSQL *mysql)
{
    MYSQL_PLUGIN_VIO_INFO info;
    vio->info(vio, &info);
    if (info.protocol == MYSQL_VIO_SOCKET || info.protocol == MYSQL_VIO_PIPE ||
        info.protocol == MYSQL_VIO_MEMORY)
        return 1;
    return mysql_get_ssl_cipher(mysql) != NULL;
}

static int sha2_authenticate(MYSQL_PLUGIN_VIO *vio, MYSQL *mysql)
{
    return cinto_sha2_exchange(vio, mysql->passwd, channel_is_secure(vio, mysql));
}

/* ---- registration ----------------------------------------------------- */

static struct auth_plugin ed25519_plugin = {
    .type = AUTH_PLUGIN_TYPE,
    .interface_version = AUTH_PLUGIN_INTERFACE_VERSION,
    .name = "client_ed25519",
    .author = "cinto",
    .desc = "MariaDB ed25519 authentication (libsodium, built into cinto)",
    .version = {1, 0, 0},
    .license = "GPL",
    .authenticate_user = ed25519_authenticate,
};

static struct auth_plugin sha2_plugin = {
    .type = AUTH_PLUGIN_TYPE,
    .interface_version = AUTH_PLUGIN_INTERFACE_VERSION,
    .name = "caching_sha2_password",
    .author = "cinto",
    .desc = "MySQL 8 caching_sha2_password authentication (libcrypto, built into cinto)",
    .version = {1, 0, 0},
    .license = "GPL",
    .authenticate_user = sha2_authenticate,
};

/* Before libmariadb's first start (mysql_init), in the static binary only:
 * - NSS: glibc's static libc has the "files" and "dns" modules built in but
 *   would dlopen any other module /etc/nsswitch.conf names (Debian's
 *   "services: db files" makes libmariadb's getservbyname("mysql") try
 *   libnss_db.so.2; a host's libnss_sss, _systemd or _mdns4 are built for
 *   its own glibc). Pinning the databases cinto uses to the built-in
 *   modules keeps every host library out of the process.
 * - OpenSSL: libmariadb loads the OpenSSL configuration at start; the
 *   host's openssl.cnf belongs to its own OpenSSL and may name provider
 *   modules to dlopen. cinto configures no TLS, so it reads none. */
static void static_process_setup(void)
{
#ifdef CINTO_STATIC_BINARY
    __nss_configure_lookup("hosts", "files dns");
    __nss_configure_lookup("services", "files");
    __nss_configure_lookup("passwd", "files");
    __nss_configure_lookup("group", "files");
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
#endif
}

MYSQL *cinto_mysql_init(void)
{
    static int registered;
    if (!registered)
        static_process_setup();
    MYSQL *m = mysql_init(NULL);
    if (!m)
        return NULL;
    /* mysql_client_register_plugin needs the library started (mysql_init
     * did) and a MYSQL for its error; a second registration of a name
     * fails, hence once per process. */
    if (!registered) {
        registered = 1;
        if (sodium_init() < 0 ||
            !mysql_client_register_plugin(m, (struct st_mysql_client_plugin *)&ed25519_plugin) ||
            !mysql_client_register_plugin(m, (struct st_mysql_client_plugin *)&sha2_plugin))
            cinto_log("MariaDB client: cannot register the built-in ed25519 and "
                      "caching_sha2_password methods (%s); users with those methods cannot log in",
                      mysql_error(m));
    }
#ifdef CINTO_STATIC_BINARY
    /* A server asking for another method (dialog/PAM, gssapi...) makes
     * libmariadb dlopen it from its plugin folder; a static binary must not
     * load a host's .so. /dev/null/ cannot hold a file, so that attempt fails
     * with "cannot be loaded" and the connection error names the method. */
    mysql_options(m, MYSQL_PLUGIN_DIR, "/dev/null/cinto-static-binary-loads-no-plugins");
#endif
    return m;
}
