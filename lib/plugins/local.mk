lib_libcinto_la_SOURCES += lib/plugins/table.c \
	lib/plugins/accounts.c lib/plugins/accounts.h \
	lib/plugins/account_cache.c lib/plugins/account_cache.h \
	lib/plugins/default_bucket.c lib/plugins/default_bucket.h \
	lib/plugins/flush.c lib/plugins/history.c \
	lib/plugins/changes.c lib/plugins/counters.c \
	lib/plugins/permissions.c lib/plugins/permissions.h \
	lib/plugins/admin.c lib/plugins/admin.h \
	lib/plugins/indexed_fields.c lib/plugins/indexed_fields.h
