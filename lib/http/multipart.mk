# Streaming multipart/form-data parser (included from lib/http/local.mk).
lib_libcinto_la_SOURCES += lib/http/multipart.c lib/http/multipart.h
