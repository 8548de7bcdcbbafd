lib_libcinto_la_SOURCES += lib/http/transport.h lib/http/request.c lib/http/request.h \
	lib/http/response.c lib/http/response.h
include $(srcdir)/lib/http/parse.mk
include $(srcdir)/lib/http/multipart.mk

if HAVE_CRITERION
check_PROGRAMS += tests/unit/test_request
TESTS += tests/unit/test_request
tests_unit_test_request_SOURCES = tests/unit/test_request.c
tests_unit_test_request_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_request_LDADD = $(UNIT_LDADD)
endif
