# bench/lib.sh: helpers shared by the benchmark scripts (sourced, not run).
# Processes are stopped by pid only; ports are picked free at random.
alive() { [ -d "/proc/$1" ] && ! grep -q '^[^)]*) [ZX]' "/proc/$1/stat" 2>/dev/null; }

stop_pid() { # SIGTERM, wait up to $2 s, SIGKILL
	local pid=$1 i=0
	[ -n "$pid" ] || return 0
	alive "$pid" && kill -TERM "$pid" 2>/dev/null
	while alive "$pid" && [ $i -lt $((${2:-20} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}

# A port nobody listens on, outside the kernel's range for outgoing connections (a port in use
# by one of those, e.g. another benchmark's wrk, refuses a connection but cannot be bound).
free_port() {
	local p lo=32768 hi=60999 base=10000 span
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if [ "$lo" -gt 20000 ]; then span=$((lo - base)); else base=$((hi + 1)) span=$((65535 - hi)); fi
	[ "$span" -ge 1000 ] || base=20000 span=40000
	for _ in $(seq 1 200); do
		p=$((base + RANDOM % span))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	die "no free port found"
}

wait_http() { # URL PID SECONDS
	local i=0 code
	while :; do
		code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true)
		[ -n "$code" ] && [ "$code" != 000 ] && return 0
		alive "$2" || return 1
		i=$((i + 1))
		[ $i -gt $(($3 * 5)) ] && return 1
		sleep 0.2
	done
}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wrk (installed when root and missing) and an up-to-date build.
bench_prepare() {
	if ! command -v wrk >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "wrk is missing (apt-get install wrk)"
		log "installing wrk"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
			--no-install-recommends wrk
	fi
	"$ROOT/tools/cinto-dev" build >/dev/null
}

# --- shared by cgi.sh and hosting.sh (they set TMP, DURATION, THREADS, CONNS)

# Every process below PID (children, grandchildren...), one pid a line.
descendants() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v top="$1" '
		{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); if (f[1] != "Z") kids[f[2]] = kids[f[2]] " " $1 }
		END {
			q[n = 1] = top
			for (i = 1; i <= n; i++) { c = split(kids[q[i]], k, " "); for (j = 1; j <= c; j++) { print k[j]; q[++n] = k[j] } }
		}'
}

# A private MariaDB (and an idle FastCGI stack of cinto-dev's own), through
# `tools/cinto-dev serve`; sets SERVE_PID (stop it with stop_pid "$SERVE_PID" 90: cinto-dev
# stops its lighttpd, workers and MariaDB itself), URL, SECRET and SOCK (the MariaDB socket).
bench_serve_db() {
	local port
	port=$(free_port)
	"$ROOT/tools/cinto-dev" serve --port "$port" --state "$TMP/state" --workers 1 \
		>"$TMP/serve.log" 2>&1 </dev/null &
	SERVE_PID=$!
	wait_http "http://127.0.0.1:$port/v1/" "$SERVE_PID" 300 ||
		{ tail -n 30 "$TMP/serve.log" >&2; die "cinto did not start"; }
	local ini=$TMP/state/cinto.ini
	URL=$(sed -n 's/^kinto\.storage_url = //p' "$ini")
	SECRET=$(sed -n 's/^kinto\.userid_hmac_secret = //p' "$ini")
	SOCK=$(printf '%s' "$URL" | sed -n 's/.*unix_socket=//p')
	[ -n "$URL" ] && [ -n "$SECRET" ] && [ -n "$SOCK" ] || die "cannot read $ini"
}

# bench_ini basic|accounts STORAGE_URL: the ini of a scenario (SECRET is the HMAC secret).
bench_ini() {
	echo "[app:main]"
	echo "kinto.storage_url = $2"
	echo "kinto.userid_hmac_secret = $SECRET"
	case $1 in
	basic) echo "multiauth.policies = basicauth" ;;
	accounts)
		echo "multiauth.policies = account"
		echo "multiauth.policy.account.use = kinto.plugins.accounts.authentication.AccountsAuthenticationPolicy"
		echo "kinto.includes = kinto.plugins.accounts"
		echo "kinto.account_create_principals = system.Everyone"
		;;
	*) die "bench_ini: unknown scenario '$1'" ;;
	esac
	echo "kinto.bucket_create_principals = system.Authenticated"
}

# The credentials and the record every scenario GETs.
BASIC="Authorization: Basic $(printf 'bench:bench-secret' | base64)"
ACCOUNT="Authorization: Basic $(printf 'bencher:a-long-enough-password' | base64)"
REC=/buckets/bench/collections/items/records/rec1

bench_put() { # URL JSON [curl args]
	local url=$1 body=$2 code
	shift 2
	code=$(curl -s -o "$TMP/last.json" -w '%{http_code}' -X PUT "$@" \
		-H 'Content-Type: application/json' -d "$body" "$url")
	case $code in 200 | 201) ;; *) cat "$TMP/last.json" >&2; die "PUT $url answered $code" ;; esac
}

# bench_data BASIC_API ACCOUNTS_API (…/v1): the account, a bucket it may read, a collection and
# the record.
bench_data() {
	bench_put "$2/accounts/bencher" '{"data": {"password": "a-long-enough-password"}}'
	bench_put "$1/buckets/bench" '{"data": {}, "permissions": {"read": ["account:bencher"]}}' -H "$BASIC"
	bench_put "$1/buckets/bench/collections/items" '{"data": {}}' -H "$BASIC"
	bench_put "$1/buckets/bench/collections/items/records/rec1" \
		'{"data": {"title": "record 1", "done": false, "n": 1}}' -H "$BASIC"
}

# bench_check_get API HEADER [LOG]: the record answers 200 there (else the log's tail, and die).
bench_check_get() {
	local code
	code=$(curl -s -o "$TMP/last.json" -w '%{http_code}' -H "$2" "$1$REC")
	[ "$code" = 200 ] || {
		cat "$TMP/last.json" >&2
		[ -n "${3:-}" ] && tail -n 20 "$3" >&2
		die "GET $1$REC answered $code"
	}
}

run_wrk() { # NAME ROUND URL HEADER
	log "wrk $1 (round $2): $3 (${DURATION}s)"
	# one request first, so that every run measures the steady state (an account's login is
	# cached by then: its expiry may have passed during the other scenarios)
	curl -s -o /dev/null -H "$4" "$3" || true
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "$4" "$3" >"$TMP/wrk-$1-$2.txt" 2>&1 ||
		{ cat "$TMP/wrk-$1-$2.txt" >&2; die "wrk failed for $1"; }
}

# req/s of every round of NAME, one per line
rounds_rps() { cat "$TMP"/wrk-"$1"-*.txt | awk '/Requests\/sec:/ { print $2 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rps() { rounds_rps "$1" | median; }
row_header() { printf '%-14s %-30s %10s %9s %8s  %s\n' scenario request 'req/s' requests non-2xx 'req/s of each round'; }
row() { # NAME DESCRIPTION: median req/s, requests and non-2xx of all rounds, each round's req/s
	local med all
	med=$(rps "$1")
	all=$(rounds_rps "$1" | tr '\n' ' ')
	cat "$TMP"/wrk-"$1"-*.txt | awk -v name="$1" -v desc="$2" -v med="$med" -v all="$all" '
		/requests in/ { total += $1 }
		/Non-2xx or 3xx responses:/ { bad += $NF }
		END { printf "%-14s %-30s %10s %9s %8s  %s\n", name, desc, med, total, bad + 0, all }'
}
ratio() { # A B: A/B, also as 1/N when below 1 or xN above
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0 || a <= 0) print "-"; else if (a < b) printf "%.3f (1/%.0f)", a / b, b / a; else printf "%.3f (x%.2f)", a / b, a / b }'
}
