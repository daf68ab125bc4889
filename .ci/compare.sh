#!/usr/bin/env bash
# make compare BASE=<git ref>: benchmarks of BASE and of the working tree, run
# in COUNT interleaved rounds, then mirrorbench's verdict. Each round runs both
# sides back to back, the order alternating (base first in odd rounds, head
# first in even ones) so that neither side always runs second; compare pairs
# the two samples of each round (--paired), so drift of the machine between
# rounds cancels. The defaults were chosen by measurement: docs/compare.md.
#
# Environment: BASE (required), COUNT (30), BENCH (benchmark regexp, default
# the native suite), BENCHTIME (200x), OUT (results/out/compare), FORMAT (text).
set -euo pipefail
: "${BASE:?set BASE to a git ref, e.g. make compare BASE=HEAD~1}"
COUNT=${COUNT:-30}
BENCH=${BENCH:-Train/scenario=(reference-cpu1|reference-multicore|mirrored-cpu2|mirrored-cpu2-canonical)/}
BENCHTIME=${BENCHTIME:-200x}
OUT=${OUT:-results/out/compare}
top=$(git rev-parse --show-toplevel)
cd "$top"
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

rev=$(git rev-parse --verify --quiet "$BASE^{commit}") || { echo "compare: BASE=$BASE is not a commit" >&2; exit 2; }
echo "compare: building $BASE (${rev:0:12}) and the working tree" >&2
git worktree add --detach "$work/base" "$rev" >/dev/null
(cd "$work/base" && go test -c -o "$work/base.test" .)
go test -c -o "$work/head.test" .

base_txt="$OUT/base.txt" head_txt="$OUT/head.txt"
: >"$base_txt"
: >"$head_txt"
bench_base() { (cd "$work/base" && "$work/base.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1) >>"$base_txt"; }
bench_head() { "$work/head.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 >>"$head_txt"; }
for i in $(seq 1 "$COUNT"); do
  echo "compare: round $i/$COUNT" >&2
  if [ $((i % 2)) = 1 ]; then bench_base; bench_head; else bench_head; bench_base; fi
done

go run . compare --paired --format markdown "$base_txt" "$head_txt" >"$OUT/summary.md" || true
go run . compare --paired --format "${FORMAT:-text}" "$base_txt" "$head_txt"
