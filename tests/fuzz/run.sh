#!/bin/sh
# Builds the fuzzers and runs each for SECONDS (default 30) on a copy of its
# seed corpus (with dict/<name>.dict when there is one). Exits non-zero if
# any fuzzer finds a crash, leak, sanitizer report or failed property check;
# the reproducer is left in the work directory as crash-*/leak-*/timeout-*/
# oom-*. Inputs kept in regressions/<name>/ are replayed before fuzzing.
# Usage: tests/fuzz/run.sh [SECONDS]
# Environment: FUZZ_WORKDIR (default: a new directory under /tmp),
# FUZZERS (space-separated subset, default all), FUZZ_JOBS (parallel
# fuzzers, default 1).
set -eu

secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=${FUZZ_WORKDIR:-$(mktemp -d /tmp/cinto-fuzz.XXXXXX)}
jobs=${FUZZ_JOBS:-1}
all="fuzz_json fuzz_query fuzz_precondition fuzz_media_type fuzz_accept fuzz_basic \
fuzz_codec fuzz_patch fuzz_router fuzz_schema fuzz_multipart"
fuzzers=${FUZZERS:-$all}

mkdir -p "$work"
"$here/build.sh" "$work/bin"

# One fuzzer: fresh corpus copy (libFuzzer adds its finds there, the seeds
# in the source tree stay as they are), a log and a status file.
run_one() {
    name=$1
    dir=$work/$name
    mkdir -p "$dir/corpus"
    cp "$here/corpus/$name/"* "$dir/corpus/"
    dict=
    if [ -r "$here/dict/$name.dict" ]; then
        dict=-dict=$here/dict/$name.dict
    fi
    # shellcheck disable=SC2086
    if "$work/bin/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$dir/" $dict \
        "$dir/corpus" > "$dir/log" 2>&1; then
        echo ok > "$dir/status"
    else
        echo fail > "$dir/status"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    echo "$name: $(cat "$dir/status") ${runs:-?} execs (limit ${secs}s; log: $dir/log)"
}

# Inputs that once crashed or hung (regressions/<name>/) are replayed first:
# each must now run cleanly within the timeout.
replay() {
    name=$1
    set -- "$here/regressions/$name/"*
    [ -e "$1" ] || return 0
    mkdir -p "$work/$name"
    if "$work/bin/$name" -timeout=10 -rss_limit_mb=2048 "$@" > "$work/$name/replay.log" 2>&1; then
        echo "$name: $# regression input(s) pass"
    else
        echo "$name: REGRESSION replay failed (log: $work/$name/replay.log)"
        replay_failed=1
    fi
}

replay_failed=0
for name in $fuzzers; do
    replay "$name"
done

running=0
for name in $fuzzers; do
    run_one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

failed=$replay_failed
for name in $fuzzers; do
    if [ "$(cat "$work/$name/status" 2>/dev/null)" != ok ]; then
        failed=1
        echo "FAILED: $name (log: $work/$name/log)"
        for f in "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-* \
            "$work/$name"/oom-*; do
            if [ -e "$f" ]; then
                echo "  reproducer: $f"
            fi
        done
    fi
done
exit "$failed"
