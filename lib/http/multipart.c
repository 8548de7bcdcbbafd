/* Streaming multipart/form-data parser: skeleton (the interface is fixed,
 * the parser follows). */
#include "http/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cinto_multipart {
    cinto_multipart_limits limits;
    cinto_multipart_callbacks cb;
    char boundary[71];
};

int cinto_multipart_boundary(const char *content_type, char *out, size_t outsz)
{
    (void)content_type;
    if (outsz)
        out[0] = '\0';
    return CINTO_MP_BAD_CONTENT_TYPE;
}

cinto_multipart *cinto_multipart_new(const char *boundary, const cinto_multipart_limits *limits,
                                     const cinto_multipart_callbacks *cb)
{
    cinto_multipart *mp = calloc(1, sizeof *mp);
    if (!mp)
        return NULL;
    mp->limits = *limits;
    mp->cb = *cb;
    snprintf(mp->boundary, sizeof mp->boundary, "%s", boundary);
    return mp;
}

int cinto_multipart_feed(cinto_multipart *mp, const char *buf, size_t n)
{
    (void)mp, (void)buf, (void)n;
    return CINTO_MP_MALFORMED;
}

int cinto_multipart_finish(cinto_multipart *mp)
{
    (void)mp;
    return CINTO_MP_TRUNCATED;
}

const char *cinto_multipart_message(int status)
{
    (void)status;
    return "Invalid multipart/form-data body";
}

void cinto_multipart_free(cinto_multipart *mp)
{
    free(mp);
}
