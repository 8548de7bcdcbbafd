/* The pure decisions of the attachment plugin (attachments.h): which
 * extensions are allowed, what a client's file name becomes on disk, what
 * mimetype is recorded. Behaviour follows kinto-attachment's utils and
 * storage modules (spec 07 §7.5-7.6); written from the spec, not copied. */
#include "plugins/attachments.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- extension groups (spec 07 §7.5) ------------------------------------ */

static const struct {
    const char *name, *exts;
} groups[] = {
    {"documents", "pdf rtf odf ods gnumeric abw doc docx xls xlsx"},
    {"text", "txt"},
    {"images", "jpg jpe jpeg png gif svg bmp tiff"},
    {"audio", "wav mp3 aac ogg oga flac"},
    {"video", "mpeg 3gp avi divx dvr flv mp4 wmv"},
    {"data", "csv ini json plist xml yaml yml"},
    {"scripts", "js php pl py rb sh"},
    {"archives", "gz bz2 zip tar tgz txz 7z"},
    {"executables", "so exe dll"},
    {"default", "pdf rtf odf ods gnumeric abw doc docx xls xlsx txt jpg jpe jpeg png gif svg bmp "
                "tiff csv ini json plist xml yaml yml"},
    {"any", ""},
};

static int push_ext(cinto_att_exts *e, const char *s, size_t n)
{
    for (size_t i = 0; i < e->count; i++)
        if (strlen(e->items[i]) == n && strncasecmp(e->items[i], s, n) == 0)
            return 0;
    char **items = realloc(e->items, (e->count + 2) * sizeof *items);
    if (!items)
        return -1;
    e->items = items;
    char *copy = strndup(s, n);
    if (!copy)
        return -1;
    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->items[e->count++] = copy;
    e->items[e->count] = NULL;
    return 0;
}

/* Adds the space-separated words of list. */
static int push_words(cinto_att_exts *e, const char *list, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && isspace((unsigned char)list[i]))
            i++;
        size_t start = i;
        while (i < len && !isspace((unsigned char)list[i]))
            i++;
        if (i > start && push_ext(e, list + start, i - start) < 0)
            return -1;
    }
    return 0;
}

int cinto_att_exts_parse(const char *spec, cinto_att_exts *out)
{
    memset(out, 0, sizeof *out);
    const char *p = spec ? spec : "default";
    int named_any = 0;
    for (;;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        /* A group name is the whole item (upstream: "images+pdf"). */
        size_t a = 0, b = len;
        while (a < b && isspace((unsigned char)p[a]))
            a++;
        while (b > a && isspace((unsigned char)p[b - 1]))
            b--;
        int found = 0;
        for (size_t g = 0; g < sizeof groups / sizeof groups[0] && !found; g++) {
            if (strlen(groups[g].name) != b - a || strncmp(groups[g].name, p + a, b - a) != 0)
                continue;
            found = 1;
            named_any |= strcmp(groups[g].name, "any") == 0;
            if (push_words(out, groups[g].exts, strlen(groups[g].exts)) < 0)
                goto nomem;
        }
        if (!found && push_words(out, p, len) < 0)
            goto nomem;
        if (!plus)
            break;
        p = plus + 1;
    }
    /* As upstream: an empty set (only "any") restricts nothing. */
    out->any = out->count == 0 || (named_any && out->count == 0);
    return 0;
nomem:
    cinto_att_exts_free(out);
    return -1;
}

void cinto_att_exts_free(cinto_att_exts *e)
{
    for (size_t i = 0; i < e->count; i++)
        free(e->items[i]);
    free(e->items);
    memset(e, 0, sizeof *e);
}

int cinto_att_exts_allows(const cinto_att_exts *e, const char *ext)
{
    if (e->any)
        return 1;
    for (size_t i = 0; i < e->count; i++)
        if (strcmp(e->items[i], ext) == 0)
            return 1;
    return 0;
}

const char *cinto_att_exts_sample(const cinto_att_exts *e)
{
    if (e->any || cinto_att_exts_allows(e, "json"))
        return "json";
    for (size_t i = 0; i < e->count; i++) {
        const char *x = e->items[i];
        if (*x && strspn(x, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(x))
            return x;
    }
    return "json";
}

/* ---- names -------------------------------------------------------------- */

const char *cinto_att_basename(const char *filename)
{
    const char *base = filename;
    for (const char *p = filename; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return base;
}

void cinto_att_extension(const char *base, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = base;
    while (*p == '.')
        p++;
    const char *dot = strrchr(p, '.');
    if (!dot)
        return;
    size_t k = 0;
    for (const char *q = dot + 1; *q && k + 1 < outlen; q++) {
        unsigned char ch = (unsigned char)*q;
        if (isalnum(ch) && ch < 0x80)
            out[k++] = (char)tolower(ch);
        else if (ch == '_' || ch == '-')
            out[k++] = (char)ch;
    }
    out[k] = '\0';
}

/* NFKD then ASCII for U+00A0..U+017F: the base letter of a letter with
 * diacritics, ' ' for spacing marks, '?' for what has no ASCII
 * decomposition (Æ, ß, Ø, Đ, Ł, Œ...: dropped, as upstream's
 * encode('ascii', 'ignore') drops them). */
static const char latin_a0[] =
    /* A0 */ " ??????? ?a???? "
             /* B0 */ "??23 ??? 1o?????"
             /* C0 */ "AAAAAA?CEEEEIIII"
             /* D0 */ "?NOOOOO??UUUUY??"
             /* E0 */ "aaaaaa?ceeeeiiii"
             /* F0 */ "?nooooo??uuuuy?y"
             /* 100 */ "AaAaAaCcCcCcCcDd"
             /* 110 */ "??EeEeEeEeEeGgGg"
             /* 120 */ "GgGgHh??IiIiIiIi"
             /* 130 */ "I???JjKk?LlLlLlL"
             /* 140 */ "l??NnNnNnn??OoOo"
             /* 150 */ "Oo??RrRrRrSsSsSs"
             /* 160 */ "SsTtTt??UuUuUuUu"
             /* 170 */ "UuUuWwYyYZzZzZzs";

/* Appends the ASCII of one code point (nothing when it has none). */
static void ascii_of(unsigned cp, char *out, size_t *k, size_t outlen)
{
    const char *s = "";
    char one[2] = {0, 0};
    if (cp < 0x80) {
        one[0] = (char)cp;
        s = one;
    } else if (cp == 0x132) {
        s = "IJ";
    } else if (cp == 0x133) {
        s = "ij";
    } else if (cp == 0xBC) {
        s = "14";
    } else if (cp == 0xBD) {
        s = "12";
    } else if (cp == 0xBE) {
        s = "34";
    } else if (cp == 0xB4 || cp == 0xB8 || cp == 0xA8 || cp == 0xAF) {
        s = " ";
    } else if (cp >= 0xA0 && cp <= 0x17F) {
        one[0] = latin_a0[cp - 0xA0];
        if (one[0] != '?')
            s = one;
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
        one[0] = (char)(cp - 0xFEE0); /* fullwidth forms */
        s = one;
    } else if (cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A)) {
        s = " ";
    } else if (cp >= 0xFB00 && cp <= 0xFB06) {
        static const char *const lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
        s = lig[cp - 0xFB00];
    }
    /* Combining marks (U+0300..U+036F) and everything else: nothing. */
    for (; *s && *k + 1 < outlen; s++)
        out[(*k)++] = *s;
}

/* Decodes UTF-8 into ASCII as NFKD + ignore would; invalid bytes go. */
static void to_ascii(const char *in, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t k = 0;
    while (*p) {
        unsigned cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            n = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            n = 2;
        } else if ((*p & 0xF8) == 0xF0) {
            cp = *p & 0x07;
            n = 3;
        } else {
            p++;
            continue;
        }
        p++;
        int ok = 1;
        for (int i = 0; i < n; i++) {
            if ((*p & 0xC0) != 0x80) {
                ok = 0;
                break;
            }
            cp = (cp << 6) | (*p++ & 0x3F);
        }
        if (ok)
            ascii_of(cp, out, &k, outlen);
    }
    out[k] = '\0';
}

void cinto_att_secure_filename(const char *base, char *out, size_t outlen)
{
    char ascii[CINTO_ATT_NAME_MAX * 4];
    to_ascii(base, ascii, sizeof ascii);
    /* Separators become spaces, whitespace runs one '_' (Python's split()
     * also splits on \x1c-\x1f), other characters outside the safe set go. */
    size_t k = 0;
    int in_space = 0, started = 0;
    for (const char *p = ascii; *p && k + 1 < outlen; p++) {
        unsigned char ch = (unsigned char)*p;
        int space =
            ch == '/' || ch == ' ' || (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x1F);
        if (space) {
            in_space = 1;
            continue;
        }
        if (in_space && started && k + 1 < outlen)
            out[k++] = '_';
        in_space = 0;
        started = 1;
        if (isalnum(ch) || ch == '_' || ch == '.' || ch == '-')
            out[k++] = (char)ch;
    }
    out[k] = '\0';
    /* strip("._") */
    size_t a = 0;
    while (out[a] == '.' || out[a] == '_')
        a++;
    size_t b = strlen(out);
    while (b > a && (out[b - 1] == '.' || out[b - 1] == '_'))
        b--;
    memmove(out, out + a, b - a);
    out[b - a] = '\0';
}

int cinto_att_format(const char *pattern, const char *const *names, const char *const *values,
                     size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (const char *p = pattern; *p;) {
        const char *piece = p;
        size_t len = 1;
        if (*p == '{' && p[1] == '{') {
            len = 1;
            p += 2;
        } else if (*p == '}' && p[1] == '}') {
            piece = "}";
            p += 2;
        } else if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return -1;
            size_t nl = (size_t)(close - p - 1);
            piece = NULL;
            for (size_t i = 0; i < n && !piece; i++)
                if (strlen(names[i]) == nl && strncmp(names[i], p + 1, nl) == 0)
                    piece = values[i];
            if (!piece)
                return -1;
            len = strlen(piece);
            p = close + 1;
        } else if (*p == '}') {
            return -1;
        } else {
            p++;
        }
        if (k + len >= outlen)
            return -1;
        memcpy(out + k, piece, len);
        k += len;
    }
    out[k] = '\0';
    return 0;
}

int cinto_att_clean_folder(const char *in, char *out, size_t outlen)
{
    size_t k = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            break;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return -1;
        if (k + len + 2 >= outlen)
            return -1;
        if (k)
            out[k++] = '/';
        memcpy(out + k, p, len);
        k += len;
        p += len;
    }
    out[k] = '\0';
    return 0;
}

/* ---- mimetypes ------------------------------------------------------------ */

/* What a file's extension usually means, for clients that send no
 * Content-Type with the part. */
static const struct {
    const char *ext, *type;
} known_types[] = {
    {"pdf", "application/pdf"},
    {"txt", "text/plain"},
    {"json", "application/json"},
    {"csv", "text/csv"},
    {"xml", "application/xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"jpe", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"bmp", "image/bmp"},
    {"tiff", "image/tiff"},
    {"html", "text/html"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/x-wav"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"js", "text/javascript"},
    {"rtf", "application/rtf"},
    {"doc", "application/msword"},
    {"ini", "text/plain"},
    {"7z", "application/x-7z-compressed"},
};

/* The override of ".ext" in "…;.ext:type;…" (exact match), copied to out. */
static int override_of(const char *overrides, const char *dotext, char *out, size_t outlen)
{
    size_t el = strlen(dotext);
    for (const char *p = overrides; p && *p;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        const char *colon = memchr(p, ':', len);
        if (colon && (size_t)(colon - p) == el && strncmp(p, dotext, el) == 0) {
            const char *t = colon + 1;
            size_t tl = len - el - 1;
            while (tl && isspace((unsigned char)*t)) {
                t++;
                tl--;
            }
            while (tl && isspace((unsigned char)t[tl - 1]))
                tl--;
            snprintf(out, outlen, "%.*s", (int)tl, t);
            return 1;
        }
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

void cinto_att_mimetype(const char *overrides, const char *base, const char *client_type, char *out,
                        size_t outlen)
{
    /* The extension as written (upstream compares it exactly). */
    const char *p = base;
    while (*p == '.')
        p++;
    const char *dot = strrchr(p, '.');
    char dotext[64] = "";
    if (dot)
        snprintf(dotext, sizeof dotext, "%s", dot);
    if (*dotext && override_of(overrides, dotext, out, outlen))
        return;
    if (strcmp(dotext, ".pem") == 0) {
        snprintf(out, outlen, "application/x-pem-file");
        return;
    }
    if (strcmp(dotext, ".geojson") == 0) {
        snprintf(out, outlen, "application/geojson");
        return;
    }
    if (client_type && *client_type) {
        /* The media type without its parameters, as cgi.FieldStorage. */
        size_t n = strcspn(client_type, ";");
        while (n && isspace((unsigned char)client_type[n - 1]))
            n--;
        const char *t = client_type;
        while (n && isspace((unsigned char)*t)) {
            t++;
            n--;
        }
        snprintf(out, outlen, "%.*s", (int)n, t);
        for (char *q = out; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (*out)
            return;
    }
    char ext[32];
    cinto_att_extension(base, ext, sizeof ext);
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(known_types[i].ext, ext) == 0) {
            snprintf(out, outlen, "%s", known_types[i].type);
            return;
        }
    snprintf(out, outlen, "application/octet-stream");
}
