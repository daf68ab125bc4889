#!/usr/bin/env bash
# make framework-compare: the native engine beside PyTorch (engine pytorch),
# in one run, on the same machine, model, initial weights, batches and MNIST
# files, at 1 thread, at all cores, and as 2 mirrored replicas (PyTorch: DDP
# over gloo). It prints the side-by-side table of `report --engines`.
# See bench/frameworks/README.md.
#
# Rounds are interleaved: each round runs every configuration once, the order
# reversed every other round, so that machine noise falls on both engines
# alike. The binary is built once, so every round runs the same code.
#
# Environment: COUNT (rounds, 5), LIMIT (training images per run, 6400: 200
# steps, the first 20 left out as warm-up), OUT (results/frameworks),
# MIRRORBENCH_PYTHON (the interpreter; default python3 on PATH, then
# /usr/bin/python3, where Debian's python3-torch lives).
set -euo pipefail
COUNT=${COUNT:-5}
LIMIT=${LIMIT:-6400}
OUT=${OUT:-results/frameworks}
top=$(git rev-parse --show-toplevel)
cd "$top"
say() { echo "framework-compare: $*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/mirrorbench" .
mb=$work/mirrorbench

# PyTorch from Debian's packages, installed when no interpreter imports it.
if ! "$mb" frameworks | grep -q 'runs here'; then
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_=sudo
  say "installing python3-torch and OpenBLAS with apt-get"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq python3-torch python3-numpy libopenblas0-openmp >/dev/null
fi
"$mb" frameworks >&2
if "$mb" frameworks | grep -q 'blas/libblas.so'; then
  say "warning: PyTorch calls the reference BLAS, several times slower than an optimised one (apt-get install libopenblas0-openmp)"
fi

configs=(reference-cpu1 pytorch-cpu1 reference-multicore pytorch-multicore mirrored-cpu2 pytorch-mirrored-cpu2)
runs=()
for i in $(seq 1 "$COUNT"); do
  if [ $((i % 2)) = 1 ]; then
    runs+=("${configs[@]}")
  else
    for ((k = ${#configs[@]} - 1; k >= 0; k--)); do runs+=("${configs[k]}"); done
  fi
done

# A fresh folder per invocation, so that the table holds this run alone.
mkdir -p "$OUT"
dir=$OUT/$(date -u +%Y%m%dT%H%M%SZ)
say "$COUNT rounds of ${#configs[@]} runs (1 epoch of $LIMIT images each) into $dir"
status=0
"$mb" run --store "" --out "$dir" --epochs 1 --train-limit "$LIMIT" "${runs[@]}" >"$dir.log" || status=$?
# One epoch cannot meet the 5-epoch target: exit 1 is expected; 2 is not.
[ "$status" -le 1 ] || { cat "$dir.log" >&2; exit "$status"; }
{
  echo "## Native engine vs PyTorch: steady-state training, batch 32, real MNIST"
  echo
  echo "$COUNT interleaved rounds, each run 1 epoch of the first $LIMIT training images, from the same initial weights in the same order; commit $(git rev-parse --short HEAD)$(git diff --quiet -- '*.go' '*.py' '*.s' || echo ' plus uncommitted changes')."
  echo
  "$mb" report --engines --markdown "$dir"
} | tee "$dir/summary.md"
