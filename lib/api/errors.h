/* Kinto-style error answers (spec 08 §8.3-8.4). Every helper resets the
 * response first, so a handler can bail out at any point. */
#ifndef CINTO_API_ERRORS_H
#define CINTO_API_ERRORS_H

#include "api/app.h"

enum cinto_errno {
    CINTO_ERRNO_MISSING_AUTH_TOKEN = 104,
    CINTO_ERRNO_INVALID_PARAMETERS = 107,
    CINTO_ERRNO_INVALID_RESOURCE_ID = 110,
    CINTO_ERRNO_MISSING_RESOURCE = 111,
    CINTO_ERRNO_MISSING_CONTENT_LENGTH = 112,
    CINTO_ERRNO_REQUEST_TOO_LARGE = 113,
    CINTO_ERRNO_MODIFIED_MEANWHILE = 114,
    CINTO_ERRNO_METHOD_NOT_ALLOWED = 115,
    CINTO_ERRNO_VERSION_NOT_AVAILABLE = 116,
    CINTO_ERRNO_FORBIDDEN = 121,
    CINTO_ERRNO_CONSTRAINT_VIOLATED = 122,
    CINTO_ERRNO_BACKEND = 201,
    CINTO_ERRNO_SERVICE_DEPRECATED = 202,
    CINTO_ERRNO_UNDEFINED = 999,
};

/* Generic error; details is taken over (may be NULL); message may be NULL. */
void cinto_error(cinto_ctx *c, int status, int errnum, const char *message, json_object *details);
/* 400 errno 107 with one validation detail; name may be NULL. */
void cinto_error_invalid(cinto_ctx *c, const char *location, const char *name,
                         const char *description);
/* Same with another status (406, 415). */
void cinto_error_invalid_status(cinto_ctx *c, int status, const char *location, const char *name,
                                const char *description);
/* 400 errno 107 for a body that is not JSON or is a bare value: upstream
 * reports the parse problem and then the body as missing
 * ({"location": "body", "name": "", "description": "Required"}). */
void cinto_error_body_unusable(cinto_ctx *c, const char *description);
/* 401 (anonymous) or 403 (authenticated). */
void cinto_error_denied(cinto_ctx *c);
/* 404 errno 110/111 with {"id", "resource_name"}. */
void cinto_error_not_found(cinto_ctx *c, int errnum, const char *id, const char *resource);
/* Maps a storage failure: 503, 409 or 500. */
void cinto_error_storage(cinto_ctx *c, int st_rc);
void cinto_error_internal(cinto_ctx *c, const char *why);

#endif
