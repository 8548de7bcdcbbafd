lib_libcinto_la_SOURCES += lib/util/buf.c lib/util/buf.h lib/util/json.c lib/util/json.h
include $(srcdir)/lib/util/pure.mk
