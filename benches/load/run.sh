#!/usr/bin/env bash
# Load test of the local runner (`examreg serve`, embedded backend: SQLite,
# a folder, an outbox) with wrk, on loopback only.
#
#   benches/load/run.sh                 # builds the release runner first
#   NO_BUILD=1 CONNECTIONS="50" DURATION=5s benches/load/run.sh
#
# What it does: starts target/release/examreg on a fresh data directory with
# the simulated clock at 2021-11-20T10:00:00+01:00 (CAP registration open),
# prepares CANDIDATES candidates (signup, activation, login, a first
# inscription: benches/load/prepare.py), then for each number of CONNECTIONS
# runs wrk for DURATION on GET /inscription and on PUT /inscription
# (benches/load/get.lua, put.lua: round robin over the candidates' tokens;
# PUT sends the version it last saw for the candidate, so 409
# version_conflict answers are correct answers, counted apart; a 5xx is an
# error). It prints a Markdown table: throughput, p50/p90/p99, answers by
# status, socket errors, and the runner's memory (VmRSS now, VmHWM peak).
#
# wrk and the runner share the machine's cores: on a 2-core machine the
# figures are those of both together. Needs wrk (apt-get install wrk),
# python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT="${PORT:-3917}"
DURATION="${DURATION:-10s}"
CANDIDATES="${CANDIDATES:-256}"
CONNECTIONS="${CONNECTIONS:-50 200}"
THREADS="${THREADS:-2}"
NOW="${NOW:-2021-11-20T10:00:00+01:00}"
BASE="http://127.0.0.1:$PORT"

for tool in wrk python3 curl; do
    command -v "$tool" >/dev/null || { echo "load: $tool is missing (wrk: apt-get install wrk)" >&2; exit 1; }
done
if [[ -z "${NO_BUILD:-}" ]]; then
    cargo build --release --bin examreg
fi
BIN="${CARGO_TARGET_DIR:-target}/release/examreg"

DATA="$(mktemp -d /tmp/examreg-load.XXXXXX)"
"$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA/data" --now "$NOW" \
    >"$DATA/runner.out" 2>"$DATA/runner.log" &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { echo "load: the runner died:" >&2; cat "$DATA/runner.log" >&2; exit 1; }
    sleep 0.05
done
curl -fs "$BASE/health" >/dev/null

memory() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$PID/status"; }

echo "load: runner pid $PID on $BASE, data in $DATA; idle: $(memory)" >&2
started=$(date +%s.%N)
python3 benches/load/prepare.py "$BASE" "$CANDIDATES" >"$DATA/tokens.txt"
prepared="$(echo "$(date +%s.%N) - $started" | bc)"
prepare_memory="$(memory)"
echo "load: $CANDIDATES candidates prepared in $prepared s; $prepare_memory" >&2

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)."
echo "Runner: $BIN serve (embedded backend), clock at $NOW; wrk -t$THREADS -d$DURATION --latency."
echo "Preparation: $CANDIDATES candidates (signup, activation, login, first PUT; 4 clients in parallel) in $prepared s; runner memory after it: $prepare_memory(the peak is argon2id's 19 MiB per hash on the blocking threads)."
echo
echo "| route | connections | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | 2xx | 409 | other 4xx | 5xx | socket errors | runner VmRSS before → after / peak during the run (VmHWM) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for c in $CONNECTIONS; do
    for route in get put; do
        # Reset the peak (VmHWM) so that it is this run's (Linux >= 4.0).
        echo 5 >"/proc/$PID/clear_refs" 2>/dev/null || true
        before="$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status")"
        out="$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency --timeout 10s \
            -s "benches/load/$route.lua" "$BASE/inscription" -- "$DATA/tokens.txt" "$THREADS")"
        echo "$out" >"$DATA/wrk-$route-$c.txt"
        json="$(echo "$out" | sed -n 's/^LOADRESULT //p')"
        rss="$(awk -v b="$before" '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%s → %.1f / %.1f MiB", b, r/1024, h/1024}' "/proc/$PID/status")"
        python3 - "$route" "$c" "$json" "$rss" <<'PY'
import json, sys
route, c, raw, rss = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
r = json.loads(raw)
e = r["socket_errors"]
errors = sum(e.values())
name = {"get": "GET /inscription", "put": "PUT /inscription"}[route]
print(f"| {name} | {c} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} "
      f"| {r['s2xx']} | {r['s409']} | {r['s4xx']} | {r['s5xx']} | {errors} | {rss} |")
PY
    done
done
if ! kill -0 "$PID" 2>/dev/null; then
    echo "load: the runner died during the test" >&2
    exit 1
fi
echo
echo "Runner log: $(wc -l <"$DATA/runner.log") lines; final memory: $(memory)"
