#!/usr/bin/env bash
# bench/hosting.sh [--duration S] [--rounds N] [--connections N] [--threads N] [--workers N]
#                  [--suite bookworm|bullseye] [--bundle DIR] [--suexec] [--dynamic]
#
# The upload bundle on a shared host: mod_fcgid against plain CGI, with and without the accounts
# plugin, under Apache, in one run. The host is the bare Debian root of the bare-host test
# (tests/barehost/mkroot.sh: Apache, mod_fcgid and suexec, none of cinto's libraries; built once
# and cached), run by tests/barehost/chroot-apache.sh in a mount namespace of its own. The
# bundle (build-static/bundle, built again by `tools/cinto-dev bundle`; or --bundle DIR as is)
# is uploaded twice into the customer's folder as a customer would, with its own .htaccess and a
# cinto.ini beside the program: once with basicauth, once with the accounts plugin. Two Apaches
# run on four free ports of 127.0.0.1:
#   fcgid-basic     mod_fcgid (FcgidMaxProcessesPerClass --workers), basicauth
#   fcgid-accounts  mod_fcgid, accounts plugin (bcrypt passwords, login cache)
#   cgi-basic       mod_cgid (no mod_fcgid: the .htaccess falls back to plain CGI), basicauth
#   cgi-accounts    mod_cgid, accounts plugin
# (event MPM, programs run as www-data, or as the customer through suexec with --suexec), all
# on a private MariaDB (`tools/cinto-dev serve`, its socket mounted into the root). wrk then
# GETs one record with credentials on each (--rounds times, the four alternating; FastCGI
# workers warmed up first), and the medians, each round's figures and the CGI/FastCGI ratios
# are printed side by side. With --dynamic, the same four with the dynamic build
# (build/cgi/.libs/cinto.fcgi + libcinto.so.0 beside it) under this machine's Apache (same
# configuration, same modules; it has cinto's libraries), alternating with the others, and the
# static/dynamic ratios. Stops what it started, by pid. Needs root (chroot, mounts).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 ROUNDS=1 CONNS=8 THREADS=2 WORKERS=2 SUITE=bookworm BUNDLE= SUEXEC= DYNAMIC=
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=${2:?}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--rounds=*) ROUNDS=${1#*=}; shift ;;
	--connections) CONNS=${2:?}; shift 2 ;;
	--threads) THREADS=${2:?}; shift 2 ;;
	--workers) WORKERS=${2:?}; shift 2 ;;
	--suite) SUITE=${2:?}; shift 2 ;;
	--suite=*) SUITE=${1#*=}; shift ;;
	--bundle) BUNDLE=${2:?}; shift 2 ;;
	--bundle=*) BUNDLE=${1#*=}; shift ;;
	--suexec) SUEXEC=1; shift ;;
	--dynamic) DYNAMIC=1; shift ;;
	-h | --help) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] || { echo "bench: --duration takes whole seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "bench: --rounds takes a positive number" >&2; exit 2; }
[[ $WORKERS =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || { echo "bench: --workers takes a positive number" >&2; exit 2; }
[ -z "$SUEXEC" ] || [ -z "$DYNAMIC" ] || { echo "bench: --dynamic runs outside /var/www, where suexec refuses to run programs: not with --suexec" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: hosting.sh needs root (chroot, mount namespaces)" >&2; exit 2; }

. "$ROOT/bench/lib.sh"
bench_prepare # wrk, and the dynamic build that `tools/cinto-dev serve` runs
BAREHOST=$ROOT/tests/barehost
if [ -z "$BUNDLE" ]; then # the bundle of the sources as they are (a relink at least)
	BUNDLE=$ROOT/build-static/bundle
	log "building the bundle (tools/cinto-dev bundle)"
	out=$("$ROOT/tools/cinto-dev" bundle 2>&1 >/dev/null) ||
		{ printf '%s\n' "$out" | tail -n 30 >&2; die "tools/cinto-dev bundle failed"; }
fi
[ -x "$BUNDLE/cinto.fcgi" ] && [ -f "$BUNDLE/.htaccess" ] || die "no bundle in $BUNDLE (cinto.fcgi, .htaccess)"
HOSTROOT=$("$BAREHOST/mkroot.sh" "$SUITE" | tail -n 1)
[ -x "$HOSTROOT/usr/sbin/apache2" ] || die "mkroot.sh $SUITE gave no usable root"

TMP=$(mktemp -d /tmp/cinto-bench-hosting.XXXXXX)
SERVE_PID= APACHE_PIDS=()

cleanup() {
	set +e
	local pid tree p
	for pid in "${APACHE_PIDS[@]}"; do
		tree=$(descendants "$pid") # fcgid process manager, cgid daemon, workers
		stop_pid "$pid" 15
		for p in $tree; do stop_pid "$p" 5; done
	done
	stop_pid "$SERVE_PID" 90 # cinto-dev stops its lighttpd, workers and MariaDB itself
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- private MariaDB; inside the root its socket is /run/mysqld/mysqld.sock
bench_serve_db
CHROOT_URL="${URL%%\?*}?unix_socket=/run/mysqld/mysqld.sock"

# --- what the hosting company and the customer write, laid over the root (an overlay's upper
# layer; copied for each Apache, since an upper folder serves one overlay at a time). The
# dynamic build's Apache runs on this machine with the same tree under a prefix instead.
UID_C=1000 GID_C=1000 HOME_C=/var/www/customer
# make_tree DEST LOWER PROGRAM LIBRARY STORAGE_URL: the customer's account and the two uploads
# (public_html with basicauth: chroot-apache.sh runs its `cinto.fcgi migrate`; accounts_html
# with the accounts plugin), each folder created with the owner and mode it has in LOWER
make_tree() {
	local dest=$1 lower=$2 program=$3 library=$4 url=$5 site dir
	mkdir -p "$dest"
	mkdir_like() { # REL: mkdir -p in dest
		local cur=$dest low=$lower part
		local IFS=/
		for part in $1; do
			[ -n "$part" ] || continue
			cur=$cur/$part low=$low/$part
			[ -d "$cur" ] && continue
			mkdir "$cur"
			if [ -e "$low" ]; then
				chmod --reference="$low" "$cur"
				chown --reference="$low" "$cur"
			fi
		done
	}
	mkdir_like etc
	grep -v '^customer:' "$lower/etc/passwd" >"$dest/etc/passwd"
	echo "customer:x:$UID_C:$GID_C:Hosting customer:$HOME_C:/bin/sh" >>"$dest/etc/passwd"
	grep -v '^customer:' "$lower/etc/group" >"$dest/etc/group"
	echo "customer:x:$GID_C:" >>"$dest/etc/group"
	chmod 644 "$dest/etc/passwd" "$dest/etc/group"
	mkdir_like "${HOME_C#/}"
	chmod 755 "$dest$HOME_C"
	chown "$UID_C:$GID_C" "$dest$HOME_C"
	for site in public_html:basic accounts_html:accounts; do
		dir=$dest$HOME_C/${site%%:*}
		mkdir -m 755 "$dir"
		cp -R "$BUNDLE/." "$dir/"
		cp "$program" "$dir/cinto.fcgi"
		[ -z "$library" ] || cp -L "$library" "$dir/"
		bench_ini "${site#*:}" "$url" >"$dir/cinto.ini"
		chmod "$([ -n "$SUEXEC" ] && echo 600 || echo 644)" "$dir/cinto.ini"
		chown -R "$UID_C:$GID_C" "$dir"
	done
	mkdir_like run/mysqld
	: >"$dest/run/mysqld/mysqld.sock" # mount point of the MariaDB socket
	mkdir_like run/apache2
	chmod 755 "$dest/run/apache2"
	mkdir_like var/log/apache2
	mkdir_like etc/apache2
}
make_tree "$TMP/template" "$HOSTROOT" "$BUNDLE/cinto.fcgi" "" "$CHROOT_URL"
if [ -n "$DYNAMIC" ]; then
	make_tree "$TMP/template-dynamic" / "$ROOT/build/cgi/.libs/cinto.fcgi" \
		"$ROOT/build/lib/.libs/libcinto.so.0" "$URL"
	# www-data must reach the uploads and the MariaDB socket (the secrets in the state folder
	# stay 0600)
	chmod 711 "$TMP" "$TMP/state" "$(dirname "$(realpath "$SOCK")")"
fi

# apache_conf MODULE PORT_BASIC PORT_ACCOUNTS [PREFIX]: the hosting company's configuration, with
# MODULE fcgid (mod_fcgid) or cgid (no mod_fcgid: plain CGI through mod_cgid); PREFIX is where
# the tree of make_tree is when Apache runs outside the root
apache_conf() {
	local mod=/usr/lib/apache2/modules p=${4:-}
	cat <<CONF
# written by bench/hosting.sh ($1${p:+, outside the root})
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$2
Listen 127.0.0.1:$3
PidFile $p/run/apache2/cinto-bench.pid
DefaultRuntimeDir $p/run/apache2
Mutex file:$p/run/apache2 default
ErrorLog $p/var/log/apache2/error.log
LogLevel warn
User www-data
Group www-data

LoadModule mpm_event_module $mod/mod_mpm_event.so
LoadModule authz_core_module $mod/mod_authz_core.so
LoadModule authz_host_module $mod/mod_authz_host.so
LoadModule authn_core_module $mod/mod_authn_core.so
LoadModule mime_module $mod/mod_mime.so
LoadModule dir_module $mod/mod_dir.so
LoadModule env_module $mod/mod_env.so
LoadModule setenvif_module $mod/mod_setenvif.so
LoadModule rewrite_module $mod/mod_rewrite.so
LoadModule ${1}_module $mod/mod_$1.so
$([ -n "$SUEXEC" ] && echo "LoadModule suexec_module $mod/mod_suexec.so")

StartServers 1
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 64
MinSpareThreads 16
MaxSpareThreads 48
TypesConfig /etc/mime.types
LogFormat "%h %u %t \"%r\" %>s %b %D" timed
CustomLog $p/var/log/apache2/access.log timed
<IfModule mod_cgid.c>
  ScriptSock $p/run/apache2/cgisock
</IfModule>
<IfModule mod_fcgid.c>
  FcgidIPCDir $p/run/apache2/fcgid
  FcgidProcessTableFile $p/run/apache2/fcgid_shm
  FcgidMaxProcessesPerClass $WORKERS
</IfModule>

<Directory />
  AllowOverride None
  Require all denied
</Directory>
<FilesMatch "^\\.ht">
  Require all denied
</FilesMatch>
$(for v in "$2:public_html" "$3:accounts_html"; do
		cat <<VHOST

<VirtualHost 127.0.0.1:${v%%:*}>
  ServerName 127.0.0.1
  DocumentRoot "$p$HOME_C/${v#*:}"
$([ -n "$SUEXEC" ] && echo "  SuexecUserGroup customer customer")
  <Directory "$p$HOME_C/${v#*:}">
    AllowOverride FileInfo Options Indexes AuthConfig Limit
    Options SymLinksIfOwnerMatch
    Require all granted
  </Directory>
</VirtualHost>
VHOST
	done)
CONF
}

# start_apache MODULE static|dynamic -> sets PB (basicauth port) and PA (accounts port).
# static: the bundle in the bare root (chroot-apache.sh); dynamic: the dynamic build under this
# machine's Apache (which has cinto's libraries), same configuration and modules.
start_apache() {
	local run=$TMP/$1-$2 pid
	mkdir -p "$run"
	PB=$(free_port) PA=$(free_port)
	[ "$PB" != "$PA" ] || PA=$(free_port)
	if [ "$2" = static ]; then
		mkdir -p "$run/work" "$run/merged"
		cp -a "$TMP/template" "$run/upper"
		apache_conf "$1" "$PB" "$PA" >"$run/upper/etc/apache2/cinto-barehost.conf"
		"$BAREHOST/chroot-apache.sh" "$HOSTROOT" "$run" "$SOCK" </dev/null >"$run/launch.log" 2>&1 &
	else
		cp -a "$TMP/template-dynamic" "$run/upper"
		apache_conf "$1" "$PB" "$PA" "$run/upper" >"$run/apache.conf"
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C /usr/sbin/apache2 -f "$run/apache.conf" \
			-DFOREGROUND </dev/null >"$run/launch.log" 2>&1 &
	fi
	pid=$!
	APACHE_PIDS+=("$pid")
	for p in $PB $PA; do
		wait_http "http://127.0.0.1:$p/index.html" "$pid" 60 || {
			tail -n 20 "$run/launch.log" "$run/upper/var/log/apache2/error.log" >&2
			die "Apache ($1, $2) did not start"
		}
	done
}
start_apache fcgid static
FB=http://127.0.0.1:$PB/v1 FA=http://127.0.0.1:$PA/v1
start_apache cgid static
CB=http://127.0.0.1:$PB/v1 CA=http://127.0.0.1:$PA/v1
SCENARIOS=("fcgid-basic|$FB|$BASIC" "cgi-basic|$CB|$BASIC" "fcgid-accounts|$FA|$ACCOUNT" "cgi-accounts|$CA|$ACCOUNT")
if [ -n "$DYNAMIC" ]; then
	start_apache fcgid dynamic
	SCENARIOS+=("dyn-fcgi-basic|http://127.0.0.1:$PB/v1|$BASIC" "dyn-fcgi-acc|http://127.0.0.1:$PA/v1|$ACCOUNT")
	start_apache cgid dynamic
	SCENARIOS+=("dyn-cgi-basic|http://127.0.0.1:$PB/v1|$BASIC" "dyn-cgi-acc|http://127.0.0.1:$PA/v1|$ACCOUNT")
fi
CB=http://127.0.0.1:$PB/v1 CA=http://127.0.0.1:$PA/v1

# --- data, then every scenario answers the record
bench_data "$FB" "$FA"
for sc in "${SCENARIOS[@]}"; do
	IFS='|' read -r name api header <<<"$sc"
	bench_check_get "$api" "$header" "$(ls "$TMP"/*/upper/var/log/apache2/error.log | head -n 1)"
done
# mod_fcgid starts workers on demand: let it reach --workers before measuring
log "warming up the FastCGI workers"
for sc in "${SCENARIOS[@]}"; do
	IFS='|' read -r name api header <<<"$sc"
	case $name in *fcgi*) wrk -t"$THREADS" -c"$CONNS" -d2s -H "$header" "$api$REC" >/dev/null 2>&1 || true ;; esac
done

# --- wrk runs
for round in $(seq 1 "$ROUNDS"); do
	for sc in "${SCENARIOS[@]}"; do
		IFS='|' read -r name api header <<<"$sc"
		run_wrk "$name" "$round" "$api$REC" "$header"
	done
done
# the FastCGI workers left running, and the users they run as (www-data, or the customer)
workers=0 users=
for pid in "${APACHE_PIDS[@]}"; do
	for p in $(descendants "$pid"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = cinto.fcgi ] || continue
		workers=$((workers + 1))
		users="$users $(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)"
	done
done
users=$(printf '%s\n' $users | sort -un | tr '\n' ' ')

APACHE_VERSION=$(chroot "$HOSTROOT" /usr/sbin/apache2 -v 2>/dev/null | sed -n 's/^Server version: //p')
echo
echo "cinto on a bare $SUITE host: GET one record with credentials; wrk -t$THREADS -c$CONNS -d${DURATION}s x $ROUNDS round(s),"
echo "$APACHE_VERSION (event MPM$([ -n "$SUEXEC" ] && echo ", suexec")), FcgidMaxProcessesPerClass $WORKERS ($workers FastCGI workers at the end, uid ${users% }),"
echo "$(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "program: $BUNDLE/cinto.fcgi ($(du -k "$BUNDLE/cinto.fcgi" | cut -f1) KiB$(file "$BUNDLE/cinto.fcgi" 2>/dev/null | grep -q 'statically linked' && echo ', static'))"
row_header
row fcgid-basic "mod_fcgid, basicauth"
row cgi-basic "plain CGI, basicauth"
row fcgid-accounts "mod_fcgid, accounts (bcrypt)"
row cgi-accounts "plain CGI, accounts (bcrypt)"
echo "CGI/FastCGI (medians): basicauth $(ratio "$(rps cgi-basic)" "$(rps fcgid-basic)"), accounts $(ratio "$(rps cgi-accounts)" "$(rps fcgid-accounts)")"
if [ -n "$DYNAMIC" ]; then
	echo
	echo "the dynamic build (build/cgi/.libs/cinto.fcgi + libcinto.so.0) under this machine's Apache"
	echo "($(/usr/sbin/apache2 -v 2>/dev/null | sed -n 's/^Server version: //p'), same configuration):"
	row_header
	row dyn-fcgi-basic "mod_fcgid, basicauth"
	row dyn-cgi-basic "plain CGI, basicauth"
	row dyn-fcgi-acc "mod_fcgid, accounts (bcrypt)"
	row dyn-cgi-acc "plain CGI, accounts (bcrypt)"
	echo "CGI/FastCGI (medians): basicauth $(ratio "$(rps dyn-cgi-basic)" "$(rps dyn-fcgi-basic)"), accounts $(ratio "$(rps dyn-cgi-acc)" "$(rps dyn-fcgi-acc)")"
	echo "static/dynamic (medians): plain CGI basicauth $(ratio "$(rps cgi-basic)" "$(rps dyn-cgi-basic)"), plain CGI accounts $(ratio "$(rps cgi-accounts)" "$(rps dyn-cgi-acc)")"
fi
