# Header value and query string parsers (included from lib/http/local.mk).
lib_libcinto_la_SOURCES += lib/http/parse.c lib/http/parse.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_parse
TESTS += tests/unit/test_parse
tests_unit_test_parse_SOURCES = tests/unit/test_parse.c
tests_unit_test_parse_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_parse_LDADD = $(UNIT_LDADD)
endif
