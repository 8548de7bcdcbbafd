#include "schema/number.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exponents beyond this are clamped: no finite double needs them, and the
 * comparisons stay free of overflow. */
#define EXP_CLAMP 1000000000000000LL

/* Above this many digit-limb steps, multipleOf gives up (-1) instead of
 * spending seconds on a hostile number. */
#define MULTIPLE_WORK_LIMIT 20000000ULL

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void cinto_num_release(cinto_num *n)
{
    free(n->heap);
    n->heap = NULL;
}

/* Gives n room for len digits, inline when they fit. */
static char *num_storage(cinto_num *n, size_t len)
{
    if (len <= sizeof n->buf)
        return n->buf;
    n->heap = malloc(len);
    return n->heap;
}

int cinto_num_parse(const char *s, size_t len, cinto_num *n)
{
    size_t i = 0;
    n->neg = 0;
    n->exp = 0;
    n->nd = 0;
    n->dig = n->buf;
    n->heap = NULL;
    if (i < len && s[i] == '-') {
        n->neg = 1;
        i++;
    }
    size_t int_start = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_end = i;
    if (int_end == int_start)
        return -1;
    size_t frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return -1;
    }
    long long e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= len || !is_digit(s[i]))
            return -1;
        while (i < len && is_digit(s[i])) {
            if (e < EXP_CLAMP)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        if (eneg)
            e = -e;
    }
    if (i != len)
        return -1;
    size_t nint = int_end - int_start, nfrac = frac_end - frac_start;
    char *d = num_storage(n, nint + nfrac);
    if (!d)
        return -1;
    memcpy(d, s + int_start, nint);
    memcpy(d + nint, s + frac_start, nfrac);
    /* Normalize: no leading zeros, trailing zeros folded into exp. */
    size_t lo = 0, hi = nint + nfrac;
    while (lo < hi && d[lo] == '0')
        lo++;
    long long exp = e - (long long)nfrac;
    while (hi > lo && d[hi - 1] == '0') {
        hi--;
        exp++;
    }
    n->dig = d + lo;
    n->nd = hi - lo;
    n->exp = n->nd ? exp : 0;
    if (!n->nd)
        n->neg = 0;
    return 0;
}

int cinto_num_from_json(json_object *v, cinto_num *n)
{
    char tmp[40];
    n->heap = NULL;
    if (!v)
        return -1;
    if (json_object_is_type(v, json_type_int)) {
        int64_t i = json_object_get_int64(v);
        if (i == INT64_MAX)
            snprintf(tmp, sizeof tmp, "%" PRIu64, json_object_get_uint64(v));
        else
            snprintf(tmp, sizeof tmp, "%" PRId64, i);
        return cinto_num_parse(tmp, strlen(tmp), n);
    }
    if (!json_object_is_type(v, json_type_double))
        return -1;
    /* json-c keeps the text of a parsed double as the object's userdata
     * (json_object_new_double_s); other doubles print with 17 digits,
     * which is their exact shortest-enough decimal value. */
    const char *text = json_object_get_userdata(v);
    if (text && cinto_num_parse(text, strlen(text), n) == 0)
        return 0;
    cinto_num_release(n);
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return -1;
    snprintf(tmp, sizeof tmp, "%.17g", d);
    return cinto_num_parse(tmp, strlen(tmp), n);
}

int cinto_num_dup(cinto_num *dst, const cinto_num *src, void *(*alloc)(void *, size_t), void *ctx)
{
    dst->neg = src->neg;
    dst->exp = src->exp;
    dst->nd = src->nd;
    dst->heap = NULL;
    char *d = alloc(ctx, src->nd + 1);
    if (!d)
        return -1;
    memcpy(d, src->dig, src->nd);
    dst->dig = d;
    return 0;
}

int cinto_num_is_zero(const cinto_num *n)
{
    return n->nd == 0;
}

int cinto_num_is_integer(const cinto_num *n)
{
    return n->nd == 0 || n->exp >= 0;
}

/* Compares magnitudes: first by the position of the leading digit, then
 * digit by digit. */
static int cmp_mag(const cinto_num *a, const cinto_num *b)
{
    long long ta = (long long)a->nd + a->exp, tb = (long long)b->nd + b->exp;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    size_t n = a->nd > b->nd ? a->nd : b->nd;
    for (size_t i = 0; i < n; i++) {
        char ca = i < a->nd ? a->dig[i] : '0', cb = i < b->nd ? b->dig[i] : '0';
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

int cinto_num_cmp(const cinto_num *a, const cinto_num *b)
{
    int sa = a->nd ? (a->neg ? -1 : 1) : 0;
    int sb = b->nd ? (b->neg ? -1 : 1) : 0;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int m = cmp_mag(a, b);
    return sa > 0 ? m : -m;
}

int cinto_num_to_u64(const cinto_num *n, uint64_t *out)
{
    if (n->nd == 0) {
        *out = 0;
        return 0;
    }
    if (n->neg || n->exp < 0)
        return -1;
    if ((long long)n->nd + n->exp > 20) {
        *out = UINT64_MAX;
        return 0;
    }
    uint64_t v = 0;
    for (long long i = 0; i < (long long)n->nd + n->exp; i++) {
        unsigned dgt = i < (long long)n->nd ? (unsigned)(n->dig[i] - '0') : 0;
        if (v > (UINT64_MAX - dgt) / 10) {
            *out = UINT64_MAX;
            return 0;
        }
        v = v * 10 + dgt;
    }
    *out = v;
    return 0;
}

uint64_t cinto_num_hash(const cinto_num *n)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (uint64_t)(n->neg + 1)) * 1099511628211ULL;
    h = (h ^ (uint64_t)n->exp) * 1099511628211ULL;
    for (size_t i = 0; i < n->nd; i++)
        h = (h ^ (unsigned char)n->dig[i]) * 1099511628211ULL;
    return h;
}

/* ---- Unsigned big integers in base 10^9, little-endian, for multipleOf ---- */

#define BIG_BASE 1000000000u

typedef struct big {
    uint32_t *l;
    size_t n;
} big;

static int big_from_digits(big *b, const char *d, size_t nd)
{
    b->n = 0;
    b->l = malloc((nd / 9 + 1) * sizeof *b->l);
    if (!b->l)
        return -1;
    /* Limbs are taken from the least significant end, 9 digits at a time. */
    size_t end = nd;
    while (end > 0) {
        size_t start = end >= 9 ? end - 9 : 0;
        uint32_t v = 0;
        for (size_t i = start; i < end; i++)
            v = v * 10 + (uint32_t)(d[i] - '0');
        b->l[b->n++] = v;
        end = start;
    }
    while (b->n > 0 && b->l[b->n - 1] == 0)
        b->n--;
    return 0;
}

/* b /= m in place; returns the remainder. */
static uint32_t big_divsmall(big *b, uint32_t m)
{
    uint64_t r = 0;
    for (size_t i = b->n; i-- > 0;) {
        uint64_t cur = r * BIG_BASE + b->l[i];
        b->l[i] = (uint32_t)(cur / m);
        r = cur % m;
    }
    while (b->n > 0 && b->l[b->n - 1] == 0)
        b->n--;
    return (uint32_t)r;
}

static uint32_t big_modsmall(const big *b, uint32_t m)
{
    uint64_t r = 0;
    for (size_t i = b->n; i-- > 0;)
        r = (r * BIG_BASE + b->l[i]) % m;
    return (uint32_t)r;
}

static int big_cmp(const uint32_t *a, size_t na, const big *b)
{
    while (na > 0 && a[na - 1] == 0)
        na--;
    if (na != b->n)
        return na < b->n ? -1 : 1;
    for (size_t i = na; i-- > 0;)
        if (a[i] != b->l[i])
            return a[i] < b->l[i] ? -1 : 1;
    return 0;
}

/* Whether the decimal number d[0..nd) is divisible by m (m > 1): the
 * remainder is carried digit by digit, as in long division by hand. */
static int digits_divisible(const char *d, size_t nd, const big *m)
{
    size_t cap = m->n + 2;
    uint32_t *r = calloc(cap, sizeof *r);
    if (!r)
        return -1;
    for (size_t k = 0; k < nd; k++) {
        uint64_t carry = (uint64_t)(d[k] - '0');
        for (size_t i = 0; i < cap; i++) {
            uint64_t cur = (uint64_t)r[i] * 10 + carry;
            r[i] = (uint32_t)(cur % BIG_BASE);
            carry = cur / BIG_BASE;
        }
        /* r < 10m, so at most nine subtractions bring it below m. */
        while (big_cmp(r, cap, m) >= 0) {
            int64_t borrow = 0;
            for (size_t i = 0; i < cap; i++) {
                int64_t cur = (int64_t)r[i] - borrow - (i < m->n ? (int64_t)m->l[i] : 0);
                borrow = cur < 0;
                if (cur < 0)
                    cur += BIG_BASE;
                r[i] = (uint32_t)cur;
            }
        }
    }
    int zero = 1;
    for (size_t i = 0; i < cap; i++)
        if (r[i])
            zero = 0;
    free(r);
    return zero;
}

/* Whether the integer with digits d[0..nd) has at least t factors p. */
static int has_factors(const char *d, size_t nd, uint32_t p, long long t)
{
    if (t <= 0)
        return 1;
    if (t > (long long)nd * 4 + 4) /* p^t would have more digits than d */
        return 0;
    big x;
    if (big_from_digits(&x, d, nd) < 0)
        return -1;
    int ok = 1;
    for (long long i = 0; i < t && ok; i++)
        if (big_modsmall(&x, p) != 0)
            ok = 0;
        else
            big_divsmall(&x, p);
    free(x.l);
    return ok;
}

/* x = X·10^ex and d = D·10^ed with D = 2^a·5^b·D' (D' coprime to 10).
 * x/d = (X/D)·10^k with k = ex-ed is an integer iff X·10^k is divisible
 * by D, that is iff v2(X)+k >= a, v5(X)+k >= b and D' divides X: no power
 * of ten is ever expanded, so 1e308 / 0.01 costs as little as 3 / 1. */
int cinto_num_is_multiple(const cinto_num *x, const cinto_num *d)
{
    if (x->nd == 0)
        return 1;
    if (d->nd == 0)
        return 0;
    if (x->nd > 100000 || d->nd > 100000)
        return -1;
    big D;
    if (big_from_digits(&D, d->dig, d->nd) < 0)
        return -1;
    long long a = 0, b = 0;
    while (D.n > 0 && big_modsmall(&D, 2) == 0) {
        big_divsmall(&D, 2);
        a++;
    }
    while (D.n > 0 && big_modsmall(&D, 5) == 0) {
        big_divsmall(&D, 5);
        b++;
    }
    long long k = x->exp - d->exp;
    int ok = has_factors(x->dig, x->nd, 2, a - k);
    if (ok == 1)
        ok = has_factors(x->dig, x->nd, 5, b - k);
    if (ok == 1 && !(D.n == 1 && D.l[0] == 1)) {
        if ((unsigned long long)x->nd * (D.n + 2) > MULTIPLE_WORK_LIMIT)
            ok = -1;
        else
            ok = digits_divisible(x->dig, x->nd, &D);
    }
    free(D.l);
    return ok;
}
