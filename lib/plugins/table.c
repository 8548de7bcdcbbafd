/* Every plugin of this build, one row each (plugin.h). A new plugin adds
 * its file and its row here; nothing else in the tree names it. */
#include "plugins/accounts.h"
#include "plugins/admin.h"
#include "plugins/default_bucket.h"
#include "plugins/indexed_fields.h"
#include "plugins/permissions.h"

extern const cinto_plugin cinto_plugin_flush;
extern const cinto_plugin cinto_plugin_history;
extern const cinto_plugin cinto_plugin_changes;
extern const cinto_plugin cinto_plugin_counters;
extern const cinto_plugin cinto_plugin_attachments;

const cinto_plugin *const cinto_plugin_table[] = {
    /* First: it vetoes a bad collection declaration before others act. */
    &cinto_plugin_indexed_fields,
    &cinto_plugin_accounts,
    &cinto_plugin_default_bucket,
    &cinto_plugin_flush,
    &cinto_plugin_history,
    &cinto_plugin_changes,
    &cinto_plugin_counters,
    &cinto_plugin_permissions,
    &cinto_plugin_admin,
    &cinto_plugin_attachments,
    NULL,
};
