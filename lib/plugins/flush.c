/* The flush plugin (spec 06 §6.8, UTIL-1): POST /__flush__ empties every
 * table and answers 202 {}. For test servers only: anyone may call it.
 *
 * Workers cache stored data (compiled schemas) keyed by the app's cache
 * generation. The generation lives in a small file that every worker of
 * the same database maps into memory (beside the ini file, see
 * counter_path), so a flush in one worker is seen by the others at their
 * next request, for the price of one memory read. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "util/log.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shared counter; NULL when it could not be mapped (then only the
 * worker that flushed forgets its caches). One app per worker process. */
static uint64_t *shared_generation;

/* "<dir>/.cinto-flush-<hash of kinto.storage_url>": one file per database,
 * named without revealing the URL (it holds the password). dir is the ini
 * file's folder when writable (every worker of a site reads the same
 * ini), else $TMPDIR or /tmp. */
static void counter_path(cinto_settings *s, char *out, size_t outlen)
{
    const char *url = cinto_settings_get(s, "storage_url");
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)(url ? url : ""), url ? strlen(url) : 0,
                       NULL, 0);
    char dir[400];
    const char *ini = cinto_settings_path(s);
    const char *slash = ini ? strrchr(ini, '/') : NULL;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s", tmp && *tmp ? tmp : "/tmp");
    if (slash && (size_t)(slash - ini) < sizeof dir) {
        char ini_dir[400];
        snprintf(ini_dir, sizeof ini_dir, "%.*s", (int)(slash - ini), ini);
        if (*ini_dir && access(ini_dir, W_OK) == 0)
            snprintf(dir, sizeof dir, "%s", ini_dir);
    }
    int n = snprintf(out, outlen, "%s/.cinto-flush-", dir);
    for (size_t i = 0; i < sizeof h && n > 0 && (size_t)n + 3 < outlen; i++)
        n += snprintf(out + n, outlen - (size_t)n, "%02x", h[i]);
}

static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    if (shared_generation || sodium_init() < 0)
        return 0;
    char path[512];
    counter_path(s, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    void *map = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 &&
        (st.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0))
        map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (map == MAP_FAILED)
        cinto_log("flush: cannot map %s; a flush will not reach the caches of other workers", path);
    else
        shared_generation = map;
    return 0;
}

/* Every request starts from the generation of the last flush. */
static int before_handler(cinto_ctx *c)
{
    if (shared_generation)
        c->app->cache_generation = __atomic_load_n(shared_generation, __ATOMIC_ACQUIRE);
    return 0;
}

static void handle_flush(cinto_ctx *c)
{
    cinto_storage *st = c->st;
    int rc = st->ops->begin(st);
    if (rc == CINTO_ST_OK) {
        rc = st->ops->flush(st);
        if (rc == CINTO_ST_OK)
            rc = st->ops->commit(st);
        else
            st->ops->rollback(st);
    }
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return;
    }
    if (shared_generation)
        c->app->cache_generation = __atomic_add_fetch(shared_generation, 1, __ATOMIC_ACQ_REL);
    else
        c->app->cache_generation++;
    json_object *o = json_object_new_object();
    cinto_response_json(c->resp, 202, o);
    json_object_put(o);
}

static void capability(cinto_ctx *c, json_object *caps)
{
    json_object_object_add(
        caps, "flush_endpoint",
        cinto_capability("The __flush__ endpoint can be used to remove all data from all backends.",
                         "https://kinto.readthedocs.io/en/latest/api/1.x/flush.html"));
}

/* Upstream also turns it on by kinto.flush_endpoint_enabled = true. */
static int enabled_by(cinto_settings *s)
{
    return cinto_settings_bool(s, "flush_endpoint_enabled", 0);
}

static const cinto_route_def routes[] = {
    {"/__flush__", "POST, OPTIONS", handle_flush, -1, 0, CINTO_NEEDS_STORAGE, NULL},
};

static const char *const settings[] = {"flush_endpoint_enabled", NULL};

const cinto_plugin cinto_plugin_flush = {
    .name = "kinto.plugins.flush",
    .settings = settings,
    .enabled_by = enabled_by,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .before_handler = before_handler,
    .kind = -1,
};
