#!/usr/bin/env bash
# make compare-check: measures make compare's verdict. It records ROUNDS
# rounds of the benchmarks under six conditions, all from the working tree:
# A1 and A2 (the same build twice: false alarms), and with known work added
# to every timed step (go test -tags slowdown, MIRRORBENCH_SLOWDOWN):
# uniform 5 % and 10 % (every step longer), lumpy 20 and 10 (one step in 20
# or in 10 done twice: +5 % and +10 % on average, the median step unchanged).
# The conditions of a round run back to back in a rotating order. Then
# comparecheck replays make compare's paired verdict on TRIALS random
# subsets of COUNT rounds and prints the detection table.
#
# Environment: ROUNDS (40), COUNT (30), TRIALS (200), BENCH, BENCHTIME
# (200x), OUT (results/out/compare-check). About 15 s per round on 2 cores.
set -euo pipefail
ROUNDS=${ROUNDS:-40}
COUNT=${COUNT:-30}
TRIALS=${TRIALS:-200}
BENCH=${BENCH:-Train/scenario=(reference-cpu1|reference-multicore|mirrored-cpu2|mirrored-cpu2-canonical)/}
BENCHTIME=${BENCHTIME:-200x}
OUT=${OUT:-results/out/compare-check}
cd "$(git rev-parse --show-toplevel)"
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/plain.test" .
go test -c -tags slowdown -o "$work/slow.test" .

conds=(A1 A2 uniform:0.05 lumpy:20 uniform:0.10 lumpy:10)
for c in "${conds[@]}"; do : >"$OUT/${c/:/-}.txt"; done
for i in $(seq 1 "$ROUNDS"); do
  echo "compare-check: round $i/$ROUNDS" >&2
  for j in "${!conds[@]}"; do
    c=${conds[$(((i + j) % ${#conds[@]}))]}
    bin=$work/slow.test env=$c
    case $c in A1 | A2) bin=$work/plain.test env= ;; esac
    MIRRORBENCH_SLOWDOWN=$env "$bin" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 >>"$OUT/${c/:/-}.txt"
  done
done
go run ./bench/internal/comparecheck -n "$COUNT" -trials "$TRIALS" "$OUT"
