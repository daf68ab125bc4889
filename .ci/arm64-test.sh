#!/usr/bin/env bash
# arm64 under emulation: the NEON kernels and the Go path must store the bits
# amd64 stores. Runs the kernel and engine tests built for arm64 under
# qemu-aarch64-static (the golden fingerprints of both numerics included),
# then trains the smoke scenario with an arm64 binary and checks its
# fingerprint against amd64's. Emulation says nothing about speed.
#
# Where qemu-user-static is missing and cannot be installed, it prints one
# line saying so and exits 0. About 70 s on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

# The smoke run's fingerprint on amd64 (AVX2/AVX-512): `mirrorbench run
# --epochs 1 --train-limit 320 smoke`; it is the golden "single" fma run.
want_smoke=572ad4eb

qemu=$(command -v qemu-aarch64-static || true)
if [ -z "$qemu" ] && command -v apt-get >/dev/null 2>&1; then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(false); fi
  fi
  if [ "${sudo[0]:-}" != false ]; then
    echo "installing qemu-user-static (Debian package) for the arm64 tests"
    ("${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null) || true
    qemu=$(command -v qemu-aarch64-static || true)
  fi
fi
if [ -z "$qemu" ]; then
  echo "arm64 tests skipped: qemu-aarch64-static is missing and could not be installed (needs apt-get as root or passwordless sudo)"
  exit 0
fi

tmp=$(mktemp -d)
smoke=
trap 'if [ -n "$smoke" ]; then kill "$smoke" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
# -tags noopencl: without OpenCL's dynamic loading (purego) the binaries stay
# static, which qemu-user needs (no arm64 ld.so here).
export GOARCH=arm64 CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=noopencl"
go build -o "$tmp/mirrorbench-arm64" .

# The smoke run (about a minute emulated, one core) goes in the background
# while the tests use the other core. --train-limit 320 misses the smoke
# target (exit 1, status target_missed): only the record's fingerprint counts.
"$qemu" "$tmp/mirrorbench-arm64" run --store "" --out "$tmp/out" --epochs 1 --train-limit 320 --quiet smoke >"$tmp/log" 2>&1 &
smoke=$!

# Kernels: every test but the float64-reference sweep over large shapes (45 s
# emulated; the pinned hashes and split tests cover the same kernels).
# Trainer: the golden fingerprints of the single run on the Go path (the smoke
# run is the single run on NEON) and of the canonical mirrored run on NEON
# (all six golden runs take 90 s emulated). Engine: gradients against finite
# differences, evaluation against training, and the fused and tree forms;
# the remaining engine tests take minutes emulated (TestGradientsTreeBitwise
# alone two) and check properties that hold on every path.
go test -count=1 -exec "$qemu" -skip 'TestSgemmLargeShapes' ./trainer/kernels/
go test -count=1 -exec "$qemu" -run 'TestGoldenFingerprints/single/separate' ./trainer/
go test -count=1 -exec "$qemu" -run 'TestGoldenFingerprints/mirrored-canonical/fma' ./trainer/
go test -count=1 -exec "$qemu" -run 'TestFiniteDifferences|TestEvaluateMatchesGradients|TestLossFromLogits|TestConfidentSampleHasGradient|TestGradientsOverwrite|TestGradientsFusedReadsNothingAfterUpdate|TestGradientsTreeOneShardIsGradients' ./trainer/native/

rc=0
wait "$smoke" || rc=$?
smoke=
record=$(ls "$tmp"/out/smoke-*.json 2>/dev/null | head -n 1 || true)
if [ -z "$record" ]; then
  cat "$tmp/log"
  echo "arm64 smoke run wrote no record (exit $rc)"
  exit 1
fi
got=$(sed -n 's/^  "fingerprint": "\([0-9a-f]*\)".*/\1/p' "$record")
kernels=$(sed -n 's/^ *"kernels": "\([^"]*\)".*/\1/p' "$record" | head -n 1)
if [ "${got:0:8}" != "$want_smoke" ]; then
  echo "arm64 smoke run ($kernels kernels): fingerprint ${got:-none}, want $want_smoke… as on amd64"
  exit 1
fi
echo "arm64 smoke run ($kernels kernels): fingerprint ${got:0:16}…, as on amd64"
