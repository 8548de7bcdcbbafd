/* See log.h. */
#include "util/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *log_path;
static char last_key[128];
static time_t last_key_time;

int cinto_log_set_file(const char *path)
{
    free(log_path);
    log_path = NULL;
    if (!path || !*path)
        return 0;
    log_path = strdup(path);
    if (!log_path)
        return -1;
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

const char *cinto_log_file(void)
{
    return log_path;
}

/* One write(2) per line: lines of concurrent workers never interleave
 * inside the O_APPEND file. */
static void log_line(const char *fmt, va_list ap)
{
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, " cinto[%ld]: ", (long)getpid());
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    /* A message never spans lines: a newline inside one would let text
     * from a request forge a log line. */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    if (log_path) {
        int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            w = write(fd, line, len);
            close(fd);
        }
    }
}

void cinto_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
}

int cinto_log_once(const char *key, int interval_s, const char *fmt, ...)
{
    time_t now = time(NULL);
    if (strncmp(last_key, key, sizeof last_key - 1) == 0 && now - last_key_time < interval_s)
        return 0;
    snprintf(last_key, sizeof last_key, "%s", key);
    last_key_time = now;
    va_list ap;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
    return 1;
}

void cinto_log_once_reset(void)
{
    last_key[0] = '\0';
}
