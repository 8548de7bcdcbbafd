lib_libcinto_la_SOURCES += lib/patch/pointer.c lib/patch/pointer.h lib/patch/ops.c \
	lib/patch/ops.h lib/patch/patch.c lib/patch/patch.h lib/patch/kinto.c

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_patch
TESTS += tests/unit/test_patch
tests_unit_test_patch_SOURCES = tests/unit/test_patch.c
tests_unit_test_patch_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_patch_LDADD = $(UNIT_LDADD)
endif
