/* The core's side of the plugin table: which plugins are on, and the
 * loops that call their hooks. */
#include "api/plugin.h"
#include "api/errors.h"
#include "api/resource.h"
#include "util/log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cinto_plugin *find(const char *name)
{
    for (size_t i = 0; cinto_plugin_table[i]; i++) {
        const cinto_plugin *p = cinto_plugin_table[i];
        if (strcmp(p->name, name) == 0)
            return p;
        for (size_t k = 0; p->aliases && p->aliases[k]; k++)
            if (strcmp(p->aliases[k], name) == 0)
                return p;
    }
    return NULL;
}

static int enabled(const cinto_app *app, const cinto_plugin *p)
{
    for (size_t i = 0; i < app->nplugins; i++)
        if (app->plugins[i] == p)
            return 1;
    return 0;
}

static int enable(cinto_app *app, const cinto_plugin *p)
{
    if (enabled(app, p))
        return 0;
    const cinto_plugin **list = realloc(app->plugins, (app->nplugins + 1) * sizeof *list);
    if (!list)
        return -1;
    app->plugins = list;
    app->plugins[app->nplugins++] = p;
    return 0;
}

int cinto_plugins_configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    char **includes = NULL;
    int rc = 0;
    cinto_settings_list(s, "includes", &includes);
    for (size_t i = 0; includes && includes[i] && rc == 0; i++) {
        const cinto_plugin *p = find(includes[i]);
        if (p)
            rc = enable(app, p);
        else
            cinto_log("plugin '%s' is not available in this build; ignored", includes[i]);
    }
    cinto_strv_free(includes);
    for (size_t i = 0; cinto_plugin_table[i] && rc == 0; i++)
        if (cinto_plugin_table[i]->enabled_by && cinto_plugin_table[i]->enabled_by(s))
            rc = enable(app, cinto_plugin_table[i]);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < app->nplugins; i++) {
        if (app->plugins[i]->configure && app->plugins[i]->configure(app, s, err, errlen) < 0)
            return -1;
        if (app->plugins[i]->on_write)
            app->nlisteners++;
    }
    return 0;
}

const cinto_plugin *cinto_plugins_policy(const cinto_app *app, const char *use, int *known)
{
    *known = 0;
    for (size_t i = 0; use && cinto_plugin_table[i]; i++) {
        const cinto_plugin *p = cinto_plugin_table[i];
        if (!p->policy_use || !strstr(use, p->policy_use))
            continue;
        *known = 1;
        if (enabled(app, p))
            return p;
    }
    return NULL;
}

void cinto_plugins_capabilities(cinto_ctx *c, json_object *caps)
{
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->capability)
            c->app->plugins[i]->capability(c, caps);
}

void cinto_plugins_user_info(cinto_ctx *c, json_object *user)
{
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->user_info)
            c->app->plugins[i]->user_info(c, user);
}

int cinto_plugins_before(cinto_ctx *c)
{
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->before_handler && c->app->plugins[i]->before_handler(c) < 0)
            return -1;
    return 0;
}

int cinto_plugins_validate(cinto_rctx *r, json_object *data)
{
    const cinto_app *app = r->c->app;
    for (size_t i = 0; i < app->nplugins; i++)
        if (app->plugins[i]->kind == (int)r->kind && app->plugins[i]->validate)
            return app->plugins[i]->validate(r, data);
    return 0;
}

/* The plugin of this build that owns r's kind, when it is on. */
static const cinto_plugin *kind_owner(const cinto_rctx *r)
{
    const cinto_app *app = r->c->app;
    for (size_t i = 0; i < app->nplugins; i++)
        if (app->plugins[i]->kind == (int)r->kind)
            return app->plugins[i];
    return NULL;
}

int cinto_plugins_remove(cinto_rctx *r, const char *uri)
{
    const cinto_plugin *p = kind_owner(r);
    if (p && p->remove)
        return p->remove(r, uri);
    int rc = r->c->st->ops->acl_clear(r->c->st, uri);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
    return 0;
}

int cinto_plugins_sees_permissions(cinto_rctx *r, json_object *writers)
{
    const cinto_plugin *p = kind_owner(r);
    return p && p->sees_permissions ? p->sees_permissions(r, writers) : 0;
}

int cinto_report_write(cinto_ctx *c, const cinto_write_event *ev)
{
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->on_write && c->app->plugins[i]->on_write(c, ev) < 0)
            return -1;
    return 0;
}

int cinto_plugins_heartbeat(cinto_ctx *c, json_object *checks)
{
    int ok = 1;
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->heartbeat && !c->app->plugins[i]->heartbeat(c, checks))
            ok = 0;
    return ok;
}

void cinto_plugins_tx_hook(void *arg, int event, int level)
{
    cinto_app *app = arg;
    for (size_t i = 0; i < app->nplugins; i++)
        if (app->plugins[i]->on_tx)
            app->plugins[i]->on_tx(app, (cinto_tx_event)event, level);
}

const cinto_plugin *cinto_plugins_command(const char *name)
{
    for (size_t i = 0; cinto_plugin_table[i]; i++)
        if (cinto_plugin_table[i]->command && strcmp(cinto_plugin_table[i]->command, name) == 0)
            return cinto_plugin_table[i];
    return NULL;
}

int cinto_plugins_run_command(cinto_app *app, const char *name, int argc, char **argv)
{
    const cinto_plugin *p = cinto_plugins_command(name);
    assert(p);
    if (!enabled(app, p)) {
        fprintf(stderr, "cinto: %s: the %s plugin is not in kinto.includes\n", name, p->name);
        return 2;
    }
    return p->run_command(app, argc, argv);
}

int cinto_plugins_list_indexes(cinto_ctx *c, const char *parent, const char *resource,
                               cinto_strv *ready)
{
    for (size_t i = 0; i < c->app->nplugins; i++)
        if (c->app->plugins[i]->list_indexes &&
            c->app->plugins[i]->list_indexes(c, parent, resource, ready) < 0)
            return -1;
    return 0;
}
