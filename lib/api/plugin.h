/* The plugin interface. Each plugin is one file in lib/plugins/ and one
 * row of the static table in lib/plugins/table.c (in the spirit of
 * SQLite's built-in extension table): the API core reaches plugins only
 * through these rows and names none of them. Every hook is optional. */
#ifndef CINTO_API_PLUGIN_H
#define CINTO_API_PLUGIN_H

#include "api/app.h"
#include "util/buf.h"

struct cinto_rctx;

/* One change to a stored object, as every write reports it (create,
 * update, delete, the children a cascade deletes, bulk deletes, the
 * default bucket's implicit creations), inside the request's transaction.
 * The JSON values are borrowed: read them, do not keep or change them. */
typedef enum cinto_action {
    CINTO_ACTION_CREATE,
    CINTO_ACTION_UPDATE,
    CINTO_ACTION_DELETE,
} cinto_action;

typedef struct cinto_write_event {
    cinto_action action;
    const char *resource; /* "bucket", "group", "collection", "record", "account" */
    const char *uri;      /* "/buckets/b/collections/c/records/r" */
    const char *id;
    json_object *old;         /* the object before (with id, last_modified), NULL on create */
    json_object *new;         /* after; on delete the tombstone {id, last_modified, deleted} */
    json_object *permissions; /* its ACL after the write, NULL on delete */
    const char *user;         /* prefixed user id, NULL when anonymous */
    long long timestamp;      /* of the write (the tombstone's on delete) */
    int cascade;              /* deleted because an ancestor was */
    int revived;              /* a create that replaced a tombstone of the same id */
    /* A cascade removes a tombstone for good: old and new are that
     * tombstone; nothing live changed (cascade is set too). */
    int purged;
    /* ACL rows the request read (its bucket's, collection's and the
     * object's before the write), NULL when none were read. */
    const cinto_ace_list *acl_read;
} cinto_write_event;

/* Transaction events (storage.h cinto_storage.tx_hook). */
typedef enum cinto_tx_event {
    CINTO_TX_BEGIN = CINTO_ST_TX_BEGIN,
    CINTO_TX_COMMIT = CINTO_ST_TX_COMMIT,
    CINTO_TX_ROLLBACK = CINTO_ST_TX_ROLLBACK,
} cinto_tx_event;

typedef struct cinto_plugin {
    const char *name; /* as written in kinto.includes: "kinto.plugins.accounts" */
    /* Other kinto.includes names that turn it on (upstream packages that
     * carry it), NULL-terminated; NULL: none. */
    const char *const *aliases;
    /* Settings it reads (without the "kinto." prefix), NULL-terminated:
     * what `GET /v1/` and the README document for it. */
    const char *const *settings;
    /* On without being included, by a setting of its own (upstream's
     * kinto.flush_endpoint_enabled); NULL: only kinto.includes turns it on. */
    int (*enabled_by)(cinto_settings *s);
    /* Startup: reads its settings once per worker and checks them against
     * the rest of the configuration; -1 with err set refuses to start. */
    int (*configure)(cinto_app *app, cinto_settings *s, char *err, size_t errlen);
    /* Adds its entry to GET /v1/'s capabilities. */
    void (*capability)(cinto_ctx *c, json_object *caps);
    /* Adds its fields to GET /v1/'s "user" object (authenticated users). */
    void (*user_info)(cinto_ctx *c, json_object *user);
    /* Its routes, served while it is on. */
    const cinto_route_def *routes;
    size_t nroutes;
    /* Runs before every handler, after authentication: may rewrite the
     * request, open a transaction around the handler (c->tx_open: the
     * pipeline ends it), or answer itself and return -1. */
    int (*before_handler)(cinto_ctx *c);
    /* An authentication policy: multiauth.policy.<name>.use values that
     * contain policy_use name it; authenticate returns 1 and sets *userid
     * (prefixed) when the credentials identify a user, 0 when not, a
     * negative storage error when they could not be checked. */
    const char *policy_use;
    int (*authenticate)(cinto_ctx *c, const char *user, const char *pass, char **userid);
    /* Kind-specific checks of writes of a kind it owns (resource.h
     * cinto_kind; -1 for none), as cinto_kind_info.validate. */
    int kind;
    int (*validate)(struct cinto_rctx *r, json_object *data);
    /* Removes what a deleted object of its kind leaves besides its row
     * (ACL, caches), as cinto_kind_info.on_delete; NULL: its ACL only. */
    int (*remove)(struct cinto_rctx *r, const char *uri);
    /* Whether the requester sees the permissions of an object of its kind
     * although not among writers (an anonymous creator of an account). */
    int (*sees_permissions)(struct cinto_rctx *r, json_object *writers);
    /* Every write, in its transaction: 0, or -1 after answering an error
     * (a veto: the write is undone). It may write through c->st. */
    int (*on_write)(cinto_ctx *c, const cinto_write_event *ev);
    /* Adds its check to /__heartbeat__ (a key of checks); returns 0 when
     * it fails (the answer is then a 503). */
    int (*heartbeat)(cinto_ctx *c, json_object *checks);
    /* Every transaction start and end of the storage connection (plugin
     * work that must follow the outcome, such as removing files only once
     * a deletion is committed). level 1 is the outermost transaction,
     * 2... the savepoints of a batch or of a transaction opened around
     * the handler; a commit of level > 1 only folds it into level - 1. */
    void (*on_tx)(cinto_app *app, cinto_tx_event event, int level);
    /* A maintenance command of the program (`cinto.fcgi <command> ...`):
     * run with the configured app, argv after the command name; returns
     * the exit status. */
    const char *command;
    const char *command_usage;
    int (*run_command)(cinto_app *app, int argc, char **argv);
    /* List reads of (parent, resource), before planning: appends to ready
     * the data fields it keeps an index of (lib/query/plan.h: filters and
     * sorts on them are read through it); may do bounded upkeep of that
     * index first. 0, or -1 after answering an error. */
    int (*list_indexes)(cinto_ctx *c, const char *parent, const char *resource, cinto_strv *ready);
} cinto_plugin;

/* lib/plugins/table.c: every plugin of this build, NULL-terminated. */
extern const cinto_plugin *const cinto_plugin_table[];

/* plugin.c: what the core calls. */
/* Turns on the plugins of kinto.includes (and those enabled by their own
 * settings) and configures them; unknown names are logged and ignored. */
int cinto_plugins_configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen);
/* The enabled plugin whose policy_use appears in use, or NULL (*known set
 * when a plugin of the build has it but is not enabled). */
const cinto_plugin *cinto_plugins_policy(const cinto_app *app, const char *use, int *known);
void cinto_plugins_capabilities(cinto_ctx *c, json_object *caps);
void cinto_plugins_user_info(cinto_ctx *c, json_object *user);
/* Runs the before hooks; -1 when one answered. */
int cinto_plugins_before(cinto_ctx *c);
/* The validate hook of the plugin owning r's kind (0 when none). */
int cinto_plugins_validate(struct cinto_rctx *r, json_object *data);
/* The remove hook of the plugin owning r's kind (else: the ACL only). */
int cinto_plugins_remove(struct cinto_rctx *r, const char *uri);
/* The sees_permissions hook of the plugin owning r's kind (0 when none). */
int cinto_plugins_sees_permissions(struct cinto_rctx *r, json_object *writers);
/* Whether any enabled plugin listens to writes: when none does, writers
 * skip building events altogether. */
static inline int cinto_write_listened(const cinto_app *app)
{
    return app->nlisteners > 0;
}
/* /__heartbeat__: adds the checks of the enabled plugins; 0 when one
 * failed. */
int cinto_plugins_heartbeat(cinto_ctx *c, json_object *checks);
/* The storage's transaction hook (storage.h): passes each event to the
 * on_tx hooks of the enabled plugins. arg is the app. */
void cinto_plugins_tx_hook(void *arg, int event, int level);
/* The plugin of this build with this command (enabled or not), or NULL. */
const cinto_plugin *cinto_plugins_command(const char *name);
/* Runs a command of an enabled plugin; 2 with a message on stderr when
 * the plugin is not turned on by the configuration. */
int cinto_plugins_run_command(cinto_app *app, const char *name, int argc, char **argv);
/* The indexed data fields of a list, from every list_indexes hook (none:
 * ready stays empty); -1 when one answered an error. */
int cinto_plugins_list_indexes(cinto_ctx *c, const char *parent, const char *resource,
                               cinto_strv *ready);
/* Reports one write to every listener, in table order; -1 when one
 * vetoed (it answered). */
int cinto_report_write(cinto_ctx *c, const cinto_write_event *ev);

#endif
