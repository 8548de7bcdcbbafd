# lib/schema: the JSON Schema validator (spec 05), on json-c and PCRE2.
#
# The official meta-schemas are compiled in, so that no reference ever
# needs the network. They are taken at build time from the copies Debian's
# python3-jsonschema installs (override CINTO_METASCHEMA_DIR on the make
# command line to use another copy of the same files); gen-metaschemas.sh
# turns them into lib/schema/metaschemas.c in the build tree.
CINTO_METASCHEMA_DIR = /usr/lib/python3/dist-packages/jsonschema/schemas

lib_libcinto_la_SOURCES += \
	lib/schema/schema.h \
	lib/schema/internal.h \
	lib/schema/schema.c \
	lib/schema/validate.c \
	lib/schema/number.h \
	lib/schema/number.c \
	lib/schema/regex.c \
	lib/schema/uri.c \
	lib/schema/repr.c \
	lib/schema/builtin.c \
	lib/schema/metaschemas.h
nodist_lib_libcinto_la_SOURCES += lib/schema/metaschemas.c
BUILT_SOURCES += lib/schema/metaschemas.c
CLEANFILES += lib/schema/metaschemas.c
EXTRA_DIST += lib/schema/gen-metaschemas.sh

lib/schema/metaschemas.c: $(srcdir)/lib/schema/gen-metaschemas.sh
	$(AM_V_GEN)$(MKDIR_P) lib/schema && \
	$(SHELL) $(srcdir)/lib/schema/gen-metaschemas.sh $(CINTO_METASCHEMA_DIR) > $@.tmp && \
	mv $@.tmp $@

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_schema
TESTS += tests/unit/test_schema
tests_unit_test_schema_SOURCES = tests/unit/test_schema.c tests/unit/test_schema_suite.c
tests_unit_test_schema_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_schema_LDADD = $(UNIT_LDADD)
endif
