/* URI reference resolution (RFC 3986 §5.2) for "$id" and "$ref". Only
 * what schema identifiers need: no normalization beyond dot segments. */
#include "schema/internal.h"
#include "util/codec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct uri_parts {
    const char *scheme, *auth, *path, *query, *frag;
    size_t nscheme, nauth, npath, nquery, nfrag;
    int has_scheme, has_auth, has_query, has_frag;
} uri_parts;

static void uri_split(const char *s, uri_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (isalpha((unsigned char)*p)) {
        const char *q = p + 1;
        while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
            q++;
        if (*q == ':') {
            u->has_scheme = 1;
            u->scheme = p;
            u->nscheme = (size_t)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        u->has_auth = 1;
        u->auth = p + 2;
        p += 2;
        while (*p && *p != '/' && *p != '?' && *p != '#')
            p++;
        u->nauth = (size_t)(p - u->auth);
    }
    u->path = p;
    while (*p && *p != '?' && *p != '#')
        p++;
    u->npath = (size_t)(p - u->path);
    if (*p == '?') {
        u->has_query = 1;
        u->query = ++p;
        while (*p && *p != '#')
            p++;
        u->nquery = (size_t)(p - u->query);
    }
    if (*p == '#') {
        u->has_frag = 1;
        u->frag = p + 1;
        u->nfrag = strlen(p + 1);
    }
}

/* RFC 3986 §5.2.4, on a NUL-terminated copy, in place. */
static void remove_dot_segments(char *path)
{
    char *in = path, *out = path;
    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0) {
            in += 2;
        } else if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in[1] = '\0';
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            if (in[3] == '/')
                in += 3;
            else {
                in += 2;
                *in = '/';
            }
            while (out > path && *--out != '/')
                ;
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            in += strlen(in);
        } else {
            /* Move the first segment, with its leading slash if any. */
            if (*in == '/')
                *out++ = *in++;
            while (*in && *in != '/')
                *out++ = *in++;
        }
    }
    *out = '\0';
}

static int put(cinto_buf *b, const char *s, size_t n)
{
    return cinto_buf_append(b, s, n);
}

/* Path to use for the target: base path merged with the reference's
 * (§5.2.3), dot segments removed. */
static int merged_path(cinto_buf *out, const uri_parts *base, const uri_parts *ref)
{
    cinto_buf tmp = CINTO_BUF_INIT;
    int rc = -1;
    if (ref->npath > 0 && ref->path[0] == '/') {
        if (put(&tmp, ref->path, ref->npath) < 0)
            goto done;
    } else {
        if (base->has_auth && base->npath == 0) {
            if (put(&tmp, "/", 1) < 0)
                goto done;
        } else {
            size_t keep = base->npath;
            while (keep > 0 && base->path[keep - 1] != '/')
                keep--;
            if (put(&tmp, base->path, keep) < 0)
                goto done;
        }
        if (put(&tmp, ref->path, ref->npath) < 0)
            goto done;
    }
    if (tmp.data)
        remove_dot_segments(tmp.data);
    rc = cinto_buf_puts(out, cinto_buf_str(&tmp));
done:
    cinto_buf_free(&tmp);
    return rc;
}

static int build_target(cinto_buf *t, const uri_parts *b, const uri_parts *r)
{
    const uri_parts *auth_from, *query_from;
    int path_from_ref = 1;
    if (r->has_scheme) {
        if (put(t, r->scheme, r->nscheme) < 0 || put(t, ":", 1) < 0)
            return -1;
        auth_from = r;
        query_from = r;
    } else {
        if (b->has_scheme && (put(t, b->scheme, b->nscheme) < 0 || put(t, ":", 1) < 0))
            return -1;
        if (r->has_auth) {
            auth_from = r;
            query_from = r;
        } else {
            auth_from = b;
            if (r->npath == 0) {
                path_from_ref = 0;
                query_from = r->has_query ? r : b;
            } else {
                query_from = r;
            }
        }
    }
    if (auth_from->has_auth &&
        (put(t, "//", 2) < 0 || put(t, auth_from->auth, auth_from->nauth) < 0))
        return -1;
    if (!path_from_ref) {
        if (put(t, b->path, b->npath) < 0)
            return -1;
    } else if (auth_from == r) {
        char *p = strndup(r->path, r->npath);
        if (!p)
            return -1;
        remove_dot_segments(p);
        int rc = cinto_buf_puts(t, p);
        free(p);
        if (rc < 0)
            return -1;
    } else if (merged_path(t, b, r) < 0) {
        return -1;
    }
    if (query_from->has_query &&
        (put(t, "?", 1) < 0 || put(t, query_from->query, query_from->nquery) < 0))
        return -1;
    if (r->has_frag && (put(t, "#", 1) < 0 || put(t, r->frag, r->nfrag) < 0))
        return -1;
    return 0;
}

char *cinto_uri_resolve(const char *base, const char *ref)
{
    uri_parts b, r;
    uri_split(base ? base : "", &b);
    uri_split(ref, &r);
    cinto_buf t = CINTO_BUF_INIT;
    /* An empty base (a schema without any id) leaves references as they
     * are: they can only name documents registered under that text. */
    if (!base || !*base) {
        if (cinto_buf_puts(&t, ref) < 0)
            goto fail;
        return cinto_buf_steal(&t);
    }
    if (build_target(&t, &b, &r) < 0)
        goto fail;
    return cinto_buf_steal(&t);
fail:
    cinto_buf_free(&t);
    return NULL;
}

size_t cinto_uri_strip_fragment(const char *uri)
{
    const char *h = strchr(uri, '#');
    return h ? (size_t)(h - uri) : strlen(uri);
}

char *cinto_uri_pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && cinto_hex_digit(s[i + 1]) >= 0 &&
            cinto_hex_digit(s[i + 2]) >= 0) {
            out[j++] = (char)(cinto_hex_digit(s[i + 1]) * 16 + cinto_hex_digit(s[i + 2]));
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}
