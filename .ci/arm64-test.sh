#!/usr/bin/env bash
# arm64 under emulation: the NEON kernels and the Go path must store the bits
# amd64 stores. Runs the kernel and engine tests built for arm64 under
# qemu-aarch64-static, the golden fingerprints of the single run on both
# numerics (NEON's is amd64's fma fingerprint, that of `mirrorbench run
# --epochs 1 --train-limit 320 smoke`) and of the canonical mirrored run on
# NEON, and checks that the arm64 binary starts. Emulation says nothing
# about speed.
#
# Where qemu-aarch64-static is missing it installs nothing: .ci/skipped
# records the skip for make test's summary and it exits 0 (1 under CI,
# which installs qemu). About 45 s of CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=$(command -v qemu-aarch64-static || true)
if [ -z "$qemu" ]; then
  exec .ci/skipped qemu-user-static "apt-get install qemu-user-static" .ci/arm64-test.sh "the arm64 tests under emulation" "qemu-aarch64-static not found"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -tags noopencl: without OpenCL's dynamic loading (purego) the binaries stay
# static, which qemu-user needs (no arm64 ld.so here).
export GOARCH=arm64 CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=noopencl"
# The emulated tests skip amd64's AVX-512 tests by architecture, not for
# want of anything: make test's summary of missing pieces leaves them out.
unset MIRRORBENCH_SKIPS
go build -o "$tmp/mirrorbench-arm64" .
"$qemu" "$tmp/mirrorbench-arm64" list >/dev/null

# Kernels: every test but the float64-reference sweep over large shapes (45 s
# emulated; the pinned hashes and split tests cover the same kernels).
# Trainer: the golden fingerprints of the single run on NEON and on the Go
# path, and of the canonical mirrored run on NEON (all six golden runs take
# 90 s emulated). The single NEON run is the smoke run's training, which
# this script once ran through the arm64 binary: the same fingerprint for a
# fifth of the time (the binary's run also evaluates the 10,000 test images).
# Engine: gradients against finite differences, evaluation against training,
# and the fused and tree forms; the remaining engine tests take minutes
# emulated (TestGradientsTreeBitwise alone two) and check properties that
# hold on every path.
go test -count=1 -exec "$qemu" -skip 'TestSgemmLargeShapes' ./trainer/kernels/
golden() { # PATTERN SUBTEST...: the golden runs, each named subtest must pass
  local out
  out=$(go test -count=1 -v -exec "$qemu" -run "$1" ./trainer/ 2>&1) || { echo "$out"; exit 1; }
  shift
  for sub in "$@"; do
    grep -q -- "--- PASS: TestGoldenFingerprints/$sub " <<<"$out" || { echo "$out"; echo "arm64: TestGoldenFingerprints/$sub did not run"; exit 1; }
  done
  grep '^ok' <<<"$out"
}
golden '^TestGoldenFingerprints$/single/' single/fma single/separate
golden '^TestGoldenFingerprints$/mirrored-canonical/fma' mirrored-canonical/fma
go test -count=1 -exec "$qemu" -run 'TestFiniteDifferences|TestEvaluateMatchesGradients|TestLossFromLogits|TestConfidentSampleHasGradient|TestGradientsOverwrite|TestGradientsFusedReadsNothingAfterUpdate|TestGradientsTreeOneShardIsGradients' ./trainer/native/
