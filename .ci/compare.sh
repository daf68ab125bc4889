#!/usr/bin/env bash
# make compare BASE=<git ref>: benchmarks of BASE and of the working tree, run
# in COUNT interleaved rounds, then mirrorbench's verdict. Each round runs both
# sides back to back, the order alternating (base first in odd rounds, head
# first in even ones) so that neither side always runs second; compare pairs
# the two samples of each round (--paired), so drift of the machine between
# rounds cancels. The defaults were chosen by measurement: docs/compare.md.
#
# Beside the timed rounds, where valgrind is installed, the one-thread
# benchmarks are counted (bench/internal/counted: instructions of the timed
# steps under cachegrind, the difference of runs of 1 and 1+K steps: K = 1
# on the avx2-fma kernels, K = 20 on the generic ones), and compare gives a
# counted verdict beside the timed one. The counting runs at the lowest
# priority (nice 19) while the timed rounds run: it takes the CPU they leave
# idle (the one-thread benchmarks, the binaries' set-up), and what is left of
# it runs after them. Without valgrind one line says so and the timed verdict
# stands alone.
#
# Environment: BASE (required), COUNT (30), BENCH (benchmark regexp, default
# the native suite), BENCHTIME (200x), OUT (results/out/compare), FORMAT (text);
# COUNTED (the scenarios counted, default reference-cpu1; none: no counts),
# COUNT_K (1: avx2-fma steps counted), COUNT_SPAN (20: generic steps counted;
# 0: none), CACHE_SIM (0; 1: est-cycles of the avx2-fma runs too);
# VERDICT_FROM (head, or base: the verdict computed by the base's own
# compare, as the pull-request workflow does); SLOWDOWN (a
# MIRRORBENCH_SLOWDOWN value: the head is built with -tags slowdown and runs
# with it, for make compare-check's judged checks).
set -euo pipefail
: "${BASE:?set BASE to a git ref, e.g. make compare BASE=HEAD~1}"
COUNT=${COUNT:-30}
BENCH=${BENCH:-Train/scenario=(reference-cpu1|reference-multicore|mirrored-cpu2|mirrored-cpu2-canonical)/}
BENCHTIME=${BENCHTIME:-200x}
OUT=${OUT:-results/out/compare}
COUNTED=${COUNTED:-reference-cpu1}
COUNT_K=${COUNT_K:-1}
COUNT_SPAN=${COUNT_SPAN:-20}
CACHE_SIM=${CACHE_SIM:-0}
VERDICT_FROM=${VERDICT_FROM:-head}
SLOWDOWN=${SLOWDOWN:-}
top=$(git rev-parse --show-toplevel)
cd "$top"
mkdir -p "$OUT"
work=$(mktemp -d)
counting=() # the counted runs' process ids, while they run
cleanup() {
  for p in "${counting[@]}"; do kill "$p" 2>/dev/null || true; done
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rev=$(git rev-parse --verify --quiet "$BASE^{commit}") || { echo "compare: BASE=$BASE is not a commit" >&2; exit 2; }

# Counting: where valgrind is installed, each side is counted (nice 19, in
# the background) as soon as it is built.
count=0
if [ "$COUNTED" = none ]; then
  echo "compare: COUNTED=none: timed verdict alone" >&2
elif ! command -v valgrind >/dev/null 2>&1; then
  echo "compare: valgrind not found: timed verdict alone (apt-get install valgrind for the counted one, docs/compare.md)"
else
  count=1
  go build -o "$work/counted" ./bench/internal/counted
  counted_args=(-k "$COUNT_K" -span "$COUNT_SPAN")
  [ "$CACHE_SIM" = 1 ] && counted_args+=(-cache-sim)
  read -r -a scs <<<"$COUNTED"
  counted_args+=("${scs[@]}")
  echo "compare: counting ${scs[*]} under valgrind (avx2-fma K=$COUNT_K, generic K=$COUNT_SPAN), base and head, beside the timed rounds" >&2
fi
t0=$SECONDS
# start_count SIDE DIR [ENV...]: counts SIDE's binary, run in DIR.
start_count() {
  local side=$1 dir=$2
  shift 2
  env "$@" nice -n 19 "$work/counted" -bin "$work/$side.test" -C "$dir" "${counted_args[@]}" >"$OUT/counted-$side.txt" 2>"$work/counted-$side.err" &
  counting+=($!)
}

echo "compare: building $BASE (${rev:0:12}) and the working tree" >&2
git worktree add --detach "$work/base" "$rev" >/dev/null
# -trimpath: file paths do not enter the binaries, so the two builds differ
# only where the code does.
(cd "$work/base" && go test -c -trimpath -o "$work/base.test" .)
[ "$count" = 1 ] && start_count base "$work/base"
head_tags=()
[ -n "$SLOWDOWN" ] && head_tags=(-tags slowdown) && echo "compare: head built with -tags slowdown, MIRRORBENCH_SLOWDOWN=$SLOWDOWN" >&2
go test -c -trimpath "${head_tags[@]}" -o "$work/head.test" .
[ "$count" = 1 ] && start_count head "$top" MIRRORBENCH_SLOWDOWN="$SLOWDOWN"

base_txt="$OUT/base.txt" head_txt="$OUT/head.txt"
: >"$base_txt"
: >"$head_txt"
bench_base() { (cd "$work/base" && "$work/base.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1) >>"$base_txt"; }
bench_head() { MIRRORBENCH_SLOWDOWN=$SLOWDOWN "$work/head.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 >>"$head_txt"; }
t1=$SECONDS
for i in $(seq 1 "$COUNT"); do
  echo "compare: round $i/$COUNT" >&2
  if [ $((i % 2)) = 1 ]; then bench_base; bench_head; else bench_head; bench_base; fi
done
t2=$SECONDS
echo "compare: $COUNT timed rounds in $((t2 - t1)) s" >&2

counted_base=() counted_head=()
if [ "$count" = 1 ]; then
  ok=1
  for p in "${counting[@]}"; do wait "$p" || ok=0; done
  counting=()
  if [ "$ok" = 1 ]; then
    echo "compare: counted $((SECONDS - t0)) s after the first build began ($((SECONDS - t2)) s after the timed rounds)" >&2
    counted_base=(",$OUT/counted-base.txt") counted_head=(",$OUT/counted-head.txt")
  else
    cat "$work/counted-base.err" "$work/counted-head.err" >&2
    echo "compare: counting under valgrind failed (its error above): timed verdict alone"
  fi
fi

# The verdict: the head's compare, or (VERDICT_FROM=base) the base's, so that
# a pull request cannot change the rule it is judged by. A base whose compare
# predates counted verdicts judges the timed rounds alone; the head's then
# adds the counted verdict, and says so.
old="$base_txt${counted_base[*]}" new="$head_txt${counted_head[*]}"
judge=(go run .)
if [ "$VERDICT_FROM" = base ]; then
  go build -C "$work/base" -o "$work/base-mirrorbench" . && judge=("$work/base-mirrorbench")
  help=$("${judge[@]}" compare -h 2>&1 || true)
  if [ ${#counted_base[@]} -gt 0 ] && [[ $help != *count-threshold* ]]; then
    echo "compare: the base's compare has no counted verdict: it judges the timed rounds; the counted verdict below is the head's"
    status=0
    go run . compare --format "${FORMAT:-text}" "$OUT/counted-base.txt" "$OUT/counted-head.txt" || status=$?
    go run . compare --format markdown "$OUT/counted-base.txt" "$OUT/counted-head.txt" >"$OUT/summary-counted.md" || true
    "${judge[@]}" compare --paired --format markdown "$base_txt" "$head_txt" >"$OUT/summary.md" || true
    cat "$OUT/summary-counted.md" >>"$OUT/summary.md"
    "${judge[@]}" compare --paired --format "${FORMAT:-text}" "$base_txt" "$head_txt" || status=1
    exit "$status"
  fi
fi
(cd "$top" && "${judge[@]}" compare --paired --format markdown "$old" "$new" >"$OUT/summary.md") || true
"${judge[@]}" compare --paired --format "${FORMAT:-text}" "$old" "$new"
