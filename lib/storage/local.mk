lib_libcinto_la_SOURCES += lib/storage/storage.h lib/storage/common.c lib/storage/mariadb.c \
	lib/storage/sqltext.c lib/storage/sqltext.h lib/storage/options.c
nodist_lib_libcinto_la_SOURCES += lib/storage/migrations.c
BUILT_SOURCES += lib/storage/migrations.c
CLEANFILES += lib/storage/migrations.c
EXTRA_DIST += lib/storage/gen-migrations.sh
lib/storage/migrations.c: $(srcdir)/lib/storage/gen-migrations.sh $(srcdir)/sql/*.sql
	$(AM_V_GEN)$(MKDIR_P) lib/storage && \
	sh $(srcdir)/lib/storage/gen-migrations.sh $(srcdir)/sql > $@.tmp && mv $@.tmp $@

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_storage
TESTS += tests/unit/test_storage
tests_unit_test_storage_SOURCES = tests/unit/test_storage.c
tests_unit_test_storage_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_storage_LDADD = $(UNIT_LDADD)
endif
