#!/usr/bin/env bash
# bench/cgi.sh [--duration S] [--rounds N] [--connections N] [--threads N] [--workers N]
#              [--binary PATH] [--no-counts]
#
# Plain CGI against FastCGI, with and without the accounts plugin, in one run. Builds cinto,
# starts a private MariaDB (through `tools/cinto-dev serve`), copies the program as a host
# customer would upload it (the dynamic build: build/cgi/.libs/cinto.fcgi with libcinto.so.0
# beside it; or --binary PATH, e.g. the static build-static/bundle/cinto.fcgi, which is
# picked by default when it exists; a dynamic build's libcinto.so.0 is copied along) and
# serves it from one lighttpd on four ports:
#   fcgi-basic     mod_fastcgi, --workers workers, multiauth.policies = basicauth
#   fcgi-accounts  mod_fastcgi, accounts plugin (bcrypt passwords), account policy
#   cgi-basic      mod_cgi (one process per request), basicauth
#   cgi-accounts   mod_cgi, accounts plugin
# then runs wrk GETting one record with credentials on each (--rounds times, the four
# scenarios alternating, default 1; the median damps noise from other load), prints req/s
# side by side and the CGI/FastCGI ratios of the medians, and, unless --no-counts, what one
# CGI request costs in MariaDB commands (global status counters over 20 sequential requests)
# and in client/server round trips (strace of one request). Stops what it started, by pid.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 ROUNDS=1 CONNS=8 THREADS=2 WORKERS=2 BINARY= COUNTS=1
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=${2:?}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--rounds=*) ROUNDS=${1#*=}; shift ;;
	--connections) CONNS=${2:?}; shift 2 ;;
	--threads) THREADS=${2:?}; shift 2 ;;
	--workers) WORKERS=${2:?}; shift 2 ;;
	--binary) BINARY=${2:?}; shift 2 ;;
	--binary=*) BINARY=${1#*=}; shift ;;
	--no-counts) COUNTS=; shift ;;
	-h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] || { echo "bench: --duration takes whole seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "bench: --rounds takes a positive number" >&2; exit 2; }

. "$ROOT/bench/lib.sh"
bench_prepare

TMP=$(mktemp -d /tmp/cinto-bench-cgi.XXXXXX)
SERVE_PID= LIGHTTPD_PID=

cleanup() {
	set +e
	local workers=
	[ -n "$LIGHTTPD_PID" ] && workers=$(grep -l "^[0-9]* ([^)]*) [A-Z] $LIGHTTPD_PID " /proc/[0-9]*/stat 2>/dev/null |
		cut -d/ -f3)
	stop_pid "$LIGHTTPD_PID" 10
	for w in $workers; do stop_pid "$w" 5; done
	stop_pid "$SERVE_PID" 90 # cinto-dev stops its lighttpd, workers and MariaDB itself
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the program, as uploaded
APP=$TMP/app
mkdir -p "$APP"
KIND=
if [ -z "$BINARY" ] && [ -x "$ROOT/build-static/bundle/cinto.fcgi" ]; then
	BINARY=$ROOT/build-static/bundle/cinto.fcgi
fi
if [ -n "$BINARY" ]; then
	[ -x "$BINARY" ] || die "--binary $BINARY is not an executable file"
	cp "$BINARY" "$APP/cinto.fcgi"
	KIND="$BINARY"
	# a dynamic build needs its library beside it (RUNPATH \$ORIGIN)
	for lib in "$(dirname "$BINARY")/libcinto.so.0" "$(dirname "$BINARY")/../../lib/.libs/libcinto.so.0"; do
		if [ -e "$lib" ]; then cp -L "$lib" "$APP/libcinto.so.0" && break; fi
	done
else
	cp "$ROOT/build/cgi/.libs/cinto.fcgi" "$APP/cinto.fcgi"
	cp -L "$ROOT/build/lib/.libs/libcinto.so.0" "$APP/libcinto.so.0"
	KIND="dynamic build (build/cgi/.libs/cinto.fcgi + libcinto.so.0)"
fi
if file "$APP/cinto.fcgi" 2>/dev/null | grep -q 'statically linked'; then KIND="$KIND, static"; fi

# --- private MariaDB (and an idle FastCGI stack of cinto-dev's own, unused here)
bench_serve_db
bench_ini basic "$URL" >"$TMP/basic.ini"
bench_ini accounts "$URL" >"$TMP/accounts.ini"

# --- one lighttpd, four ports
P_FB=$(free_port) P_FA=$(free_port) P_CB=$(free_port) P_CA=$(free_port)
lq() { printf '"%s"' "$1"; }
fcgi_block() { # SOCKET INI
	cat <<CONF
  fastcgi.server = ( "/" => ((
    "socket" => $(lq "$1"), "bin-path" => $(lq "$APP/cinto.fcgi"), "max-procs" => $WORKERS,
    "check-local" => "disable", "fix-root-scriptname" => "enable",
    "bin-environment" => ( "KINTO_INI" => $(lq "$2") ),
  )) )
CONF
}
cgi_block() { # INI
	cat <<CONF
  cgi.assign = ( ".fcgi" => "" )
  setenv.add-environment = ( "KINTO_INI" => $(lq "$1") )
CONF
}
cat >"$TMP/lighttpd.conf" <<CONF
server.document-root = $(lq "$APP")
server.bind = "127.0.0.1"
server.port = $P_FB
server.errorlog = $(lq "$TMP/lighttpd-error.log")
server.modules += ( "mod_setenv", "mod_fastcgi", "mod_cgi" )
server.max-connections = 256
\$SERVER["socket"] == "127.0.0.1:$P_FB" {
$(fcgi_block "$TMP/fb.sock" "$TMP/basic.ini")
}
\$SERVER["socket"] == "127.0.0.1:$P_FA" {
$(fcgi_block "$TMP/fa.sock" "$TMP/accounts.ini")
}
\$SERVER["socket"] == "127.0.0.1:$P_CB" {
$(cgi_block "$TMP/basic.ini")
}
\$SERVER["socket"] == "127.0.0.1:$P_CA" {
$(cgi_block "$TMP/accounts.ini")
}
CONF
lighttpd -D -f "$TMP/lighttpd.conf" </dev/null >>"$TMP/lighttpd-error.log" 2>&1 &
LIGHTTPD_PID=$!
for p in $P_FB $P_FA; do
	wait_http "http://127.0.0.1:$p/v1/" "$LIGHTTPD_PID" 60 ||
		{ tail -n 20 "$TMP/lighttpd-error.log" >&2; die "lighttpd did not start"; }
done

FB=http://127.0.0.1:$P_FB/v1 FA=http://127.0.0.1:$P_FA/v1
CB=http://127.0.0.1:$P_CB/cinto.fcgi/v1 CA=http://127.0.0.1:$P_CA/cinto.fcgi/v1

# --- data: one bucket readable by the account, a collection, one record
bench_data "$FB" "$FA"
for check in "$FB|$BASIC" "$FA|$ACCOUNT" "$CB|$BASIC" "$CA|$ACCOUNT"; do
	bench_check_get "${check%%|*}" "${check#*|}" "$TMP/lighttpd-error.log"
done

# --- what one CGI request costs in MariaDB commands and round trips (measured before the wrk
# runs, so that no CGI process of theirs is still running; printed at the end)
cgi_once() { # INI AUTH [wrapper...]: one CGI request run by hand, as mod_cgi would
	local ini=$1 auth=$2
	shift 2
	env -i PATH="$PATH" KINTO_INI="$ini" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		SCRIPT_NAME=/cinto.fcgi PATH_INFO="/v1$REC" QUERY_STRING= HTTP_HOST=127.0.0.1 \
		HTTP_AUTHORIZATION="$auth" "$@" "$APP/cinto.fcgi" </dev/null
}
status_vars() {
	mariadb --no-defaults -uroot --socket="$SOCK" -N -e "SHOW GLOBAL STATUS WHERE Variable_name IN
		('Questions', 'Com_stmt_prepare', 'Com_stmt_execute', 'Com_stmt_close', 'Com_select',
		 'Com_set_option', 'Com_insert', 'Com_update', 'Com_delete', 'Connections')" 2>/dev/null
}
# A round trip: the client writes to the MariaDB socket, then reads (or polls) it; the
# server's greeting counts as one.
round_trips() { # STRACE_FILE
	awk -v sock="$SOCK" '
		/connect\(/ && index($0, sock) { match($0, /connect\([0-9]+/); fd = substr($0, RSTART + 8, RLENGTH - 8); next }
		fd == "" { next }
		{ line = $0; sub(/^[0-9]+ +/, "", line) }
		line ~ "^(write|writev|sendto|sendmsg)\\(" fd "," { wrote = 1; next }
		line ~ "^(read|readv|recvfrom|recvmsg)\\(" fd "," || line ~ "^p?poll\\(\\[\\{fd=" fd "," {
			if (wrote || !greeted) { trips++; wrote = 0; greeted = 1 } }
		END { print trips + 0 }' "$1"
}
N=20
if [ -n "$COUNTS" ]; then
	{
		echo "one plain CGI request (GET one record), MariaDB counters averaged over $N sequential requests:"
		printf '%-10s %10s %10s %10s %10s %10s %10s %10s %12s\n' auth questions prepare execute close select \
			set_option connects 'round trips'
	} >"$TMP/counts.txt"
	for kind in basic accounts; do
		if [ $kind = basic ]; then auth=${BASIC#Authorization: }; else auth=${ACCOUNT#Authorization: }; fi
		cgi_once "$TMP/$kind.ini" "$auth" >/dev/null # warm (the account cache, if any)
		status_vars >"$TMP/before"
		for _ in $(seq 1 $N); do cgi_once "$TMP/$kind.ini" "$auth" >/dev/null; done
		status_vars >"$TMP/after"
		trips=-
		if command -v strace >/dev/null 2>&1; then
			cgi_once "$TMP/$kind.ini" "$auth" strace -f -qq -o "$TMP/strace.txt" \
				-e trace=connect,read,write,readv,writev,sendto,recvfrom,sendmsg,recvmsg,poll,ppoll \
				>/dev/null 2>&1 && trips=$(round_trips "$TMP/strace.txt")
		fi
		# the status query itself is one question, one select and one connection per N
		join "$TMP/before" "$TMP/after" | awk -v n=$N -v auth=$kind -v trips="$trips" '
			{ d[$1] = ($3 - $2) / n }
			END { printf "%-10s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %12s\n", auth,
				d["Questions"], d["Com_stmt_prepare"], d["Com_stmt_execute"], d["Com_stmt_close"],
				d["Com_select"], d["Com_set_option"], d["Connections"], trips }' >>"$TMP/counts.txt"
	done
fi

# --- wrk runs
for round in $(seq 1 "$ROUNDS"); do
	run_wrk fcgi-basic "$round" "$FB$REC" "$BASIC"
	run_wrk cgi-basic "$round" "$CB$REC" "$BASIC"
	run_wrk fcgi-accounts "$round" "$FA$REC" "$ACCOUNT"
	run_wrk cgi-accounts "$round" "$CA$REC" "$ACCOUNT"
done

echo
echo "cinto CGI vs FastCGI: GET one record with credentials; wrk -t$THREADS -c$CONNS -d${DURATION}s x $ROUNDS round(s),"
echo "$WORKERS FastCGI workers, $(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg)), lighttpd $(lighttpd -v 2>&1 | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p')"
echo "program: $KIND"
row_header
row fcgi-basic "FastCGI, basicauth"
row cgi-basic "plain CGI, basicauth"
row fcgi-accounts "FastCGI, accounts (bcrypt)"
row cgi-accounts "plain CGI, accounts (bcrypt)"
echo "CGI/FastCGI (medians): basicauth $(ratio "$(rps cgi-basic)" "$(rps fcgi-basic)"), accounts $(ratio "$(rps cgi-accounts)" "$(rps fcgi-accounts)")"

if [ -n "$COUNTS" ]; then
	echo
	cat "$TMP/counts.txt"
fi
