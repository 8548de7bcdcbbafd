#include "patch/pointer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cinto_pointer_unescape(const char *text, size_t len, int *bad)
{
    /* Unescaping only shrinks, so len + 1 bytes always suffice. */
    char *out = malloc(len + 1);
    size_t j = 0;
    *bad = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '~') {
            out[j++] = text[i];
            continue;
        }
        /* RFC 6901 defines only ~0 and ~1; anything else is refused rather
         * than guessed, so that "~2" cannot silently name a member. */
        if (i + 1 >= len || (text[i + 1] != '0' && text[i + 1] != '1')) {
            free(out);
            *bad = 1;
            return NULL;
        }
        out[j++] = text[i + 1] == '1' ? '/' : '~';
        i++;
    }
    out[j] = '\0';
    return out;
}

void cinto_pointer_free(cinto_pointer *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->tokens[i]);
    free(p->tokens);
    p->tokens = NULL;
    p->count = 0;
}

/* Takes ownership of token (frees it when growing fails). */
static int push_owned(cinto_pointer *p, char *token)
{
    char **t = realloc(p->tokens, (p->count + 1) * sizeof *t);
    if (!t) {
        free(token);
        return -1;
    }
    p->tokens = t;
    p->tokens[p->count++] = token;
    return 0;
}

int cinto_pointer_push(cinto_pointer *p, const char *token)
{
    char *copy = strdup(token);
    if (!copy)
        return -1;
    return push_owned(p, copy);
}

int cinto_pointer_parse(const char *text, cinto_pointer *out, char *err, size_t errlen)
{
    out->tokens = NULL;
    out->count = 0;
    if (text[0] == '\0')
        return 0;
    if (text[0] != '/') {
        snprintf(err, errlen, "pointer '%s' must be empty or start with '/'", text);
        return -1;
    }
    const char *p = text + 1;
    for (;;) {
        size_t len = strcspn(p, "/");
        int bad;
        char *tok = cinto_pointer_unescape(p, len, &bad);
        if (!tok) {
            cinto_pointer_free(out);
            if (!bad)
                return -2;
            snprintf(err, errlen, "pointer '%s' has an invalid '~' escape", text);
            return -1;
        }
        if (push_owned(out, tok) < 0) {
            cinto_pointer_free(out);
            return -2;
        }
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

int cinto_pointer_index(const char *token, size_t *out)
{
    size_t v = 0;
    if (token[0] == '\0' || (token[0] == '0' && token[1] != '\0'))
        return -1;
    for (const char *c = token; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        size_t d = (size_t)(*c - '0');
        if (v > (SIZE_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* One step down: member of an object or element of an array. */
static int step(json_object *cur, const char *token, json_object **out)
{
    if (json_object_is_type(cur, json_type_object))
        return json_object_object_get_ex(cur, token, out) ? 1 : 0;
    if (json_object_is_type(cur, json_type_array)) {
        size_t idx;
        if (cinto_pointer_index(token, &idx) < 0 || idx >= json_object_array_length(cur))
            return 0;
        *out = json_object_array_get_idx(cur, idx);
        return 1;
    }
    return 0; /* scalars and null have no children */
}

int cinto_pointer_get(json_object *doc, const cinto_pointer *p, size_t depth, json_object **out)
{
    json_object *cur = doc;
    if (depth > p->count)
        depth = p->count;
    for (size_t i = 0; i < depth; i++) {
        json_object *next = NULL;
        if (!step(cur, p->tokens[i], &next))
            return 0;
        cur = next;
    }
    *out = cur;
    return 1;
}

int cinto_pointer_resolve(json_object *doc, const char *text, json_object **out)
{
    cinto_pointer p = CINTO_POINTER_INIT;
    char err[8];
    int rc = cinto_pointer_parse(text, &p, err, sizeof err);
    if (rc < 0)
        return rc;
    rc = cinto_pointer_get(doc, &p, p.count, out);
    cinto_pointer_free(&p);
    return rc;
}

int cinto_pointer_is_proper_prefix(const cinto_pointer *a, const cinto_pointer *b)
{
    if (a->count >= b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->tokens[i], b->tokens[i]) != 0)
            return 0;
    return 1;
}
