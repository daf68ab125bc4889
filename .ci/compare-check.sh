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
#
# .ci/compare-check.sh judged (make compare-check-judged): the judged checks
# instead. make compare BASE=HEAD runs three times, with the head unchanged,
# with every timed step about 2 % longer (SLOWDOWN=uniform:0.02) and with one
# step in 20 done twice (lumpy:20); a table gives each run's exit status, its
# wall time, and whether reference-cpu1 is named among the failures (timed,
# counted). Each run's output is in OUT/judged-CONDITION.log.
set -euo pipefail
if [ "${1:-}" = judged ]; then
  OUT=${OUT:-results/out/compare-check}
  cd "$(git rev-parse --show-toplevel)"
  mkdir -p "$OUT"
  rows=()
  for c in none uniform:0.02 lumpy:20; do
    log=$OUT/judged-${c/:/-}.log slow=$c
    [ "$c" = none ] && slow=
    echo "compare-check: make compare BASE=HEAD, head slowed by: $c" >&2
    t0=$SECONDS status=0
    SLOWDOWN=$slow OUT=$OUT/judged-${c/:/-} make --no-print-directory compare BASE=HEAD >"$log" 2>&1 || status=$?
    named=$(grep -E '^  - .*reference-cpu1.*\((timed|counted)\)' "$log" | sed -E 's/.*\((timed|counted)\).*/\1/' | paste -sd, - || true)
    rows+=("| $c | $status | $((SECONDS - t0)) s | ${named:-no} |")
  done
  printf '| head slowed by | exit | wall time | reference-cpu1 named (measure) |\n| --- | --- | --- | --- |\n'
  printf '%s\n' "${rows[@]}"
  exit 0
fi
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
