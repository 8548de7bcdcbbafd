lib_libcinto_la_SOURCES += lib/util/buf.c lib/util/buf.h lib/util/json.c lib/util/json.h \
	lib/util/log.c lib/util/log.h lib/util/clock.h
include $(srcdir)/lib/util/pure.mk

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_json
TESTS += tests/unit/test_json
tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_json_LDADD = $(UNIT_LDADD)
endif
