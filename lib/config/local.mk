lib_libcinto_la_SOURCES += lib/config/settings.c lib/config/settings.h \
	lib/config/locate.c lib/config/locate.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_settings
TESTS += tests/unit/test_settings
tests_unit_test_settings_SOURCES = tests/unit/test_settings.c
tests_unit_test_settings_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_settings_LDADD = $(UNIT_LDADD)
endif

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_locate
TESTS += tests/unit/test_locate
tests_unit_test_locate_SOURCES = tests/unit/test_locate.c
tests_unit_test_locate_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_locate_LDADD = $(UNIT_LDADD)
endif
