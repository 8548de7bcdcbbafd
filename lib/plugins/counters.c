/* The counters plugin (spec 06 §6.9, UTIL-6): GET /__counters__ answers
 * {"objects": {kind: n}, "tombstones": {kind: n}} with non-zero counts
 * only, as upstream's kinto.plugins.counters, for the kinds account,
 * bucket, group, collection and record.
 *
 * Upstream counts the whole objects table on each call; here the counts
 * are kept by this plugin's write-event hook, in the write's transaction
 * (one upsert of this worker's row of the counters table per write), and
 * the endpoint sums at most a few rows per kind. The migration that
 * creates the table seeds it with one count of what is stored.
 *
 * What the counts cannot see (say so, do not guess): writes made while
 * the plugin was off (after the seed). History entries are not counted:
 * the history plugin writes them without a write event. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/router.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Rows per kind: writers of different workers use different rows. */
#define SHARDS 32

static const char *const counted[] = {"account", "bucket", "group", "collection", "record", NULL};

static int is_counted(const char *resource)
{
    for (size_t i = 0; counted[i]; i++)
        if (strcmp(counted[i], resource) == 0)
            return 1;
    return 0;
}

/* create: one more object (one tombstone less when it replaced one);
 * delete: one object less, one more tombstone unless a cascade removed it
 * for good; a tombstone a cascade purges: one less. Updates change no
 * count. */
static int on_write(cinto_ctx *c, const cinto_write_event *ev)
{
    long long objects = 0, tombstones = 0;
    if (!is_counted(ev->resource))
        return 0;
    switch (ev->action) {
    case CINTO_ACTION_CREATE:
        objects = 1;
        tombstones = ev->revived ? -1 : 0;
        break;
    case CINTO_ACTION_DELETE:
        objects = ev->purged ? 0 : -1;
        tombstones = ev->purged ? -1 : ev->cascade ? 0 : 1;
        break;
    case CINTO_ACTION_UPDATE:
        return 0;
    }
    int rc = c->st->ops->counters_add(c->st, ev->resource, (int)(getpid() % SHARDS), objects,
                                      tombstones);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

static void handle_counters(cinto_ctx *c)
{
    cinto_counts counts[64];
    size_t n = 0;
    int rc = c->st->ops->counters_read(c->st, counts, sizeof counts / sizeof counts[0], &n);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return;
    }
    json_object *o = json_object_new_object(), *objects = json_object_new_object(),
                *tombstones = json_object_new_object();
    /* In upstream's kind order. */
    for (size_t k = 0; counted[k]; k++)
        for (size_t i = 0; i < n; i++) {
            if (strcmp(counts[i].resource, counted[k]) != 0)
                continue;
            if (counts[i].objects > 0)
                json_object_object_add(objects, counted[k],
                                       json_object_new_int64(counts[i].objects));
            if (counts[i].tombstones > 0)
                json_object_object_add(tombstones, counted[k],
                                       json_object_new_int64(counts[i].tombstones));
        }
    json_object_object_add(o, "objects", objects);
    json_object_object_add(o, "tombstones", tombstones);
    cinto_response_json(c->resp, 200, o);
    json_object_put(o);
}

static void capability(cinto_ctx *c, json_object *caps)
{
    (void)c;
    json_object_object_add(
        caps, "counters_endpoint",
        cinto_capability("The __counters__ endpoint exposes how many objects are stored.",
                         "https://kinto.readthedocs.io/en/latest/api/1.x/counters.html"));
}

static const cinto_route_def routes[] = {
    {"/__counters__", CINTO_READ_METHODS, handle_counters, -1, 0, CINTO_NEEDS_STORAGE, NULL},
};

const cinto_plugin cinto_plugin_counters = {
    .name = "kinto.plugins.counters",
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
    .on_write = on_write,
};
