lib_libcinto_la_SOURCES += lib/storage/storage.h lib/storage/common.c lib/storage/mariadb.c
nodist_lib_libcinto_la_SOURCES += lib/storage/migrations.c
BUILT_SOURCES += lib/storage/migrations.c
CLEANFILES += lib/storage/migrations.c
EXTRA_DIST += lib/storage/gen-migrations.sh
lib/storage/migrations.c: $(srcdir)/lib/storage/gen-migrations.sh $(srcdir)/sql/*.sql
	$(AM_V_GEN)$(MKDIR_P) lib/storage && \
	sh $(srcdir)/lib/storage/gen-migrations.sh $(srcdir)/sql > $@.tmp && mv $@.tmp $@
