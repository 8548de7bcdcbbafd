lib_libcinto_la_SOURCES += lib/plugins/table.c \
	lib/plugins/accounts.c lib/plugins/accounts.h \
	lib/plugins/account_cache.c lib/plugins/account_cache.h \
	lib/plugins/default_bucket.c lib/plugins/default_bucket.h \
	lib/plugins/flush.c lib/plugins/history.c \
	lib/plugins/changes.c lib/plugins/counters.c \
	lib/plugins/permissions.c lib/plugins/permissions.h \
	lib/plugins/admin.c lib/plugins/admin.h \
	lib/plugins/attachments.c lib/plugins/attachments.h lib/plugins/attachments_names.c \
	lib/plugins/indexed_fields.c lib/plugins/indexed_fields.h

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_attachments
TESTS += tests/unit/test_attachments
tests_unit_test_attachments_SOURCES = tests/unit/test_attachments.c
tests_unit_test_attachments_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_attachments_LDADD = $(UNIT_LDADD)
endif
