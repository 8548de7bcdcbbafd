/* Declared indexed fields (lib/plugins/indexed_fields.c): the always-on
 * module behind a collection's data.indexed_fields. */
#ifndef CINTO_PLUGINS_INDEXED_FIELDS_H
#define CINTO_PLUGINS_INDEXED_FIELDS_H

#include <stdio.h>

#include "api/plugin.h"
#include "storage/storage.h"

extern const cinto_plugin cinto_plugin_indexed_fields;

/* `cinto.fcgi reindex [PREFIX]`: rebuilds every declared field of the
 * collections whose URI starts with prefix (all when NULL or ""), slice by
 * slice, each slice its own transaction on the locked list; prints one
 * line per collection. 0, or -1 after printing the failure. */
int cinto_indexed_fields_reindex(cinto_storage *st, const char *prefix, long long now_ms,
                                 FILE *out);

#endif
