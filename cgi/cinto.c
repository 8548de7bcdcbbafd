/* cinto.fcgi: the FastCGI/CGI entry point and nothing else.
 *
 * Under a FastCGI spawner (lighttpd, mod_fcgid, spawn-fcgi) it loops over
 * requests; started as plain CGI it serves the one request in its
 * environment. FCGX_Accept_r does not fall back to CGI by itself (deploy
 * notes §3), so the mode is chosen with FCGX_IsCGI. Everything else is in
 * libcinto, behind the transport interface. */
#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "api/app.h"
#include "api/plugin.h"
#include "util/log.h"

/* The listening socket a FastCGI spawner hands us (FastCGI spec §2.2). */
#define LISTEN_FD 0
/* Requests between two returns of free heap pages to the system: a large
 * list or batch leaves megabytes of freed chunks that glibc keeps for the
 * life of the worker (it only trims the top of its heap); trimming every
 * few requests bounds what an idle worker holds, for a cost of a fraction
 * of a request. */
#define TRIM_EVERY 32
static volatile sig_atomic_t stopping;

/* A stop signal ends the loop cleanly, during a request after its answer:
 * libfcgi retries an accept interrupted by a signal unless a shutdown is
 * pending, and a clean return from main (rather than _exit) lets the leak
 * checker of a sanitizer build report on the worker. */
static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
    FCGX_ShutdownPending();
}

/* A request that left more free heap than this (a large list page) gives
 * it back at once rather than up to TRIM_EVERY requests later: a worker
 * that served one 10,000-record page would otherwise keep its peak. */
#define TRIM_FREE_BYTES (4u << 20)

/* Gives free heap pages back every TRIM_EVERY requests, and after any
 * request that left much of the heap free. */
static void trim_heap(unsigned long long served)
{
#ifdef __GLIBC__
    int due = served % TRIM_EVERY == 0;
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    if (!due)
        due = mallinfo2().fordblks > TRIM_FREE_BYTES;
#endif
    if (due)
        malloc_trim(0);
#else
    (void)served;
#endif
}

/* ---- FastCGI transport ---- */

static const char *fcgi_param(void *ctx, const char *name)
{
    return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static long fcgi_read(void *ctx, char *buf, size_t n)
{
    int chunk = n > INT_MAX ? INT_MAX : (int)n;
    return FCGX_GetStr(buf, chunk, ((FCGX_Request *)ctx)->in);
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Stream *out = ((FCGX_Request *)ctx)->out;
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (FCGX_PutStr(buf, chunk, out) != chunk)
            return -1;
        buf += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

/* ---- CGI transport ---- */

static const char *cgi_param(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

static long cgi_read(void *ctx, char *buf, size_t n)
{
    (void)ctx;
    size_t got = fread(buf, 1, n, stdin);
    return got == 0 && ferror(stdin) ? -1 : (long)got;
}

static int cgi_write(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static char *binary_dir(const char *argv0)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        snprintf(path, sizeof path, "%s", argv0);
        n = (ssize_t)strlen(path);
    }
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(path, sizeof path, ".");
    /* libtool runs the real binary from .libs/: the ini sits one level up. */
    size_t len = strlen(path);
    if (len >= 6 && strcmp(path + len - 6, "/.libs") == 0)
        path[len - 6] = '\0';
    return strdup(path);
}

static int run_migrate(cinto_app *app)
{
    char err[512];
    const char *ini = getenv("KINTO_INI");
    if (cinto_app_configure(app, ini && *ini ? ini : NULL, err, sizeof err) < 0 ||
        cinto_app_migrate(app, err, sizeof err) < 0) {
        fprintf(stderr, "cinto: migrate: %s\n", err);
        return 1;
    }
    printf("cinto: database is up to date\n");
    return 0;
}

/* True once kinto.worker_max_requests requests are served (0: never). */
static int recycle_due(const cinto_app *app, unsigned long long served)
{
    return app->configured && app->cfg.worker_max_requests > 0 &&
           served >= (unsigned long long)app->cfg.worker_max_requests;
}

/* The FastCGI request loop. Returns 1 when the worker has served its
 * kinto.worker_max_requests quota, 0 when it was told to stop. */
static int serve_fcgi(cinto_app *app, FCGX_Request *req)
{
    unsigned long long served = 0;
    while (!stopping && FCGX_Accept_r(req) >= 0) {
        cinto_transport t = {req, fcgi_param, fcgi_read, fcgi_write};
        cinto_app_handle(app, &t);
        FCGX_Finish_r(req);
        served++;
        trim_heap(served);
        if (!stopping && recycle_due(app, served)) {
            cinto_log("worker %ld: served %llu requests (kinto.worker_max_requests); starting "
                      "afresh",
                      (long)getpid(), served);
            return 1;
        }
    }
    return 0;
}

/* In a sanitizer build, the leak checker's entry point (absent otherwise). */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* A recycled worker replaces itself with a fresh copy of the program rather
 * than exiting (what mod_fcgid's FcgidMaxRequestsPerProcess does): the
 * listening socket (fd 0) and the pid survive exec, so requests queued on
 * the socket wait for the new image instead of being refused while the web
 * server notices the exit and respawns (lighttpd answers 503 meanwhile),
 * and a spawner that never respawns (spawn-fcgi) keeps its workers. */
static void reexec(char **argv)
{
    if (__lsan_do_recoverable_leak_check)
        __lsan_do_recoverable_leak_check();
    fflush(NULL);
    closefrom(STDERR_FILENO + 1); /* our log file and any other descriptor */
    execv("/proc/self/exe", argv);
    cinto_log("worker %ld: cannot restart itself (%s); exiting", (long)getpid(), strerror(errno));
}

/* The ini of the command line tools: KINTO_INI, else the default lookup. */
static int configure_cli(cinto_app *app, const char *what)
{
    char err[512];
    const char *ini = getenv("KINTO_INI");
    if (cinto_app_configure(app, ini && *ini ? ini : NULL, err, sizeof err) < 0) {
        fprintf(stderr, "cinto: %s: %s\n", what, err);
        return -1;
    }
    return 0;
}

/* `cinto.fcgi schema [PREFIX]`: the tables to import by hand (phpMyAdmin),
 * with the table prefix given or else the one of the ini. */
static int run_schema(cinto_app *app, const char *prefix)
{
    if (!prefix) {
        if (configure_cli(app, "schema") < 0)
            return 1;
        prefix = cinto_settings_get(app->cfg.raw, "storage_table_prefix");
    }
    char err[512];
    cinto_buf out = CINTO_BUF_INIT;
    int rc = cinto_storage_schema_sql(prefix ? prefix : "", &out, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "cinto: schema: %s\n", err);
    else
        fwrite(out.data, 1, out.len, stdout);
    cinto_buf_free(&out);
    return rc < 0;
}

/* `cinto.fcgi check`: the tables' health, for operators. */
static int run_check(cinto_app *app)
{
    if (configure_cli(app, "check") < 0)
        return 1;
    if (!app->storage) {
        fprintf(stderr, "cinto: check: kinto.storage_url is not set\n");
        return 1;
    }
    return cinto_mariadb_check(app->storage, stdout);
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [migrate | check | schema [PREFIX] | --version", argv0);
    for (size_t i = 0; cinto_plugin_table[i]; i++)
        if (cinto_plugin_table[i]->command)
            fprintf(stderr, " | %s", cinto_plugin_table[i]->command_usage);
    fprintf(stderr, "]\n");
}

int main(int argc, char **argv)
{
    char *dir = binary_dir(argv[0]);
    cinto_app *app = cinto_app_new(dir);
    free(dir);
    if (!app)
        return 1;
    int rc = 0;
    if (argc > 1) {
        if (strcmp(argv[1], "migrate") == 0)
            rc = run_migrate(app);
        else if (strcmp(argv[1], "schema") == 0 && argc <= 3)
            rc = run_schema(app, argc == 3 ? argv[2] : NULL);
        else if (strcmp(argv[1], "check") == 0)
            rc = run_check(app);
        else if (strcmp(argv[1], "--version") == 0)
            printf("cinto %s (Kinto HTTP API %s)\n", CINTO_VERSION, CINTO_HTTP_API_VERSION);
        else if (cinto_plugins_command(argv[1]))
            rc = configure_cli(app, argv[1]) < 0
                     ? 1
                     : cinto_plugins_run_command(app, argv[1], argc - 2, argv + 2);
        else {
            usage(argv[0]);
            rc = 2;
        }
        cinto_app_free(app);
        return rc;
    }
    if (FCGX_IsCGI()) {
        cinto_transport t = {NULL, cgi_param, cgi_read, cgi_write};
        rc = cinto_app_handle(app, &t) < 0;
        /* Closing stdout ends the answer for the web server now, before the
         * teardown (closing statements and the connection) runs. */
        if (fclose(stdout) != 0)
            rc = 1;
        cinto_app_free(app);
        return rc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term; /* no SA_RESTART: a blocked accept must return */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    FCGX_Init();
    FCGX_Request req;
    FCGX_InitRequest(&req, LISTEN_FD, 0);
    int recycle = serve_fcgi(app, &req);
    FCGX_Free(&req, 1);
    cinto_app_free(app);
    if (recycle)
        reexec(argv);
    return 0;
}
