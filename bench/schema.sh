#!/usr/bin/env bash
# bench/schema.sh [--duration S] [--rounds N] [--connections N] [--threads N] [--workers N]
#
# Cost of JSON Schema validation on record creation. Builds cinto, starts its own stack
# (private MariaDB + lighttpd + cinto.fcgi workers through `tools/cinto-dev serve`, with
# KINTO_EXPERIMENTAL_COLLECTION_SCHEMA_VALIDATION=true) on a free port under a temp folder,
# creates two collections in one bucket:
#   schema   a 20-property schema (types, required, patterns, min/max, enum, multipleOf,
#            a nested object, array items, additionalProperties: false)
#   plain    no schema
# then runs wrk POSTing the same valid record (bench/create-schema.lua) into each, alternating
# plain/schema for --rounds rounds (default 3; the median damps noise from other load), prints
# creates/s side by side, and stops what it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10 ROUNDS=3 CONNS=16 THREADS=2 WORKERS=2
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=${2:?}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--rounds=*) ROUNDS=${1#*=}; shift ;;
	--connections) CONNS=${2:?}; shift 2 ;;
	--threads) THREADS=${2:?}; shift 2 ;;
	--workers) WORKERS=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 1 ] || { echo "bench: --duration takes whole seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "bench: --rounds takes a positive number" >&2; exit 2; }

. "$ROOT/bench/lib.sh"
bench_prepare

TMP=$(mktemp -d /tmp/cinto-bench-schema.XXXXXX)
SERVE_PID=

cleanup() {
	set +e
	stop_pid "$SERVE_PID" 90 # cinto-dev stops its lighttpd, workers and MariaDB itself
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# --- cinto stack, schema validation on
PORT=$(free_port)
KINTO_EXPERIMENTAL_COLLECTION_SCHEMA_VALIDATION=true \
	"$ROOT/tools/cinto-dev" serve --port "$PORT" --state "$TMP/state" --workers "$WORKERS" \
	>"$TMP/serve.log" 2>&1 </dev/null &
SERVE_PID=$!
wait_http "http://127.0.0.1:$PORT/v1/" "$SERVE_PID" 300 ||
	{ tail -n 30 "$TMP/serve.log" >&2; die "cinto did not start"; }
API=http://127.0.0.1:$PORT/v1
curl -s "$API/" | grep -q '"schema":' || die "the server does not advertise the schema capability"

# --- data: one bucket, a collection with a 20-property schema and one without
AUTH="Authorization: Basic $(printf 'bench:bench-secret' | base64)"
send() { # METHOD PATH JSON EXPECTED_CODES...
	local method=$1 path=$2 body=$3 code
	shift 3
	code=$(curl -s -o "$TMP/last.json" -w '%{http_code}' -X "$method" -H "$AUTH" \
		-H 'Content-Type: application/json' -d "$body" "$API$path")
	local want
	for want in "$@"; do [ "$code" = "$want" ] && return 0; done
	cat "$TMP/last.json" >&2
	die "$method $path answered $code (expected $*)"
}
SCHEMA='{
  "type": "object",
  "required": ["title", "done", "n", "email", "tags", "meta"],
  "additionalProperties": false,
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "done": {"type": "boolean"},
    "n": {"type": "integer", "minimum": 0, "maximum": 1000000},
    "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"},
    "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
    "color": {"enum": ["red", "green", "blue"]},
    "priority": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 32},
             "maxItems": 10, "uniqueItems": true},
    "ratio": {"type": "number", "multipleOf": 0.25},
    "created": {"type": "string", "format": "date-time"},
    "version": {"type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+$"},
    "owner": {"type": "string", "minLength": 3},
    "count": {"type": "integer", "minimum": 0},
    "lang": {"type": "string", "maxLength": 5},
    "public": {"type": "boolean"},
    "parent": {"type": ["string", "null"]},
    "meta": {"type": "object", "required": ["source"], "additionalProperties": false,
             "properties": {"source": {"type": "string"}, "size": {"type": "integer", "minimum": 0},
                            "checksum": {"type": "string", "pattern": "^[0-9a-f]{8}$"}}},
    "points": {"type": "array", "maxItems": 5,
               "items": {"type": "object", "required": ["x", "y"],
                         "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
    "note": {"type": "string", "maxLength": 500}
  }
}'
send PUT /buckets/bench '{"data": {}}' 200 201
send PUT /buckets/bench/collections/schema "{\"data\": {\"schema\": $SCHEMA}}" 200 201
send PUT /buckets/bench/collections/plain '{"data": {}}' 200 201

# The wrk body must really be valid (201 with the schema stamp), and validation must really run
# (a broken record is refused), or the comparison means nothing.
BODY=$(sed -n '/^wrk.body = \[\[/,/\]\]$/p' "$ROOT/bench/create-schema.lua" | sed -e 's/^wrk.body = \[\[//' -e 's/\]\]$//')
[ -n "$BODY" ] || die "cannot read the record body from bench/create-schema.lua"
send POST /buckets/bench/collections/schema/records "$BODY" 201
grep -q '"schema":[0-9]' "$TMP/last.json" || die "the created record carries no schema stamp"
send POST /buckets/bench/collections/schema/records "${BODY/\"n\": 42/\"n\": -1}" 400
send POST /buckets/bench/collections/plain/records "$BODY" 201

# --- wrk runs (a short warm-up of each first, so both start from warm workers and caches)
run_wrk() { # NAME SECONDS URL
	local name=$1 secs=$2 url=$3
	log "wrk $name: $url (${secs}s)"
	wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency -H "$AUTH" -s "$ROOT/bench/create-schema.lua" \
		"$url" >"$TMP/wrk-$name.txt" 2>&1 || { cat "$TMP/wrk-$name.txt" >&2; die "wrk failed for $name"; }
}
run_wrk warmup-plain 2 "$API/buckets/bench/collections/plain/records"
run_wrk warmup-schema 2 "$API/buckets/bench/collections/schema/records"
for r in $(seq 1 "$ROUNDS"); do
	run_wrk "plain-$r" "$DURATION" "$API/buckets/bench/collections/plain/records"
	run_wrk "schema-$r" "$DURATION" "$API/buckets/bench/collections/schema/records"
done

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
			printf "%-9s %-30s %10s %9s %9s %9s %8s  %s\n", name, desc, rps, p50, p99, total, bad + 0,
				(errs == "" ? "-" : errs)
		}' "$TMP/wrk-$1.txt"
}
median_rps() { # SCENARIO: median creates/s over the rounds
	local r
	for r in $(seq 1 "$ROUNDS"); do awk '/Requests\/sec:/ { print $2 }' "$TMP/wrk-$1-$r.txt"; done |
		sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
echo "cinto schema benchmark: wrk -t$THREADS -c$CONNS -d${DURATION}s x $ROUNDS rounds, $WORKERS FastCGI workers, $(nproc) cores"
printf '%-9s %-30s %10s %9s %9s %9s %8s  %s\n' run request 'creates/s' p50 p99 requests non-2xx 'socket errors'
for r in $(seq 1 "$ROUNDS"); do
	row "plain-$r" "POST a record, no schema"
	row "schema-$r" "POST a record, 20-prop schema"
done
PLAIN=$(median_rps plain) WITH=$(median_rps schema)
echo
printf 'median creates/s:  plain %s   schema %s\n' "$PLAIN" "$WITH"
awk -v a="$PLAIN" -v b="$WITH" 'BEGIN {
	if (a > 0) printf "schema/plain: %.2f (validation changes create throughput by %+.1f%%)\n", b / a, 100 * (b / a - 1)
}'
