lib_libcinto_la_SOURCES += lib/api/app.c lib/api/app.h lib/api/errors.c lib/api/errors.h \
	lib/api/router.c lib/api/router.h lib/api/handlers.h lib/api/principals.c lib/api/root.c \
	lib/api/resource.c lib/api/resource.h lib/api/resource_internal.h lib/api/acl.c \
	lib/api/plugin.c lib/api/plugin.h lib/api/kinds.c lib/api/writes.c lib/api/objects.c lib/api/lists.c lib/api/validation.c lib/api/batch.c \
	lib/api/openapi.c lib/api/user_data.c

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_router
TESTS += tests/unit/test_router
tests_unit_test_router_SOURCES = tests/unit/test_router.c
tests_unit_test_router_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_router_LDADD = $(UNIT_LDADD)
endif

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_app_body
TESTS += tests/unit/test_app_body
tests_unit_test_app_body_SOURCES = tests/unit/test_app_body.c
tests_unit_test_app_body_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_app_body_LDADD = $(UNIT_LDADD)
endif
