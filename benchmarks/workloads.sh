#!/usr/bin/env bash
# W1-W5 (../shared/bench): `sluice run` as a user runs it — the whole process,
# JSON-lines input, every output written as JSON lines to /dev/null — and, when
# Java is present, the reference (../shared/bench/siddhi.sh) on the same data.
# Prints events/s, peak RSS and the output count per workload.
#
#   benchmarks/workloads.sh [EVENTS] [WORKERS]      (defaults: 5000000 1)
#   SLUICE=path/to/sluice benchmarks/workloads.sh   (default target/release/sluice)
#   SIDDHI=0 benchmarks/workloads.sh                 (skip the reference)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5000000}"
WORKERS="${2:-1}"
SLUICE="${SLUICE:-target/release/sluice}"
BENCH=../shared/bench
DATA="${BENCH_DATA:-${TMPDIR:-/tmp}/sluice-bench-$N}"
mkdir -p "$DATA"
if [ ! -f "$DATA/trades.csv" ]; then
    python3 "$BENCH/gen.py" "$N" "$DATA/trades.csv"
    python3 "$BENCH/to_jsonl.py" "$DATA/trades.csv" "$DATA/trades.jsonl"
    python3 "$BENCH/to_jsonl.py" "$DATA/trades.csv" "$DATA/ab.jsonl" ab
fi
printf '%-4s %14s %12s %10s' workload "sluice ev/s" "peak RSS" outputs
if [ "${SIDDHI:-1}" != 0 ] && command -v java >/dev/null; then printf ' %14s %7s' "siddhi ev/s" ratio; fi
echo
for w in w1 w2 w3 w4 w5; do
    input="$DATA/trades.jsonl"
    [ "$w" = w4 ] && input="$DATA/ab.jsonl"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$DATA/rss" "$SLUICE" run "benchmarks/workloads/$w.siddhi" --input "$input" \
        --workers "$WORKERS" 2>/dev/null | wc -l > "$DATA/count"
    end=$(date +%s.%N)
    rate=$(python3 -c "print(int($N / ($end - $start)))")
    rss=$(python3 -c "print('%.1f MiB' % ($(cat "$DATA/rss") / 1024))")
    printf '%-4s %14s %12s %10s' "${w^^}" "$rate" "$rss" "$(cat "$DATA/count")"
    if [ "${SIDDHI:-1}" != 0 ] && command -v java >/dev/null; then
        ref=$("$BENCH/siddhi.sh" "${w^^}" "$DATA/trades.csv" 2>/dev/null | sed -n 's/.*whole=[0-9.]*s \([0-9]*\) ev.*/\1/p' | head -1)
        printf ' %14s %7s' "${ref:-?}" "$(python3 -c "r='${ref:-}'; print('%.2fx' % ($rate / float(r)) if r else '?')")"
    fi
    echo
done
