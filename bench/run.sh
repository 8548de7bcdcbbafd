#!/usr/bin/env bash
# bench/run.sh [--duration S] [--connections N] [--threads N]
#
# Builds cinto, starts its own stack (private MariaDB + lighttpd + cinto.fcgi workers, through
# `tools/cinto-dev serve`) and a second lighttpd serving bench/trivial.c (the ceiling), all on
# free ports under a temp folder; fills a bucket/collection with 10 records; runs wrk against
#   get      GET one record
#   create   POST a new record (bench/create.lua)
#   list     GET the list of 10 records
#   trivial  the trivial FastCGI program behind the same kind of lighttpd
# (all cinto requests authenticated with Basic auth), prints a table, and stops what it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 CONNS=16 THREADS=2 WORKERS=2
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=${2:?}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--connections) CONNS=${2:?}; shift 2 ;;
	--threads) THREADS=${2:?}; shift 2 ;;
	--workers) WORKERS=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $DURATION =~ ^[0-9]+$ ]] || { echo "bench: --duration takes whole seconds" >&2; exit 2; }

. "$ROOT/bench/lib.sh"
bench_prepare

TMP=$(mktemp -d /tmp/cinto-bench.XXXXXX)
SERVE_PID= TRIVIAL_PID=

cleanup() {
	set +e
	local workers=
	[ -n "$TRIVIAL_PID" ] && workers=$(grep -l "^[0-9]* ([^)]*) [A-Z] $TRIVIAL_PID " /proc/[0-9]*/stat 2>/dev/null |
		cut -d/ -f3)
	stop_pid "$TRIVIAL_PID" 10
	for w in $workers; do stop_pid "$w" 5; done
	stop_pid "$SERVE_PID" 90 # cinto-dev stops its lighttpd, workers and MariaDB itself
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# --- cinto stack
PORT=$(free_port)
"$ROOT/tools/cinto-dev" serve --port "$PORT" --state "$TMP/state" --workers "$WORKERS" \
	>"$TMP/serve.log" 2>&1 </dev/null &
SERVE_PID=$!
wait_http "http://127.0.0.1:$PORT/v1/" "$SERVE_PID" 300 ||
	{ tail -n 30 "$TMP/serve.log" >&2; die "cinto did not start"; }
API=http://127.0.0.1:$PORT/v1

# --- trivial FastCGI program behind its own lighttpd (same FastCGI settings)
gcc -O2 -o "$TMP/trivial.fcgi" "$ROOT/bench/trivial.c" -lfcgi || die "cannot build bench/trivial.c"
TPORT=$(free_port)
mkdir -p "$TMP/trivial-www"
cat >"$TMP/trivial.conf" <<CONF
server.document-root = "$TMP/trivial-www"
server.bind          = "127.0.0.1"
server.port          = $TPORT
server.errorlog      = "$TMP/trivial-error.log"
server.modules      += ( "mod_fastcgi" )
fastcgi.server = ( "/" => ((
  "socket"              => "$TMP/trivial.sock",
  "bin-path"            => "$TMP/trivial.fcgi",
  "max-procs"           => $WORKERS,
  "check-local"         => "disable",
  "fix-root-scriptname" => "enable",
)) )
CONF
lighttpd -D -f "$TMP/trivial.conf" </dev/null >>"$TMP/trivial-error.log" 2>&1 &
TRIVIAL_PID=$!
wait_http "http://127.0.0.1:$TPORT/v1/" "$TRIVIAL_PID" 30 ||
	{ tail -n 20 "$TMP/trivial-error.log" >&2; die "trivial lighttpd did not start"; }

# --- data: a bucket, a collection and 10 records, created with Basic auth
AUTH="Authorization: Basic $(printf 'bench:bench-secret' | base64)"
put() { # PATH JSON
	local code
	code=$(curl -s -o "$TMP/last.json" -w '%{http_code}' -X PUT -H "$AUTH" \
		-H 'Content-Type: application/json' -d "$2" "$API$1")
	case $code in 200 | 201) ;; *) cat "$TMP/last.json" >&2; die "PUT $1 answered $code" ;; esac
}
put /buckets/bench '{"data": {}}'
put /buckets/bench/collections/items '{"data": {}}'
put /buckets/bench/collections/new '{"data": {}}'
for i in $(seq 1 10); do
	put "/buckets/bench/collections/items/records/rec$i" \
		"{\"data\": {\"title\": \"record $i\", \"done\": false, \"n\": $i}}"
done

# --- wrk runs
run_wrk() { # NAME URL [wrk args...]
	local name=$1 url=$2
	shift 2
	log "wrk $name: $url (${DURATION}s)"
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url" >"$TMP/wrk-$name.txt" 2>&1 ||
		{ cat "$TMP/wrk-$name.txt" >&2; die "wrk failed for $name"; }
}
run_wrk get "$API/buckets/bench/collections/items/records/rec1" -H "$AUTH"
run_wrk create "$API/buckets/bench/collections/new/records" -H "$AUTH" -s "$ROOT/bench/create.lua"
run_wrk list "$API/buckets/bench/collections/items/records" -H "$AUTH"
run_wrk trivial "http://127.0.0.1:$TPORT/v1/"

# --- table
row() { # NAME DESCRIPTION
	awk -v name="$1" -v desc="$2" '
		/Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = $2 }
		/^ +99%/ { p99 = $2 }
		/requests in/ { total = $1 }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		/Socket errors:/ { errs = $0; sub(/.*Socket errors: /, "", errs) }
		END {
			printf "%-8s %-34s %10s %9s %9s %9s %8s  %s\n", name, desc, rps, p50, p99, total, bad + 0,
				(errs == "" ? "-" : errs)
		}' "$TMP/wrk-$1.txt"
}
echo
echo "cinto benchmark: wrk -t$THREADS -c$CONNS -d${DURATION}s, $WORKERS FastCGI workers, $(nproc) cores"
printf '%-8s %-34s %10s %9s %9s %9s %8s  %s\n' scenario request 'req/s' p50 p99 requests non-2xx 'socket errors'
row get "GET one record (auth)"
row create "POST a record (auth)"
row list "GET 10 records (auth)"
row trivial "trivial FastCGI (ceiling)"
