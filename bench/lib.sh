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

free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
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
