lib_libcinto_la_SOURCES += lib/plugins/accounts.c lib/plugins/accounts.h
