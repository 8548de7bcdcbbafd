/* The permissions endpoint (spec 04 §4.10): GET/HEAD /permissions, on
 * when kinto.experimental_permissions_endpoint is true or the admin
 * plugin is included, as upstream. */
#ifndef CINTO_PLUGINS_PERMISSIONS_H
#define CINTO_PLUGINS_PERMISSIONS_H

#include "api/plugin.h"

/* Upstream's include name of the admin plugin (plugins/admin.c), which
 * also turns the endpoint on. */
#define CINTO_ADMIN_PLUGIN_NAME "kinto.plugins.admin"

extern const cinto_plugin cinto_plugin_permissions;

#endif
