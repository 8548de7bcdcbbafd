#!/usr/bin/env bash
# bench/hosting.sh [--duration S] [--rounds N] [--connections N] [--threads N] [--workers N]
#                  [--suite bookworm|bullseye] [--bundle DIR] [--suexec]
#
# The upload bundle on a shared host: mod_fcgid against plain CGI, with and without the accounts
# plugin, under Apache, in one run. The host is the bare Debian root of the bare-host test
# (tests/barehost/mkroot.sh: Apache, mod_fcgid and suexec, none of cinto's libraries; built once
# and cached), run by tests/barehost/chroot-apache.sh in a mount namespace of its own. The
# bundle (build-static/bundle, built by `tools/cinto-dev bundle` when missing; or --bundle DIR)
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
# are printed side by side. Stops what it started, by pid. Needs root (chroot, mounts).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 ROUNDS=1 CONNS=8 THREADS=2 WORKERS=2 SUITE=bookworm BUNDLE= SUEXEC=
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
	-h | --help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] || { echo "bench: --duration takes whole seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "bench: --rounds takes a positive number" >&2; exit 2; }
[[ $WORKERS =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || { echo "bench: --workers takes a positive number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: hosting.sh needs root (chroot, mount namespaces)" >&2; exit 2; }

. "$ROOT/bench/lib.sh"
bench_prepare # wrk, and the dynamic build that `tools/cinto-dev serve` runs
BAREHOST=$ROOT/tests/barehost
if [ -z "$BUNDLE" ]; then
	BUNDLE=$ROOT/build-static/bundle
	if [ ! -x "$BUNDLE/cinto.fcgi" ]; then
		log "building the bundle (tools/cinto-dev bundle)"
		"$ROOT/tools/cinto-dev" bundle >/dev/null
	fi
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
CHROOT_URL=${URL%%\?*}?unix_socket=/run/mysqld/mysqld.sock

# --- what the hosting company and the customer write, laid over the root (an overlay's upper
# layer; copied for each Apache, since an upper folder serves one overlay at a time)
UID_C=1000 GID_C=1000 HOME_C=/var/www/customer
TEMPLATE=$TMP/template
mkdir -p "$TEMPLATE"
mkdir_like() { # REL: mkdir -p in the template, each new folder with the root's owner and mode
	local cur=$TEMPLATE low=$HOSTROOT part
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
grep -v '^customer:' "$HOSTROOT/etc/passwd" >"$TEMPLATE/etc/passwd"
echo "customer:x:$UID_C:$GID_C:Hosting customer:$HOME_C:/bin/sh" >>"$TEMPLATE/etc/passwd"
grep -v '^customer:' "$HOSTROOT/etc/group" >"$TEMPLATE/etc/group"
echo "customer:x:$GID_C:" >>"$TEMPLATE/etc/group"
chmod 644 "$TEMPLATE/etc/passwd" "$TEMPLATE/etc/group"
mkdir_like "${HOME_C#/}"
chmod 755 "$TEMPLATE$HOME_C"
chown "$UID_C:$GID_C" "$TEMPLATE$HOME_C"
# two uploads: public_html with basicauth (chroot-apache.sh runs its `cinto.fcgi migrate`),
# accounts_html with the accounts plugin
for site in public_html:basic accounts_html:accounts; do
	dir=$TEMPLATE$HOME_C/${site%%:*}
	mkdir -m 755 "$dir"
	cp -R "$BUNDLE/." "$dir/"
	bench_ini "${site#*:}" "$CHROOT_URL" >"$dir/cinto.ini"
	chmod "$([ -n "$SUEXEC" ] && echo 600 || echo 644)" "$dir/cinto.ini"
	chown -R "$UID_C:$GID_C" "$dir"
done
mkdir_like run/mysqld
: >"$TEMPLATE/run/mysqld/mysqld.sock" # mount point of the MariaDB socket
mkdir_like run/apache2
chmod 755 "$TEMPLATE/run/apache2"
mkdir_like var/log/apache2
mkdir_like etc/apache2

# apache_conf MODULE PORT_BASIC PORT_ACCOUNTS: the hosting company's configuration, with
# MODULE fcgid (mod_fcgid) or cgid (no mod_fcgid: plain CGI through mod_cgid)
apache_conf() {
	local mod=/usr/lib/apache2/modules
	cat <<CONF
# written by bench/hosting.sh ($1)
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$2
Listen 127.0.0.1:$3
PidFile /run/apache2/cinto-bench.pid
DefaultRuntimeDir /run/apache2
Mutex file:/run/apache2 default
ErrorLog /var/log/apache2/error.log
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
CustomLog /var/log/apache2/access.log timed
<IfModule mod_cgid.c>
  ScriptSock /run/apache2/cgisock
</IfModule>
<IfModule mod_fcgid.c>
  FcgidIPCDir /run/apache2/fcgid
  FcgidProcessTableFile /run/apache2/fcgid_shm
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
  DocumentRoot "$HOME_C/${v#*:}"
$([ -n "$SUEXEC" ] && echo "  SuexecUserGroup customer customer")
  <Directory "$HOME_C/${v#*:}">
    AllowOverride FileInfo Options Indexes AuthConfig Limit
    Options SymLinksIfOwnerMatch
    Require all granted
  </Directory>
</VirtualHost>
VHOST
	done)
CONF
}

# start_apache MODULE -> sets PB (basicauth port) and PA (accounts port)
start_apache() {
	local run=$TMP/$1 pid
	mkdir -p "$run/work" "$run/merged"
	cp -a "$TEMPLATE" "$run/upper"
	PB=$(free_port) PA=$(free_port)
	[ "$PB" != "$PA" ] || PA=$(free_port)
	apache_conf "$1" "$PB" "$PA" >"$run/upper/etc/apache2/cinto-barehost.conf"
	"$BAREHOST/chroot-apache.sh" "$HOSTROOT" "$run" "$SOCK" </dev/null >"$run/launch.log" 2>&1 &
	pid=$!
	APACHE_PIDS+=("$pid")
	for p in $PB $PA; do
		wait_http "http://127.0.0.1:$p/index.html" "$pid" 60 || {
			tail -n 20 "$run/launch.log" "$run/upper/var/log/apache2/error.log" >&2
			die "Apache ($1) did not start"
		}
	done
}
start_apache fcgid
FB=http://127.0.0.1:$PB/v1 FA=http://127.0.0.1:$PA/v1
start_apache cgid
CB=http://127.0.0.1:$PB/v1 CA=http://127.0.0.1:$PA/v1

# --- data, then every scenario answers the record
bench_data "$FB" "$FA"
bench_check_get "$FB" "$BASIC" "$TMP/fcgid/upper/var/log/apache2/error.log"
bench_check_get "$FA" "$ACCOUNT" "$TMP/fcgid/upper/var/log/apache2/error.log"
bench_check_get "$CB" "$BASIC" "$TMP/cgid/upper/var/log/apache2/error.log"
bench_check_get "$CA" "$ACCOUNT" "$TMP/cgid/upper/var/log/apache2/error.log"
# mod_fcgid starts workers on demand: let it reach --workers before measuring
log "warming up the FastCGI workers"
for u in "$FB$REC|$BASIC" "$FA$REC|$ACCOUNT"; do
	wrk -t"$THREADS" -c"$CONNS" -d2s -H "${u#*|}" "${u%%|*}" >/dev/null 2>&1 || true
done

# --- wrk runs
for round in $(seq 1 "$ROUNDS"); do
	run_wrk fcgid-basic "$round" "$FB$REC" "$BASIC"
	run_wrk cgi-basic "$round" "$CB$REC" "$BASIC"
	run_wrk fcgid-accounts "$round" "$FA$REC" "$ACCOUNT"
	run_wrk cgi-accounts "$round" "$CA$REC" "$ACCOUNT"
done
workers=0
for pid in "${APACHE_PIDS[@]}"; do
	for p in $(descendants "$pid"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = cinto.fcgi ] && workers=$((workers + 1))
	done
done

APACHE_VERSION=$(chroot "$HOSTROOT" /usr/sbin/apache2 -v 2>/dev/null | sed -n 's/^Server version: //p')
echo
echo "cinto on a bare $SUITE host: GET one record with credentials; wrk -t$THREADS -c$CONNS -d${DURATION}s x $ROUNDS round(s),"
echo "$APACHE_VERSION (event MPM$([ -n "$SUEXEC" ] && echo ", suexec")), FcgidMaxProcessesPerClass $WORKERS ($workers FastCGI workers at the end),"
echo "$(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "program: $BUNDLE/cinto.fcgi ($(du -k "$BUNDLE/cinto.fcgi" | cut -f1) KiB$(file "$BUNDLE/cinto.fcgi" 2>/dev/null | grep -q 'statically linked' && echo ', static'))"
row_header
row fcgid-basic "mod_fcgid, basicauth"
row cgi-basic "plain CGI, basicauth"
row fcgid-accounts "mod_fcgid, accounts (bcrypt)"
row cgi-accounts "plain CGI, accounts (bcrypt)"
echo "CGI/FastCGI (medians): basicauth $(ratio "$(rps cgi-basic)" "$(rps fcgid-basic)"), accounts $(ratio "$(rps cgi-accounts)" "$(rps fcgid-accounts)")"
