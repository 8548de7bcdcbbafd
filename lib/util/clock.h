/* A clock for durations: CLOCK_MONOTONIC only moves forward, so a wall
 * clock stepped while a request runs (NTP, an operator) cannot stretch or
 * cut a time budget. */
#ifndef CINTO_UTIL_CLOCK_H
#define CINTO_UTIL_CLOCK_H

#include <time.h>

/* Milliseconds since an unspecified start, for differences only. */
static inline long long cinto_monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#endif
