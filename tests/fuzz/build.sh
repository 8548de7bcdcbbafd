#!/bin/sh
# Builds every libFuzzer harness of tests/fuzz with clang into OUTDIR.
# Usage: tests/fuzz/build.sh OUTDIR
# Needs clang (14+) with libFuzzer, and the -dev packages of json-c,
# libsodium and PCRE2, plus python3-jsonschema for the schema harness's
# meta-schemas (generated into OUTDIR, never into the source tree).
# Source lists are kept in plain variables and split on purpose, so the
# source tree's path must not contain spaces.
# shellcheck disable=SC2086
set -eu

out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
lib=$top/lib
CC=${CC:-clang}
METASCHEMA_DIR=${CINTO_METASCHEMA_DIR:-/usr/lib/python3/dist-packages/jsonschema/schemas}

mkdir -p "$out"
out=$(cd "$out" && pwd)

# -fno-sanitize-recover makes UBSan findings abort like ASan's, so that
# libFuzzer records them as crashes.
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all ${EXTRA_CFLAGS:-}"
CPPFLAGS="-I$lib -I$here $(pkg-config --cflags json-c libsodium libpcre2-8)"
# router.c includes api/app.h, which pulls the MariaDB headers' location.
if pkg-config --exists libmariadb; then
    CPPFLAGS="$CPPFLAGS $(pkg-config --cflags libmariadb)"
fi
JSONC=$(pkg-config --libs json-c)
SODIUM=$(pkg-config --libs libsodium)
PCRE=$(pkg-config --libs libpcre2-8)

UTIL="$lib/util/buf.c $lib/util/codec.c"
JSON="$UTIL $lib/util/json.c"
PARSE="$UTIL $lib/http/parse.c"

sh "$lib/schema/gen-metaschemas.sh" "$METASCHEMA_DIR" > "$out/metaschemas.c.tmp"
mv "$out/metaschemas.c.tmp" "$out/metaschemas.c"

build() {
    name=$1
    shift
    echo "  CC $name"
    $CC $CFLAGS $CPPFLAGS -o "$out/$name" "$here/$name.c" "$@"
}

build fuzz_json $JSON $JSONC
build fuzz_query $JSON $lib/http/parse.c $lib/util/random.c $lib/query/query.c \
    $lib/query/eval.c $JSONC $SODIUM
build fuzz_precondition $PARSE
build fuzz_media_type $PARSE
build fuzz_accept $PARSE
build fuzz_multipart $PARSE $lib/http/multipart.c
build fuzz_basic $UTIL $lib/auth/basic.c $SODIUM
build fuzz_codec $UTIL
build fuzz_patch $JSON $lib/patch/pointer.c $lib/patch/ops.c $lib/patch/patch.c \
    $lib/patch/kinto.c $JSONC
build fuzz_router $UTIL $lib/api/router.c $lib/http/request.c
build fuzz_schema $JSON $lib/schema/schema.c $lib/schema/validate.c $lib/schema/number.c \
    $lib/schema/regex.c $lib/schema/uri.c $lib/schema/repr.c $lib/schema/builtin.c \
    "$out/metaschemas.c" $JSONC $PCRE -lm

echo "fuzzers built in $out"
