/* The admin plugin (kinto.plugins.admin): the `admin` capability and the
 * /v1/admin location of Kinto Admin, which cinto does not ship: the user
 * unpacks its release archive into the admin folder and the web server
 * serves that folder's files at /v1/admin/ (README, "Kinto Admin"). */
#ifndef CINTO_PLUGINS_ADMIN_H
#define CINTO_PLUGINS_ADMIN_H

#include "api/plugin.h"

extern const cinto_plugin cinto_plugin_admin;

#endif
