#!/usr/bin/env bash
# mkroot.sh SUITE: prints the path of a minimal Debian root for SUITE (bookworm, bullseye) that
# holds Apache, mod_fcgid and suexec and nothing of cinto's libraries: the bare shared host of
# tests/barehost/. Built once with mmdebstrap from deb.debian.org and cached under
# $CINTO_ROOT_CACHE (default /var/cache/cinto-roots), keyed by suite, package list and this
# script's recipe version. The root is built in a temporary folder and renamed into place, so a
# run interrupted half-way never leaves a root that looks complete; concurrent runs wait on a
# lock instead of building twice. Roots are used read-only (the tests lay an overlay on them).
set -euo pipefail

SUITE=${1:?usage: mkroot.sh SUITE}
CACHE=${CINTO_ROOT_CACHE:-/var/cache/cinto-roots}
MIRROR=${CINTO_ROOT_MIRROR:-http://deb.debian.org/debian}
# What a shared host offers: Apache, mod_fcgid and suexec (the pristine build: docroot /var/www,
# userdir public_html). Bump RECIPE when the steps below change.
PACKAGES=(apache2 libapache2-mod-fcgid apache2-suexec-pristine)
RECIPE=1
# cinto's own libraries must not be in the root: the bundle has to bring everything itself
# (PCRE2 may be there: Apache itself links it since Debian 12).
FORBIDDEN='libmariadb|libmysqlclient|libjson-c|libfcgi|libsodium|libcinto'

log() { printf 'mkroot: %s\n' "$*" >&2; }

key=$SUITE-$(printf '%s\n' "$SUITE" "$MIRROR" "$RECIPE" "${PACKAGES[@]}" | sha256sum | cut -c1-12)
root=$CACHE/$key

check_root() { # the root looks complete and bare
	local f
	for f in usr/sbin/apache2 usr/lib/apache2/modules/mod_fcgid.so usr/lib/apache2/modules/mod_suexec.so \
		usr/lib/apache2/suexec-pristine; do
		[ -e "$1/$f" ] || { log "$1: no /$f"; return 1; }
	done
	[ -u "$1/usr/lib/apache2/suexec-pristine" ] || { log "$1: suexec is not setuid"; return 1; }
	local bad
	bad=$(find "$1/lib" "$1/usr/lib" "$1/usr/local/lib" -name '*.so*' 2>/dev/null | grep -E "/($FORBIDDEN)[^/]*$" || true)
	[ -z "$bad" ] || { log "root $1 holds cinto's libraries: $bad"; return 1; }
}

mkdir -p "$CACHE"
if [ -f "$root/.complete" ] && check_root "$root"; then
	echo "$root"
	exit 0
fi

command -v mmdebstrap >/dev/null || { log "mmdebstrap missing (apt-get install mmdebstrap)"; exit 1; }
exec 9>"$CACHE/.$key.lock"
flock 9
if [ -f "$root/.complete" ] && check_root "$root"; then # another run built it meanwhile
	echo "$root"
	exit 0
fi
rm -rf "$root" "$CACHE/$key".tmp.*
tmp=$CACHE/$key.tmp.$$
trap 'rm -rf "$tmp"' EXIT
log "building the $SUITE root ($key): ${PACKAGES[*]}"
start=$(date +%s)
include=$(
	IFS=,
	echo "${PACKAGES[*]}"
)
# essential + our packages; no docs, man pages or locales (a smaller, faster root)
mmdebstrap --mode=root --variant=essential --include="$include" \
	--aptopt='Acquire::Retries "3"' \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
	"$SUITE" "$tmp" "$MIRROR" >"$CACHE/$key.log" 2>&1 || {
	tail -n 30 "$CACHE/$key.log" >&2
	log "mmdebstrap failed (log: $CACHE/$key.log)"
	exit 1
}
check_root "$tmp" || { log "the new $SUITE root is incomplete"; exit 1; }
# no cached package files in the root
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
date -u +%FT%TZ >"$tmp/.complete"
mv "$tmp" "$root"
trap - EXIT
log "built $root in $(($(date +%s) - start)) s"
echo "$root"
