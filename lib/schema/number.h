/* Exact decimal numbers for JSON Schema.
 *
 * Numeric keywords are compared on the numbers' decimal texts, never on
 * doubles: json-c keeps the text of every parsed double, so 0.1 stays 0.1,
 * multipleOf 0.01 has no rounding error, and integers up to 2^64 (and,
 * for documents parsed outside the strict parser, beyond) keep all their
 * digits. A number is sign × digits × 10^exp with the digits free of
 * leading and trailing zeros, so equal values have equal representations. */
#ifndef CINTO_SCHEMA_NUMBER_H
#define CINTO_SCHEMA_NUMBER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cinto_num {
    int neg;
    long long exp;
    size_t nd;       /* 0 for zero */
    const char *dig; /* nd ASCII digits, not NUL-terminated */
    char *heap;      /* owned storage when the inline buffer was too small */
    char buf[48];
} cinto_num;

/* Reads a JSON number (json_type_int or json_type_double) from its text.
 * n->dig may point into n itself: do not copy a cinto_num by value once
 * parsed (use cinto_num_dup). Returns 0, or -1 for a non-number, a
 * non-finite double or memory exhaustion. */
int cinto_num_from_json(json_object *v, cinto_num *n);
/* Parses a JSON number text. */
int cinto_num_parse(const char *s, size_t len, cinto_num *n);
void cinto_num_release(cinto_num *n);
/* Makes dst an independent copy whose digits live in storage that the
 * caller provides through alloc (e.g. an arena). */
int cinto_num_dup(cinto_num *dst, const cinto_num *src, void *(*alloc)(void *, size_t), void *ctx);

/* <0, 0, >0 */
int cinto_num_cmp(const cinto_num *a, const cinto_num *b);
int cinto_num_is_integer(const cinto_num *n);
int cinto_num_is_zero(const cinto_num *n);
/* Value of a non-negative integer, saturated at UINT64_MAX. -1 when n is
 * negative or not an integer. */
int cinto_num_to_u64(const cinto_num *n, uint64_t *out);
/* Whether x is an integer multiple of d (d > 0): 1 yes, 0 no, -1 when the
 * numbers are too long to decide within the work bound. */
int cinto_num_is_multiple(const cinto_num *x, const cinto_num *d);
/* A hash equal for equal numbers (1 and 1.0 alike). */
uint64_t cinto_num_hash(const cinto_num *n);

#endif
