lib_libcinto_la_SOURCES += lib/http/transport.h lib/http/request.c lib/http/request.h \
	lib/http/response.c lib/http/response.h
include $(srcdir)/lib/http/parse.mk
include $(srcdir)/lib/http/multipart.mk
