# Codecs and random ids (included from lib/util/local.mk).
lib_libcinto_la_SOURCES += lib/util/codec.c lib/util/codec.h lib/util/random.c lib/util/random.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_codec
TESTS += tests/unit/test_codec
tests_unit_test_codec_SOURCES = tests/unit/test_codec.c
tests_unit_test_codec_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_codec_LDADD = $(UNIT_LDADD)
endif
