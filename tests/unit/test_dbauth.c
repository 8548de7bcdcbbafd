/* The MariaDB client authentication plugins built into cinto
 * (lib/storage/auth_plugins.c): ed25519 against keys MariaDB computed, and
 * the caching_sha2_password exchange against a scripted server (mock vio). */
#include <criterion/criterion.h>
#include <string.h>

#include <errmsg.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "storage/auth_plugins.h"

/* ---- a scripted plugin vio ---- */

#define MAX_PKTS 4

struct mock_vio {
    MYSQL_PLUGIN_VIO vio; /* first: the plugin sees only this */
    const unsigned char *in[MAX_PKTS];
    int in_len[MAX_PKTS];
    int n_in, next_in;
    unsigned char out[MAX_PKTS][512];
    int out_len[MAX_PKTS];
    int n_out;
};

static int mock_read(MYSQL_PLUGIN_VIO *v, unsigned char **buf)
{
    struct mock_vio *m = (struct mock_vio *)v;
    if (m->next_in >= m->n_in)
        return -1;
    *buf = (unsigned char *)m->in[m->next_in];
    return m->in_len[m->next_in++];
}

static int mock_write(MYSQL_PLUGIN_VIO *v, const unsigned char *pkt, int len)
{
    struct mock_vio *m = (struct mock_vio *)v;
    cr_assert_lt(m->n_out, MAX_PKTS);
    cr_assert_leq(len, 512);
    memcpy(m->out[m->n_out], pkt, (size_t)len);
    m->out_len[m->n_out++] = len;
    return 0;
}

static void mock_init(struct mock_vio *m)
{
    memset(m, 0, sizeof *m);
    m->vio.read_packet = mock_read;
    m->vio.write_packet = mock_write;
}

static void mock_push(struct mock_vio *m, const void *pkt, int len)
{
    cr_assert_lt(m->n_in, MAX_PKTS);
    m->in[m->n_in] = pkt;
    m->in_len[m->n_in++] = len;
}

/* The server's nonce in the auth-switch packet: 20 bytes and a NUL. */
static const unsigned char NONCE[21] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 0};

static void hex(char *out, const unsigned char *b, size_t n)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* ---- caching_sha2_password ---- */

/* Computed independently with Python:
 *   import hashlib
 *   pw = b'secret'; nonce = bytes(range(1, 21))
 *   h1 = hashlib.sha256(pw).digest(); h2 = hashlib.sha256(h1).digest()
 *   h3 = hashlib.sha256(h2 + nonce).digest()
 *   bytes(a ^ b for a, b in zip(h1, h3)).hex() */
#define SECRET_SCRAMBLE "746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9"

Test(sha2, scramble_vector)
{
    unsigned char s[32];
    char h[65];
    cinto_sha2_scramble(s, "secret", 6, NONCE);
    hex(h, s, sizeof s);
    cr_assert_str_eq(h, SECRET_SCRAMBLE);
}

Test(sha2, fast_auth)
{
    struct mock_vio m;
    static const unsigned char ok = 3;
    char h[65];
    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, &ok, 1);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_OK);
    cr_assert_eq(m.n_out, 1);
    cr_assert_eq(m.out_len[0], 32);
    hex(h, m.out[0], 32);
    cr_assert_str_eq(h, SECRET_SCRAMBLE);
}

Test(sha2, full_auth_secure_channel_sends_the_password)
{
    struct mock_vio m;
    static const unsigned char full = 4;
    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, &full, 1);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 1), CR_OK);
    cr_assert_eq(m.n_out, 2);
    cr_assert_eq(m.out_len[1], 7);
    cr_assert_eq(memcmp(m.out[1], "secret", 7), 0); /* with its NUL */
}

/* Without TLS or a unix socket: request the key (one byte 2), then send
 * RSA-OAEP(password NUL XOR nonce); the test decrypts it as the server would. */
Test(sha2, full_auth_rsa)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    cr_assert_not_null(key);
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PUBKEY(bio, key));
    char *pem;
    long pemlen = BIO_get_mem_data(bio, &pem);

    struct mock_vio m;
    static const unsigned char full = 4;
    const char *pw = "a password longer than the twenty-byte nonce";
    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, &full, 1);
    mock_push(&m, pem, (int)pemlen);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, pw, 0), CR_OK);
    cr_assert_eq(m.n_out, 3);
    cr_assert_eq(m.out_len[1], 1);
    cr_assert_eq(m.out[1][0], 2);
    cr_assert_eq(m.out_len[2], 256);

    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    unsigned char plain[256];
    size_t plen = sizeof plain;
    cr_assert_gt(EVP_PKEY_decrypt_init(ctx), 0);
    cr_assert_gt(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 0);
    cr_assert_gt(EVP_PKEY_decrypt(ctx, plain, &plen, m.out[2], 256), 0);
    cr_assert_eq(plen, strlen(pw) + 1);
    for (size_t i = 0; i < plen; i++)
        plain[i] ^= NONCE[i % 20];
    cr_assert_str_eq((char *)plain, pw);
    EVP_PKEY_CTX_free(ctx);
    BIO_free(bio);
    EVP_PKEY_free(key);
}

Test(sha2, empty_password_is_one_nul_byte)
{
    struct mock_vio m;
    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "", 0), CR_OK);
    cr_assert_eq(m.n_out, 1);
    cr_assert_eq(m.out_len[0], 1);
    cr_assert_eq(m.out[0][0], 0);
}

Test(sha2, protocol_errors)
{
    struct mock_vio m;
    static const unsigned char odd[2] = {3, 3}, unknown = 9;
    mock_init(&m);
    mock_push(&m, NONCE, 10); /* short nonce */
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_SERVER_HANDSHAKE_ERR);

    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, odd, 2);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_SERVER_HANDSHAKE_ERR);

    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, &unknown, 1);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_SERVER_HANDSHAKE_ERR);

    mock_init(&m); /* connection lost after the scramble */
    mock_push(&m, NONCE, sizeof NONCE);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_ERROR);

    static const unsigned char full = 4;
    static const char notpem[] = "not a key";
    mock_init(&m);
    mock_push(&m, NONCE, sizeof NONCE);
    mock_push(&m, &full, 1);
    mock_push(&m, notpem, sizeof notpem - 1);
    cr_assert_eq(cinto_sha2_exchange(&m.vio, "secret", 0), CR_AUTH_PLUGIN_ERR);
}

/* ---- ed25519 ---- */

/* authentication_string that MariaDB 10.11 stored for
 *   CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('...')
 * (SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv), the
 * second sent by the mariadb client as UTF-8. */
static const struct {
    const char *pw, *stored;
} MARIADB_KEYS[] = {
    {"secret", "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY"},
    {"p\xc3\xa4ssw\xc3\xb6rd with a long tail 0123456789 0123456789 0123456789",
     "VtHBfee84MbXtG1LUCPh/WsQ250RUvm3s+GW9d2ZcxY"},
};

Test(ed25519, public_key_matches_mariadb)
{
    cr_assert_geq(sodium_init(), 0);
    for (size_t i = 0; i < sizeof MARIADB_KEYS / sizeof *MARIADB_KEYS; i++) {
        unsigned char pk[32];
        char b64[64];
        cr_assert_eq(cinto_ed25519_public_key(pk, MARIADB_KEYS[i].pw, strlen(MARIADB_KEYS[i].pw)),
                     0);
        sodium_bin2base64(b64, sizeof b64, pk, sizeof pk,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        cr_assert_str_eq(b64, MARIADB_KEYS[i].stored, "password %zu", i);
    }
}

/* The signature verifies with libsodium's standard Ed25519 verifier, an
 * implementation independent of the signing code. */
Test(ed25519, exchange_signature_verifies)
{
    cr_assert_geq(sodium_init(), 0);
    unsigned char nonce[32], pk[32];
    randombytes_buf(nonce, sizeof nonce);
    cr_assert_eq(cinto_ed25519_public_key(pk, "secret", 6), 0);

    struct mock_vio m;
    mock_init(&m);
    mock_push(&m, nonce, sizeof nonce);
    cr_assert_eq(cinto_ed25519_exchange(&m.vio, "secret"), CR_OK);
    cr_assert_eq(m.n_out, 1);
    cr_assert_eq(m.out_len[0], 64);
    cr_assert_eq(crypto_sign_verify_detached(m.out[0], nonce, sizeof nonce, pk), 0);
    /* and not for another message or another password's key */
    nonce[0] ^= 1;
    cr_assert_neq(crypto_sign_verify_detached(m.out[0], nonce, sizeof nonce, pk), 0);
    cr_assert_eq(cinto_ed25519_public_key(pk, "secreT", 6), 0);
    nonce[0] ^= 1;
    cr_assert_neq(crypto_sign_verify_detached(m.out[0], nonce, sizeof nonce, pk), 0);
}

Test(ed25519, wrong_nonce_length)
{
    struct mock_vio m;
    unsigned char nonce[33] = {0};
    mock_init(&m);
    mock_push(&m, nonce, sizeof nonce);
    cr_assert_eq(cinto_ed25519_exchange(&m.vio, "secret"), CR_SERVER_HANDSHAKE_ERR);
    cr_assert_eq(m.n_out, 0);
}
