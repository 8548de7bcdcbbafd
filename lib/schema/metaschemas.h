/* The official meta-schemas, compiled in so that references to them never
 * need the network.
 *
 * Source: the copies Debian's python3-jsonschema package installs in
 * /usr/lib/python3/dist-packages/jsonschema/schemas/ (draft4.json,
 * draft6.json, draft7.json, draft2019-09.json, draft2020-12.json and
 * vocabularies.json, which holds the 2019-09 and 2020-12 vocabulary
 * meta-schemas keyed by URI). gen-metaschemas.sh turns them into
 * metaschemas.c at build time; builtin.c maps URIs to them. */
#ifndef CINTO_SCHEMA_METASCHEMAS_H
#define CINTO_SCHEMA_METASCHEMAS_H

#include <stddef.h>

struct cinto_metaschema_blob {
    const char *file; /* e.g. "draft7.json" */
    const char *text; /* NUL-terminated JSON */
    size_t len;
};

extern const struct cinto_metaschema_blob cinto_metaschema_blobs[];
extern const size_t cinto_metaschema_nblobs;

#endif
