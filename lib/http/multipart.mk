# Streaming multipart/form-data parser (included from lib/http/local.mk).
lib_libcinto_la_SOURCES += lib/http/multipart.c lib/http/multipart.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_multipart
TESTS += tests/unit/test_multipart
tests_unit_test_multipart_SOURCES = tests/unit/test_multipart.c
tests_unit_test_multipart_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_multipart_LDADD = $(UNIT_LDADD)
endif
