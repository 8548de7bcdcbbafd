/* kinto.plugins.admin: where Kinto Admin lives. cinto does not ship it:
 * the README tells the user to unpack Kinto Admin's release archive into
 * the folder `admin/` beside cinto.fcgi (or kinto.admin_assets_path, as
 * upstream calls it) and to let the web server serve its files at
 * /v1/admin/. The release is built for exactly that place: its pages load
 * /v1/admin/assets/... and it takes the server URL from its own address,
 * the part before "/admin/".
 *
 * cinto answers what the web server leaves to it: /v1/admin redirects to
 * /v1/admin/ (upstream), /v1/admin/ to the folder's index.html (served by
 * the web server), and a file that is not there gets a JSON 404 that says
 * how to install Admin. The `admin` capability carries the installed
 * version (the VERSION file of the release), "" when none is installed. */
#include "plugins/admin.h"
#include "plugins/permissions.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static char version[64];

/* Reads the installed release's VERSION once per worker. */
static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    char path[4096];
    const char *dir = cinto_settings_get(s, "admin_assets_path");
    if (dir && *dir)
        snprintf(path, sizeof path, "%s/VERSION", dir);
    else
        snprintf(path, sizeof path, "%s/admin/VERSION", app->binary_dir);
    version[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) {
        cinto_log("kinto.plugins.admin: Kinto Admin is not installed (%s is missing); unpack "
                  "kinto-admin-release.tar there",
                  path);
        return 0;
    }
    if (fgets(version, sizeof version, f))
        version[strcspn(version, "\r\n")] = '\0';
    fclose(f);
    return 0;
}

static void capability(cinto_ctx *c, json_object *caps)
{
    (void)c;
    json_object *o =
        cinto_capability("Serves the admin console.", "https://github.com/Kinto/kinto-admin/");
    json_object_object_add(o, "version", json_object_new_string(version));
    json_object_object_add(caps, "admin", o);
}

static void redirect_to(cinto_ctx *c, const char *path)
{
    cinto_buf loc = CINTO_BUF_INIT;
    cinto_base_url(c, &loc);
    cinto_buf_puts(&loc, path);
    c->resp->status = 307;
    cinto_response_set(c->resp, "Location", "%s", cinto_buf_str(&loc));
    cinto_buf_free(&loc);
}

/* /v1/admin -> /v1/admin/, as upstream. */
static void handle_admin(cinto_ctx *c)
{
    redirect_to(c, "/v1/admin/");
}

/* /v1/admin/ -> the folder's index.html, which the web server serves
 * (a web server that maps only existing files, not folders, sends the
 * folder itself here). */
static void handle_admin_home(cinto_ctx *c)
{
    redirect_to(c, "/v1/admin/index.html");
}

/* A file of the folder reached cinto: it is not there. */
static void handle_admin_file(cinto_ctx *c)
{
    cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                "Kinto Admin is not installed here: unpack kinto-admin-release.tar into the "
                "admin/ folder beside cinto.fcgi (or kinto.admin_assets_path) and let the web "
                "server serve it at /v1/admin/ (README, section Kinto Admin).",
                NULL);
}

static const cinto_route_def routes[] = {
    {"/admin", CINTO_READ_METHODS, handle_admin, -1, 0, 0, NULL},
    {"/admin/", CINTO_READ_METHODS, handle_admin_home, -1, 0, 0, NULL},
    {"/admin/{file}", CINTO_READ_METHODS, handle_admin_file, -1, 0, 0, NULL},
    {"/admin/{dir}/{file}", CINTO_READ_METHODS, handle_admin_file, -1, 0, 0, NULL},
};

static const char *const settings[] = {"admin_assets_path", NULL};

const cinto_plugin cinto_plugin_admin = {
    .name = CINTO_ADMIN_PLUGIN_NAME,
    .settings = settings,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
};
