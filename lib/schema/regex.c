/* ECMA-262 regular expressions on PCRE2.
 *
 * JSON Schema patterns are ECMA-262 with Unicode semantics. PCRE2 in UTF
 * mode without PCRE2_UCP already gives \w, \b and \d their ASCII meaning;
 * what differs is rewritten here before compiling:
 *   \d            -> [0-9] (PCRE2 would agree, but [0-9] is explicit)
 *   \s, \S        -> ECMA's Unicode white space set (PCRE2's is ASCII)
 *   .             -> anything but the four ECMA line terminators
 *   \uXXXX, \u{X} -> \x{X}, joining surrogate pairs
 *   \v            -> U+000B only (PCRE2's \v is a class)
 *   \p{Letter}    -> \p{L} (PCRE2 10.42 knows only the short names)
 *   [ inside a class is a literal; other escaped letters are identity
 *   escapes (Annex B), e.g. \a is "a".
 * "$" matches only at the very end (PCRE2_DOLLAR_ENDONLY) and "[]"/"[^]"
 * are the empty and the full class (PCRE2_ALLOW_EMPTY_CLASS).
 * Variable-length lookbehind cannot be expressed with PCRE2 10.42 and
 * fails to compile. */
#include "schema/internal.h"
#include "util/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ECMA-262 WhiteSpace and LineTerminator, as class members. */
#define ECMA_WS                                                                                    \
    "\\t\\n\\x{b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}"   \
    "\\x{3000}\\x{feff}"

/* Bounds on one match: catastrophic backtracking ends with an error. */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000
#define HEAP_LIMIT_KIB 20000

static const struct {
    const char *name, *abbr;
} gc_names[] = {
    {"Cased_Letter", "LC"},
    {"Close_Punctuation", "Pe"},
    {"Combining_Mark", "M"},
    {"Connector_Punctuation", "Pc"},
    {"Control", "Cc"},
    {"Currency_Symbol", "Sc"},
    {"Dash_Punctuation", "Pd"},
    {"Decimal_Number", "Nd"},
    {"Enclosing_Mark", "Me"},
    {"Final_Punctuation", "Pf"},
    {"Format", "Cf"},
    {"Initial_Punctuation", "Pi"},
    {"Letter", "L"},
    {"Letter_Number", "Nl"},
    {"Line_Separator", "Zl"},
    {"Lowercase_Letter", "Ll"},
    {"Mark", "M"},
    {"Math_Symbol", "Sm"},
    {"Modifier_Letter", "Lm"},
    {"Modifier_Symbol", "Sk"},
    {"Nonspacing_Mark", "Mn"},
    {"Number", "N"},
    {"Open_Punctuation", "Ps"},
    {"Other", "C"},
    {"Other_Letter", "Lo"},
    {"Other_Number", "No"},
    {"Other_Punctuation", "Po"},
    {"Other_Symbol", "So"},
    {"Paragraph_Separator", "Zp"},
    {"Private_Use", "Co"},
    {"Punctuation", "P"},
    {"Separator", "Z"},
    {"Space_Separator", "Zs"},
    {"Spacing_Mark", "Mc"},
    {"Surrogate", "Cs"},
    {"Symbol", "S"},
    {"Titlecase_Letter", "Lt"},
    {"Unassigned", "Cn"},
    {"Uppercase_Letter", "Lu"},
    {"cntrl", "Cc"},
    {"digit", "Nd"},
    {"punct", "P"},
};

typedef struct xlat {
    const char *s;
    size_t len, i;
    cinto_buf *out;
    char *err;
    size_t errlen;
} xlat;

/* Reads exactly n hex digits at s[i]; -1 when they are not there. */
static long read_hex(const xlat *x, size_t i, size_t n)
{
    long v = 0;
    if (i + n > x->len)
        return -1;
    for (size_t k = 0; k < n; k++) {
        int h = cinto_hex_digit(x->s[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static const char *gc_abbr(const char *name, size_t n)
{
    for (size_t k = 0; k < sizeof gc_names / sizeof gc_names[0]; k++)
        if (strlen(gc_names[k].name) == n && memcmp(gc_names[k].name, name, n) == 0)
            return gc_names[k].abbr;
    return NULL;
}

/* \p{...} or \P{...} starting at the backslash; x->i moves past it. */
static int xlat_property(xlat *x, cinto_buf *o)
{
    char kind = x->s[x->i + 1];
    size_t open = x->i + 2;
    if (open >= x->len || x->s[open] != '{') {
        /* Identity escape (Annex B): the letter itself. Consume the two
         * characters, or the translation loop sees them again forever. */
        x->i += 2;
        return cinto_buf_putc(o, kind);
    }
    const char *close = memchr(x->s + open, '}', x->len - open);
    if (!close) {
        snprintf(x->err, x->errlen, "unterminated \\%c{", kind);
        return -1;
    }
    const char *body = x->s + open + 1;
    size_t n = (size_t)(close - body);
    const char *eq = memchr(body, '=', n);
    int rc;
    if (eq) {
        size_t nk = (size_t)(eq - body);
        const char *val = eq + 1;
        size_t nv = n - nk - 1;
        const char *abbr = NULL;
        if ((nk == 16 && memcmp(body, "General_Category", 16) == 0) ||
            (nk == 2 && memcmp(body, "gc", 2) == 0))
            abbr = gc_abbr(val, nv);
        if (abbr)
            rc = cinto_buf_printf(o, "\\%c{%s}", kind, abbr);
        else
            rc = cinto_buf_printf(o, "\\%c{%.*s}", kind, (int)n, body);
    } else {
        const char *abbr = gc_abbr(body, n);
        if (abbr)
            rc = cinto_buf_printf(o, "\\%c{%s}", kind, abbr);
        else
            rc = cinto_buf_printf(o, "\\%c{%.*s}", kind, (int)n, body);
    }
    x->i = (size_t)(close - x->s) + 1;
    return rc;
}

/* \u escapes: \uXXXX (pairs of surrogates joined) and \u{X...}. Writes the
 * code point or, for a lone surrogate that UTF-8 text can never contain,
 * something that matches nothing. */
static int xlat_unicode(xlat *x, cinto_buf *o, int in_class)
{
    size_t i = x->i + 2;
    long cp;
    if (i < x->len && x->s[i] == '{') {
        size_t j = i + 1;
        cp = 0;
        while (j < x->len && cinto_hex_digit(x->s[j]) >= 0 && cp <= 0x10FFFF)
            cp = cp * 16 + cinto_hex_digit(x->s[j++]);
        if (j == i + 1 || j >= x->len || x->s[j] != '}' || cp > 0x10FFFF) {
            x->i += 2;
            return cinto_buf_putc(o, 'u');
        }
        x->i = j + 1;
    } else {
        cp = read_hex(x, i, 4);
        if (cp < 0) {
            x->i += 2;
            return cinto_buf_putc(o, 'u');
        }
        x->i = i + 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && x->i + 1 < x->len && x->s[x->i] == '\\' &&
            x->s[x->i + 1] == 'u') {
            long lo = read_hex(x, x->i + 2, 4);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                x->i += 6;
            }
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return in_class ? 0 : cinto_buf_puts(o, "(?!)");
    return cinto_buf_printf(o, "\\x{%lx}", cp);
}

/* One escape sequence at x->i (a backslash). In a class, \S cannot be
 * written as a member and is reported through *has_S instead. */
static int xlat_escape(xlat *x, cinto_buf *o, int in_class, int *has_S)
{
    if (x->i + 1 >= x->len) {
        snprintf(x->err, x->errlen, "\\ at end of pattern");
        return -1;
    }
    char e = x->s[x->i + 1];
    switch (e) {
    case 'd':
        x->i += 2;
        return cinto_buf_puts(o, in_class ? "0-9" : "[0-9]");
    case 'D':
        x->i += 2;
        return cinto_buf_puts(o, in_class ? "\\D" : "[^0-9]");
    case 's':
        x->i += 2;
        return cinto_buf_puts(o, in_class ? ECMA_WS : "[" ECMA_WS "]");
    case 'S':
        x->i += 2;
        if (in_class) {
            *has_S = 1;
            return 0;
        }
        return cinto_buf_puts(o, "[^" ECMA_WS "]");
    case 'b':
        x->i += 2;
        return cinto_buf_puts(o, in_class ? "\\x{8}" : "\\b");
    case 'v':
        x->i += 2;
        return cinto_buf_puts(o, "\\x{b}");
    case 'u':
        return xlat_unicode(x, o, in_class);
    case 'x': {
        long v = read_hex(x, x->i + 2, 2);
        if (v < 0) {
            x->i += 2;
            return cinto_buf_putc(o, 'x');
        }
        x->i += 4;
        return cinto_buf_printf(o, "\\x{%lx}", v);
    }
    case 'c':
        if (x->i + 2 < x->len && ((x->s[x->i + 2] >= 'a' && x->s[x->i + 2] <= 'z') ||
                                  (x->s[x->i + 2] >= 'A' && x->s[x->i + 2] <= 'Z'))) {
            int rc = cinto_buf_printf(o, "\\x{%x}", x->s[x->i + 2] % 32);
            x->i += 3;
            return rc;
        }
        x->i += 2; /* Annex B: a lone \c is a backslash and a "c" */
        return cinto_buf_puts(o, "\\\\c");
    case 'p':
    case 'P':
        return xlat_property(x, o);
    case '0':
        if (x->i + 2 >= x->len || x->s[x->i + 2] < '0' || x->s[x->i + 2] > '9') {
            x->i += 2;
            return cinto_buf_puts(o, "\\x{0}");
        }
        break;
    case 'k':
    case 'w':
    case 'W':
    case 'B':
    case 'n':
    case 'r':
    case 't':
    case 'f':
        break;
    default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
            /* Identity escape: the letter itself. */
            x->i += 2;
            return cinto_buf_putc(o, e);
        }
        break;
    }
    /* Backreferences, syntax characters and the escapes both engines
     * read alike pass through unchanged. */
    int rc = cinto_buf_append(o, x->s + x->i, 2);
    x->i += 2;
    return rc;
}

/* A character class at x->i ("["). */
static int xlat_class(xlat *x)
{
    cinto_buf body = CINTO_BUF_INIT;
    int neg = 0, has_S = 0, rc = -1;
    x->i++;
    if (x->i < x->len && x->s[x->i] == '^') {
        neg = 1;
        x->i++;
    }
    while (x->i < x->len && x->s[x->i] != ']') {
        char c = x->s[x->i];
        if (c == '\\') {
            if (xlat_escape(x, &body, 1, &has_S) < 0)
                goto done;
        } else if (c == '[') {
            if (cinto_buf_puts(&body, "\\[") < 0)
                goto done;
            x->i++;
        } else {
            if (cinto_buf_putc(&body, c) < 0)
                goto done;
            x->i++;
        }
    }
    if (x->i >= x->len) {
        snprintf(x->err, x->errlen, "missing terminating ] for character class");
        goto done;
    }
    x->i++;
    const char *b = cinto_buf_str(&body);
    if (!has_S)
        rc = cinto_buf_printf(x->out, "[%s%s]", neg ? "^" : "", b);
    else if (!neg)
        rc = cinto_buf_printf(x->out, "(?:[%s]|[^" ECMA_WS "])", b);
    else if (!*b)
        rc = cinto_buf_puts(x->out, "[" ECMA_WS "]");
    else
        rc = cinto_buf_printf(x->out, "(?:(?![%s])[" ECMA_WS "])", b);
done:
    cinto_buf_free(&body);
    return rc;
}

char *cinto_regex_translate(const char *src, size_t len, char *err, size_t errlen)
{
    cinto_buf out = CINTO_BUF_INIT;
    xlat x = {src, len, 0, &out, err, errlen};
    while (x.i < len) {
        char c = src[x.i];
        int rc;
        if (c == '\\') {
            int dummy = 0;
            rc = xlat_escape(&x, &out, 0, &dummy);
        } else if (c == '[') {
            rc = xlat_class(&x);
        } else if (c == '.') {
            rc = cinto_buf_puts(&out, "[^\\n\\r\\x{2028}\\x{2029}]");
            x.i++;
        } else {
            rc = cinto_buf_putc(&out, c);
            x.i++;
        }
        if (rc < 0) {
            if (!err[0])
                snprintf(err, errlen, "out of memory");
            cinto_buf_free(&out);
            return NULL;
        }
    }
    return cinto_buf_steal(&out);
}

pcre2_code *cinto_regex_compile(const char *src, size_t len, char *err, size_t errlen)
{
    err[0] = '\0';
    char *t = cinto_regex_translate(src, len, err, errlen);
    if (!t)
        return NULL;
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)t, PCRE2_ZERO_TERMINATED,
                      PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS, &ec, &eo, NULL);
    free(t);
    if (!re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", ec);
        snprintf(err, errlen, "%s", (char *)msg);
    }
    return re;
}

pcre2_match_context *cinto_regex_match_context(void)
{
    pcre2_match_context *m = pcre2_match_context_create(NULL);
    if (!m)
        return NULL;
    pcre2_set_match_limit(m, MATCH_LIMIT);
    pcre2_set_depth_limit(m, DEPTH_LIMIT);
    pcre2_set_heap_limit(m, HEAP_LIMIT_KIB);
    return m;
}
