#!/usr/bin/env bash
# bundle-by-hand.sh ROOT: assembles ROOT/build-static/bundle/ the way `tools/cinto-dev bundle`
# does (a fully static cinto.fcgi, .htaccess from htaccess.sample, the pages of www/,
# cinto.ini.example, SHA256SUMS), for trees where that command does not exist yet. The static
# build itself is ROOT/build-static (configure --disable-shared --enable-static, make
# LDFLAGS=-all-static). tools/cinto-dev uses `cinto-dev bundle` instead as soon as it has one.
set -euo pipefail
ROOT=${1:?usage: bundle-by-hand.sh ROOT}
bdir=$ROOT/build-static
log() { printf 'bundle-by-hand: %s\n' "$*" >&2; }

[ -x "$ROOT/configure" ] || (cd "$ROOT" && autoreconf -fi >/dev/null 2>&1) || { log "autoreconf failed"; exit 1; }
mkdir -p "$bdir"
exec 9>"$bdir/.cinto-dev.lock"
flock 9
if [ ! -f "$bdir/config.status" ] || [ "$ROOT/configure" -nt "$bdir/config.status" ]; then
	log "configure (static) in build-static/"
	(cd "$bdir" && "$ROOT/configure" --disable-shared --enable-static PKG_CONFIG='pkg-config --static' \
		>configure.out 2>&1) || { tail -n 20 "$bdir/configure.out" >&2; log "configure failed"; exit 1; }
fi
log "make LDFLAGS=-all-static in build-static/"
make -C "$bdir" -j"$(nproc 2>/dev/null || echo 2)" LDFLAGS=-all-static cgi/cinto.fcgi >"$bdir/make.out" 2>&1 ||
	{ grep -E 'error' "$bdir/make.out" | head -n 30 >&2; log "make failed ($bdir/make.out)"; exit 1; }
bin=$bdir/cgi/cinto.fcgi
if LC_ALL=C readelf -d "$bin" 2>&1 | grep -q 'Dynamic section'; then
	log "$bin is not fully static"
	exit 1
fi

out=$bdir/bundle
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
(
	umask 022
	cp -R "$ROOT/www/." "$out.tmp/"
	strip --strip-all -o "$out.tmp/cinto.fcgi" "$bin"
	cp "$ROOT/htaccess.sample" "$out.tmp/.htaccess"
	if [ -f "$ROOT/tools/cinto.ini.example" ]; then
		cp "$ROOT/tools/cinto.ini.example" "$out.tmp/cinto.ini.example"
	else
		printf '%s\n' '[app:main]' 'kinto.storage_url = mysql://USER:PASSWORD@localhost/DATABASE' \
			'multiauth.policies = basicauth' 'kinto.userid_hmac_secret = CHANGE-ME' >"$out.tmp/cinto.ini.example"
	fi
	find "$out.tmp" -type d -exec chmod 755 {} +
	find "$out.tmp" -type f -exec chmod 644 {} +
	chmod 755 "$out.tmp/cinto.fcgi"
	cd "$out.tmp"
	find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum >SHA256SUMS
)
rm -rf "$out"
mv "$out.tmp" "$out"
log "bundle: $out ($(du -sk "$out" | cut -f1) KiB)"
echo "$out"
