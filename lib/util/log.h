/* One log for the whole program. Hosting customers cannot read the web
 * server's error log, so besides stderr (which the web server keeps) every
 * line can also go to a file of ours (kinto.log_file). Never pass a secret
 * (password, HMAC secret, Authorization) to these functions: the log is
 * meant to be read by the customer and pasted into support requests. */
#ifndef CINTO_UTIL_LOG_H
#define CINTO_UTIL_LOG_H

/* Sets (or, with NULL or "", removes) the log file. The file is opened in
 * append mode for each line, so a rotated or deleted file is recreated and
 * no descriptor is held. Returns 0, or -1 when the file cannot be opened
 * for appending now (the setting is kept: a later line may succeed). */
int cinto_log_set_file(const char *path);
const char *cinto_log_file(void);

/* "2026-12-04T22:57:03Z cinto[PID]: message" to stderr and the log file. */
void cinto_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As cinto_log, but a condition that repeats on every request is written
 * once: a line whose key equals the previous keyed line's key is dropped
 * unless interval_s seconds have passed since it was last written. Returns
 * 1 when written, 0 when dropped. */
int cinto_log_once(const char *key, int interval_s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forgets the key of cinto_log_once (after the condition cleared). */
void cinto_log_once_reset(void);

#endif
