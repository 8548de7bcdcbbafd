/* Maps the official meta-schema URIs to the embedded copies. */
#include "schema/internal.h"
#include "schema/metaschemas.h"

#include <string.h>

static const struct {
    const char *uri;
    const char *file;
} builtin_uris[] = {
    {"http://json-schema.org/draft-04/schema", "draft4.json"},
    {"https://json-schema.org/draft-04/schema", "draft4.json"},
    {"http://json-schema.org/draft-06/schema", "draft6.json"},
    {"https://json-schema.org/draft-06/schema", "draft6.json"},
    {"http://json-schema.org/draft-07/schema", "draft7.json"},
    {"https://json-schema.org/draft-07/schema", "draft7.json"},
    {"https://json-schema.org/draft/2019-09/schema", "draft2019-09.json"},
    {"https://json-schema.org/draft/2020-12/schema", "draft2020-12.json"},
};

static json_object *parse_blob(const char *file)
{
    for (size_t i = 0; i < cinto_metaschema_nblobs; i++)
        if (strcmp(cinto_metaschema_blobs[i].file, file) == 0)
            return json_tokener_parse(cinto_metaschema_blobs[i].text);
    return NULL;
}

json_object *cinto_schema_builtin(const char *uri)
{
    for (size_t i = 0; i < sizeof builtin_uris / sizeof builtin_uris[0]; i++)
        if (strcmp(builtin_uris[i].uri, uri) == 0)
            return parse_blob(builtin_uris[i].file);
    /* The vocabulary meta-schemas live in one file keyed by their URIs. */
    if (strncmp(uri, "https://json-schema.org/draft/2019-09/meta/", 43) != 0 &&
        strncmp(uri, "https://json-schema.org/draft/2020-12/meta/", 43) != 0)
        return NULL;
    json_object *all = parse_blob("vocabularies.json"), *one = NULL;
    if (all && json_object_object_get_ex(all, uri, &one) && one)
        json_object_get(one);
    else
        one = NULL;
    json_object_put(all);
    return one;
}
