lib_libcinto_la_SOURCES += lib/auth/basic.c lib/auth/basic.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_auth
TESTS += tests/unit/test_auth
tests_unit_test_auth_SOURCES = tests/unit/test_auth.c
tests_unit_test_auth_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_auth_LDADD = $(UNIT_LDADD)
endif
