#!/usr/bin/env bash
# What a machine with an NVIDIA GPU runs, in under 5 minutes, to check the
# GPU engine (engine opencl) there: the OpenCL devices it sees, the golden
# fingerprint tests on the GPU, a 2-replica mirrored run sharing one GPU
# beside the single run, one epoch of reference-gpu1 for samples/s, and the
# PyTorch CUDA/NCCL scenarios where torch has CUDA. It ends with one summary.
#
#   .ci/gpu-check.sh            (from the repository root; Go on PATH)
#
# Nothing here needs root or an ICD file: where libOpenCL.so.1 or
# /etc/OpenCL/vendors/nvidia.icd is missing, the engine loads
# libnvidia-opencl.so.1 directly and says so in its records.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
summary=()
say() { summary+=("$1"); echo "== $1"; }
export POCL_DEVICES="${POCL_DEVICES:-pthread pthread}"

go build -o "$out/mirrorbench" . || { echo "build failed"; exit 1; }
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not available"
command -v clinfo >/dev/null && clinfo -l

# 1. The devices the binding finds (and how it found the library).
if timeout 60 go test -count=1 -run 'TestOpenListsDevices' -v ./trainer/opencl/cl >"$out/devices.txt" 2>&1; then
  grep -E 'cl_test.go' "$out/devices.txt" | sed 's/^ *cl_test.go:[0-9]*: //'
  say "devices: $(grep -c '| driver' "$out/devices.txt") OpenCL device(s); $(grep -m1 -o 'libnvidia-opencl[^;]*directly' "$out/devices.txt" || echo 'found through the ICD loader')"
else
  cat "$out/devices.txt"; say "devices: FAILED"
fi

# 2. Golden fingerprints and gradients, bit for bit against the native
#    engine, on every OpenCL device kind present (the GPU among them).
if timeout 150 go test -count=1 -run 'TestGoldenFingerprintsOpenCL|TestGradientsMatchNative' -v ./trainer ./trainer/opencl >"$out/golden.txt" 2>&1; then
  say "golden: PASS ($(grep -c -- '--- PASS' "$out/golden.txt") tests and subtests)"
else
  grep -E -- '--- FAIL|differ|fingerprint' "$out/golden.txt" | head -20; say "golden: FAILED (see above)"
fi

# 3. One epoch of 6400 images: single on GPU 0, and 2 replicas sharing it
#    (canonical: the same weights as the single canonical run).
cat >"$out/gpu-shared.yaml" <<'YAML'
name: gpu0x2-canonical
description: two replicas sharing GPU 0 (two command queues), canonical reduction
engine: opencl
devices: gpu:0x2
strategy: mirrored
reduction: canonical
micro_shard: 8
train_limit: 6400
epochs: 1
warmup_steps: 20
targets:
  - metric: test_accuracy
    min: 0.9
    by_epoch: 1
YAML
sed -e 's/^name: .*/name: gpu0-canonical/' -e 's/^devices: .*/devices: gpu:0/' -e 's/^strategy: .*/strategy: single/' \
  -e 's/^description: .*/description: GPU 0, canonical reduction/' "$out/gpu-shared.yaml" >"$out/gpu-single.yaml"
fp() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); o=r.get("opencl") or {}; reps=o.get("replicas") or [{}];
if r["status"] == "skipped": print("skipped:", r["reason"]); sys.exit()
print(r["status"], r["fingerprint"][:16], "%.0f samples/s" % r["throughput"]["samples_per_second"],
 "kernels %.3f ms/step, transfers %.3f ms/step, host %.3f ms/step" % (1e3*reps[0].get("kernel_seconds_per_step",0), 1e3*reps[0].get("transfer_seconds_per_step",0), 1e3*reps[0].get("host_seconds_per_step",0)), o.get("note",""))' "$1"; }
for s in gpu-single gpu-shared; do
  timeout 120 "$out/mirrorbench" run --store "" --quiet --out "$out/$s" "$out/$s.yaml" >"$out/$s.log" 2>&1
  rec=$(ls "$out/$s"/*.json 2>/dev/null | head -1)
  if [ -n "$rec" ]; then say "$s: $(fp "$rec")"; else tail -5 "$out/$s.log"; say "$s: no record"; fi
done
a=$(cat "$out"/gpu-single/*.json 2>/dev/null | sed -n 's/^  "fingerprint": "\([0-9a-f]*\)".*/\1/p')
b=$(cat "$out"/gpu-shared/*.json 2>/dev/null | sed -n 's/^  "fingerprint": "\([0-9a-f]*\)".*/\1/p')
if [ -n "$a" ]; then
  if [ "$a" = "$b" ]; then say "gpu:0x2 canonical = gpu:0 canonical, bit for bit (${a:0:16})"; else say "gpu:0x2 canonical ${b:0:16} DIFFERS from gpu:0's ${a:0:16}"; fi
fi

# 4. One epoch of reference-gpu1 (fast reduction, all 60000 images): samples/s.
timeout 120 "$out/mirrorbench" run --store "" --quiet --epochs 1 --out "$out/ref" reference-gpu1 >"$out/ref.log" 2>&1
rec=$(ls "$out/ref"/*.json 2>/dev/null | head -1)
if [ -n "$rec" ]; then say "reference-gpu1, 1 epoch: $(fp "$rec")"; else tail -5 "$out/ref.log"; say "reference-gpu1: no record"; fi

# 5. PyTorch on CUDA (NCCL with two GPUs), where torch has CUDA.
if /usr/bin/python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  timeout 150 "$out/mirrorbench" run --store "" --quiet --epochs 1 --train-limit 12800 --out "$out/pt" pytorch-mirrored-gpu2 >"$out/pt.log" 2>&1
  for rec in "$out/pt"/*.json; do [ -f "$rec" ] && say "pytorch: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["scenario"], r["status"], r["reason"][:100], "%.0f samples/s" % r["throughput"]["samples_per_second"])' "$rec")"; done
else
  say "pytorch: skipped (/usr/bin/python3 has no torch with CUDA)"
fi

echo
echo "SUMMARY (files in $out)"
printf '  %s\n' "${summary[@]}"
