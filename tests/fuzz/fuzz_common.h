/* Helpers shared by the libFuzzer harnesses: the libraries under test want
 * NUL-terminated text, and libFuzzer hands out raw bytes. */
#ifndef CINTO_FUZZ_COMMON_H
#define CINTO_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy of data[0..size) with a NUL after it (the copy is exact-size so that
 * ASan catches reads past the terminator). */
static inline char *cinto_fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A property violation is a bug like a crash: report it and abort so that
 * libFuzzer saves the input. */
#define CINTO_FUZZ_CHECK(cond, ...)                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
