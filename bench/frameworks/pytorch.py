#!/usr/bin/env python3
"""The PyTorch adapter of mirrorbench: the reference Keras MNIST CNN in PyTorch.

This program implements PROTOCOL.md (beside this file), which is the contract;
read it first. In short, the harness starts it as

    python3 pytorch.py --probe          # one hello (or unavailable) event, exit 0
    python3 pytorch.py --job JOB.json   # train as the job says

with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT) for a distributed run, and reads one JSON event per line from
stdout. Diagnostics go to stderr.

The harness makes every choice that could differ between frameworks (initial
weights, batch order, data files) and hands them over; this adapter only
trains, and mirrors the Go reference (trainer/native, trainer/adam.go,
trainer/kernels, trainer/evaluate.go) wherever torch's own defaults would
differ from Keras:

- pixels are float32(byte / 255.0) with the division in float64;
- Flatten runs in Keras's (h, w, c) order: activations are permuted NCHW ->
  NHWC before flattening, so the dense kernel's rows mean the same pixels;
- the loss is computed from the logits, as Keras's fit computes it (TF's
  sparse_softmax_cross_entropy_with_logits; no clip): log_softmax, the
  label's term, averaged over the batch; every sample has a gradient;
- Adam is TF's ApplyAdam, written out by hand in its order of float32
  operations, with its scalars formed in float32 as TF 2.0's adam.py forms
  them, and Go's flush of subnormal moments to +0; torch.optim.Adam computes
  another formula and is not used.

PROTOCOL.md states this arithmetic in full (section "Arithmetic").

Only torch and numpy are needed; the code runs on Debian's torch 1.13 and on
torch 2.x (no API that changed between them is used), under Python 3.9+.
"""

import time

# Process start, as close as Python allows: ready.setup_seconds and
# done.seconds are measured from here, so that imports count.
_T0 = time.perf_counter()

import datetime  # noqa: E402  (after _T0 on purpose)
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

PROTOCOL = 2
FRAMEWORK = "pytorch"

# The model's tensors in Keras's names, order and layout (PROTOCOL.md, init_weights).
KERAS_TENSORS = [
    ("conv2d/kernel", (3, 3, 1, 32)),
    ("conv2d/bias", (32,)),
    ("dense/kernel", (5408, 128)),
    ("dense/bias", (128,)),
    ("dense_1/kernel", (128, 10)),
    ("dense_1/bias", (10,)),
]
CLASSES = 10
TRAIN_IMAGES_FILE = "train-images-idx3-ubyte.gz"
TRAIN_LABELS_FILE = "train-labels-idx1-ubyte.gz"
TEST_IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
TEST_LABELS_FILE = "t10k-labels-idx1-ubyte.gz"

# The largest subnormal float32, 2^-126 - 2^-149: Go's kernels flush Adam's
# moments of magnitude up to this (below 2^-126, the smallest normal) to +0.
SUBNORMAL_MAX = 2.0 ** -126 - 2.0 ** -149


class Failure(Exception):
    """An error whose message is already the one-line reason for the `error` event."""


class Unavailable(Exception):
    """The framework cannot run this job here (missing import, too few GPUs): an
    `unavailable` event and exit 0, which the harness turns into a skip."""


# ---------------------------------------------------------------------------
# Events


def emit(event, **fields):
    """Writes one protocol event as a JSON line on stdout and flushes it, so the
    harness sees it at once (stdout is a pipe, hence block-buffered)."""
    rec = {"event": event}
    rec.update(fields)
    sys.stdout.write(json.dumps(rec, allow_nan=False) + "\n")
    sys.stdout.flush()


def log(msg):
    """A diagnostic line on stderr (the harness shows it as progress)."""
    sys.stderr.write("pytorch.py: %s\n" % msg)
    sys.stderr.flush()


def one_line(text):
    """Folds a message onto one line: events are single JSON lines and the
    harness quotes these messages in skip and failure reasons."""
    return " ".join(str(text).split())


def since_start():
    return time.perf_counter() - _T0


# ---------------------------------------------------------------------------
# Importing the framework and describing it


def interpreter():
    return "%s (Python %s)" % (sys.executable, platform.python_version())


def import_framework():
    """Imports torch, then numpy. Any failure (not only ImportError: a broken
    CUDA library raises OSError, a numpy ABI mismatch RuntimeError) means this
    interpreter cannot run the adapter, which is a skip, not a failure. torch
    goes first so that an interpreter with neither is reported as lacking
    torch, the part a user has to install on purpose."""
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        raise Unavailable("import torch failed with %s: %s: %s"
                          % (interpreter(), type(e).__name__, one_line(e)))
    try:
        import numpy as np
    except Exception as e:  # noqa: BLE001
        raise Unavailable("import numpy failed with %s: %s: %s"
                          % (interpreter(), type(e).__name__, one_line(e)))
    return torch, np


def loaded_blas():
    """The BLAS libraries the process actually mapped: Debian switches libblas
    with update-alternatives, so the build settings alone do not say which
    one runs."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                base = os.path.basename(parts[-1])
                if any(k in base for k in ("blas", "mkl_core", "mkl_rt", "blis", "accelerate")):
                    libs.add(os.path.realpath(parts[-1]))
    except OSError:
        pass
    return ", ".join(sorted(libs))


def versions(torch, np):
    """The hello event's versions: strings, empty where a part is absent."""
    try:
        cfg = torch.__config__.show()
    except Exception:  # noqa: BLE001
        cfg = ""

    blas = []
    m = re.search(r"\bBLAS_INFO=([^,\s]*)", cfg)
    if m:
        blas.append("BLAS_INFO=" + m.group(1))
    for line in cfg.splitlines():
        if "Math Kernel Library" in line:
            blas.append(line.strip(" -"))
    mapped = loaded_blas()
    if mapped:
        blas.append("loaded " + mapped)

    onednn = ""
    m = re.search(r"(?:MKL-DNN|oneDNN)\s+(v[0-9][0-9.]*)", cfg)
    if m:
        onednn = m.group(1)
    try:
        if torch.backends.mkldnn.is_available():
            onednn = (onednn + " available").strip()
        elif onednn:
            onednn += " (not available)"
    except Exception:  # noqa: BLE001
        pass

    cudnn = ""
    try:
        v = torch.backends.cudnn.version()
        cudnn = "" if v is None else str(v)
    except Exception:  # noqa: BLE001
        pass

    nccl = ""
    try:
        if torch.cuda.is_available():
            v = torch.cuda.nccl.version()
            # A tuple (2, 14, 3) in torch >= 1.9; an int code in older ones.
            nccl = ".".join(str(x) for x in v) if isinstance(v, (tuple, list)) else str(v)
    except Exception:  # noqa: BLE001
        pass

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "blas": "; ".join(blas),
        "onednn": onednn,
        "cuda": torch.version.cuda or "",
        "cudnn": cudnn,
        "nccl": nccl,
    }


def gpu_count(torch):
    """GPUs torch sees; 0 without CUDA (device_count() can raise on a broken driver)."""
    try:
        return int(torch.cuda.device_count())
    except Exception:  # noqa: BLE001
        return 0


def probe():
    """--probe: the hello event of this interpreter, or why it cannot run."""
    torch, np = import_framework()
    emit("hello", protocol=PROTOCOL, rank=int(os.environ.get("RANK", "0") or 0), framework=FRAMEWORK,
         versions=versions(torch, np), backend="", gpus=gpu_count(torch), deterministic=False,
         deterministic_note="probe: whether a run is deterministic is said in each job's hello")


# ---------------------------------------------------------------------------
# The job


def load_job(path):
    """Reads and checks the job before torch is imported: the thread count has
    to be in the environment before the OpenMP and BLAS libraries load."""
    try:
        with open(path) as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("job %s: %s" % (path, one_line(e)))
    if job.get("protocol") != PROTOCOL:
        raise Failure("job %s: protocol %r, this adapter speaks %d" % (path, job.get("protocol"), PROTOCOL))
    for key in ("device", "global_batch", "epochs", "steps_per_epoch", "optimizer",
                "data", "order", "init_weights", "final_weights", "eval_batch"):
        if key not in job:
            raise Failure("job %s: %s missing" % (path, key))
    kind = job["device"].get("kind")
    if kind not in ("cpu", "gpu"):
        raise Failure("job %s: device.kind %r, want cpu or gpu" % (path, kind))
    opt = job["optimizer"].get("name", "adam")
    if opt != "adam":
        raise Failure("job %s: optimizer %r, this adapter implements adam" % (path, opt))
    for key in ("global_batch", "epochs", "steps_per_epoch", "eval_batch"):
        if not isinstance(job[key], int) or job[key] < 1:
            raise Failure("job %s: %s is %r, want a positive integer" % (path, key, job[key]))
    return job


def set_thread_env(job):
    """Bounds OpenMP and the BLAS libraries' pools to the job's thread count
    (and asks for cuBLAS's deterministic workspace), unless the harness already
    did: these variables are read when the libraries load."""
    threads = job["device"].get("threads") or 0
    if threads >= 1:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
    if job["device"]["kind"] == "gpu" and job.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


class Group:
    """This process's place in the run: rank, local rank and world size, from
    torchrun's variables when the job is distributed, else a group of one."""

    def __init__(self, job):
        dist = job.get("distributed")
        if not dist:
            self.rank, self.local_rank, self.world = 0, 0, 1
            self.backend, self.timeout = "", 0
            return
        try:
            self.rank = int(os.environ["RANK"])
            self.local_rank = int(os.environ.get("LOCAL_RANK", os.environ["RANK"]))
            self.world = int(os.environ["WORLD_SIZE"])
        except (KeyError, ValueError) as e:
            raise Failure("distributed job without torchrun's environment: %s %s"
                          % (type(e).__name__, one_line(e)))
        for var in ("MASTER_ADDR", "MASTER_PORT"):
            if not os.environ.get(var):
                raise Failure("distributed job without %s in the environment" % var)
        if dist.get("world_size") not in (None, self.world):
            raise Failure("job's distributed.world_size %r differs from WORLD_SIZE=%d"
                          % (dist.get("world_size"), self.world))
        if not 0 <= self.rank < self.world:
            raise Failure("RANK=%d is outside 0..WORLD_SIZE-1 (WORLD_SIZE=%d)" % (self.rank, self.world))
        self.backend = dist.get("backend") or ("nccl" if job["device"]["kind"] == "gpu" else "gloo")
        self.timeout = int(dist.get("timeout_seconds") or 1800)

    @property
    def distributed(self):
        return self.backend != ""


def select_device(torch, job, group):
    """The torch device of this rank: the CPU, or GPU ids[LOCAL_RANK]. Too few
    GPUs (or none, or no NCCL) is Unavailable: the configuration cannot run
    with this torch here, which the harness reports as a skip."""
    if job["device"]["kind"] == "cpu":
        dev = torch.device("cpu")
    else:
        ids = job["device"].get("ids") or [0]
        if group.local_rank >= len(ids):
            raise Failure("LOCAL_RANK=%d but device.ids has only %d GPU(s)" % (group.local_rank, len(ids)))
        need = max(ids) + 1
        have = gpu_count(torch)
        if have < need:
            raise Unavailable("torch %s sees %d CUDA GPU(s); devices need %d (ids %s)"
                              % (torch.__version__, have, need, ids))
        dev = torch.device("cuda", ids[group.local_rank])
        torch.cuda.set_device(dev)
    if group.distributed:
        import torch.distributed as tdist
        if not tdist.is_available():
            raise Unavailable("torch %s was built without torch.distributed" % torch.__version__)
        ok = {"gloo": tdist.is_gloo_available, "nccl": tdist.is_nccl_available}.get(group.backend)
        if ok is not None and not ok():
            raise Unavailable("torch %s was built without the %s backend" % (torch.__version__, group.backend))
    return dev


def configure(torch, job, dev):
    """Threads and deterministic mode; returns (deterministic, note) for hello."""
    threads = job["device"].get("threads") or 0
    if threads >= 1:
        torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as e:  # already started: harmless for this model, but say so
        log("set_num_interop_threads(1): %s" % one_line(e))
    if not job.get("deterministic"):
        return False, "the job did not ask for deterministic algorithms"
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    if dev.type == "cuda" and job.get("distributed") and (job["distributed"].get("world_size") or 1) > 1:
        return False, ("NCCL does not guarantee the summation order of its all-reduce, "
                       "so gradients may differ in the last bit between runs")
    return True, ""


def init_process_group(torch, group):
    """Joins the run's process group through torchrun's env:// rendezvous."""
    import torch.distributed as tdist
    tdist.init_process_group(group.backend, init_method="env://", rank=group.rank,
                             world_size=group.world, timeout=datetime.timedelta(seconds=group.timeout))


# ---------------------------------------------------------------------------
# Data, weights and the batch order


def read_checked(d, files, name):
    """The bytes of MNIST file name from folder d, after checking its SHA-256
    against the job's: a different file would silently change every result."""
    want = {f["name"]: f["sha256"].lower() for f in files}
    if name not in want:
        raise Failure("job's data.files does not list %s" % name)
    path = os.path.join(d, name)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise Failure("MNIST file %s: %s" % (path, one_line(e)))
    got = hashlib.sha256(blob).hexdigest()
    if got != want[name]:
        raise Failure("MNIST file %s has SHA-256 %s, want %s" % (path, got, want[name]))
    return gzip.decompress(blob)


def idx_images(np, b, name):
    """An IDX3 image file as float32 N x 1 x 28 x 28, pixels float32(byte/255.0)
    with the division in float64, as the harness and numpy's x / 255.0 do."""
    magic, n, rows, cols = struct.unpack(">4I", b[:16])
    if magic != 2051 or rows != 28 or cols != 28:
        raise Failure("%s: not a 28x28 IDX image file (magic %d, %dx%d)" % (name, magic, rows, cols))
    x = np.frombuffer(b, dtype=np.uint8, offset=16, count=n * rows * cols)
    return (x.astype(np.float64) / 255.0).astype(np.float32).reshape(n, 1, rows, cols)


def idx_labels(np, b, name):
    """An IDX1 label file as int64 labels."""
    magic, n = struct.unpack(">2I", b[:8])
    if magic != 2049:
        raise Failure("%s: not an IDX label file (magic %d)" % (name, magic))
    return np.frombuffer(b, dtype=np.uint8, offset=8, count=n).astype(np.int64)


def load_mnist(np, job, with_test):
    """(train_x, train_y, test_x, test_y) as numpy arrays: the first
    data.train_images training images, and all test images when with_test
    (only rank 0 evaluates, so the other ranks skip decoding them). Every
    rank checks all four files' hashes."""
    data = job["data"]
    d, files = data["dir"], data.get("files") or []
    raw = {name: read_checked(d, files, name)
           for name in (TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, TEST_IMAGES_FILE, TEST_LABELS_FILE)}
    n = data.get("train_images")
    train_x = idx_images(np, raw[TRAIN_IMAGES_FILE], TRAIN_IMAGES_FILE)
    train_y = idx_labels(np, raw[TRAIN_LABELS_FILE], TRAIN_LABELS_FILE)
    if not isinstance(n, int) or not 1 <= n <= len(train_x):
        raise Failure("data.train_images is %r, want 1..%d" % (n, len(train_x)))
    test_x = test_y = None
    if with_test:
        test_x = idx_images(np, raw[TEST_IMAGES_FILE], TEST_IMAGES_FILE)
        test_y = idx_labels(np, raw[TEST_LABELS_FILE], TEST_LABELS_FILE)
    return train_x[:n], train_y[:n], test_x, test_y


def read_safetensors(np, path):
    """The six Keras tensors of a safetensors file, as float32 numpy arrays in
    Keras's shapes. Parsed by hand (8-byte LE header length, JSON header with
    dtype, shape and data_offsets relative to the data section, raw LE data):
    the safetensors package is not a dependency of the adapter."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise Failure("init_weights %s: %s" % (path, one_line(e)))
    if len(blob) < 8:
        raise Failure("init_weights %s: truncated (%d bytes)" % (path, len(blob)))
    (hlen,) = struct.unpack("<Q", blob[:8])
    if hlen > len(blob) - 8:
        raise Failure("init_weights %s: header length %d exceeds the file" % (path, hlen))
    try:
        header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    except ValueError as e:
        raise Failure("init_weights %s: header: %s" % (path, one_line(e)))
    data = memoryview(blob)[8 + hlen:]
    out = {}
    for name, shape in KERAS_TENSORS:
        info = header.get(name)
        if not isinstance(info, dict):
            raise Failure("init_weights %s: tensor %s missing" % (path, name))
        if info.get("dtype") != "F32":
            raise Failure("init_weights %s: tensor %s: dtype %s, want F32" % (path, name, info.get("dtype")))
        if tuple(info.get("shape") or ()) != shape:
            raise Failure("init_weights %s: tensor %s: shape %s, want %s"
                          % (path, name, info.get("shape"), list(shape)))
        begin, end = info.get("data_offsets") or (0, -1)
        if not 0 <= begin <= end <= len(data) or end - begin != 4 * math.prod(shape):
            raise Failure("init_weights %s: tensor %s: data_offsets %s do not hold %d float32 values"
                          % (path, name, info.get("data_offsets"), math.prod(shape)))
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32).reshape(shape)
    return out


def write_safetensors(np, path, tensors):
    """Writes the Keras tensors as safetensors the way the Go harness does
    (trainer.EncodeSafetensors, less its metadata): Keras's order, compact
    JSON, the header padded with spaces to a multiple of 8 bytes, float32 LE.
    Written to a temporary name in the same folder and renamed, so the file
    is complete whenever it exists."""
    entries, chunks, offset = [], [], 0
    for name, shape in KERAS_TENSORS:
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        if a.shape != shape:
            raise Failure("final weights: tensor %s has shape %s, want %s" % (name, list(a.shape), list(shape)))
        b = a.tobytes()
        entries.append('%s:{"dtype":"F32","shape":[%s],"data_offsets":[%d,%d]}'
                       % (json.dumps(name), ",".join(str(d) for d in shape), offset, offset + len(b)))
        chunks.append(b)
        offset += len(b)
    header = ("{" + ",".join(entries) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(header)))
            f.write(header)
            for b in chunks:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_order(np, job):
    """The batch order: epochs x steps_per_epoch x global_batch int32 LE
    indices into the training set, checked for length and range here so a bad
    file fails with a message, not an index error mid-epoch."""
    path = job["order"]
    try:
        order = np.fromfile(path, dtype="<i4")
    except (OSError, ValueError) as e:
        raise Failure("order %s: %s" % (path, one_line(e)))
    want = job["epochs"] * job["steps_per_epoch"] * job["global_batch"]
    if order.size != want:
        raise Failure("order %s holds %d indices, want epochs x steps_per_epoch x global_batch = %d x %d x %d = %d"
                      % (path, order.size, job["epochs"], job["steps_per_epoch"], job["global_batch"], want))
    n = job["data"]["train_images"]
    if order.size and (order.min() < 0 or order.max() >= n):
        raise Failure("order %s has indices outside 0..%d (min %d, max %d)" % (path, n - 1, order.min(), order.max()))
    return order.astype(np.int64)


# ---------------------------------------------------------------------------
# The model, the loss and the optimizer


def build_model(torch):
    """The reference CNN in PyTorch's layers; softmax lives in the loss."""
    nn = torch.nn

    class KerasCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 32, 3)  # 28x28x1 -> 26x26x32, 'valid'
            self.pool = nn.MaxPool2d(2)  # -> 13x13x32
            self.dense = nn.Linear(13 * 13 * 32, 128)
            self.dense_1 = nn.Linear(128, CLASSES)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv(x)))
            # Keras flattens channels_last tensors in (h, w, c) order: permute
            # NCHW -> NHWC first so the dense kernel's rows mean the same pixels.
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            x = torch.relu(self.dense(x))
            return self.dense_1(x)

    return KerasCNN()


def load_keras_weights(torch, model, w):
    """Copies Keras-layout tensors into the model: conv kernel (kh,kw,in,out)
    -> (out,in,kh,kw), dense kernels (in,out) -> (out,in). The dense rows are
    in (h,w,c) order, which the forward pass's permute keeps."""
    t = {k: torch.from_numpy(v.copy()) for k, v in w.items()}
    with torch.no_grad():
        model.conv.weight.copy_(t["conv2d/kernel"].permute(3, 2, 0, 1))
        model.conv.bias.copy_(t["conv2d/bias"])
        model.dense.weight.copy_(t["dense/kernel"].t())
        model.dense.bias.copy_(t["dense/bias"])
        model.dense_1.weight.copy_(t["dense_1/kernel"].t())
        model.dense_1.bias.copy_(t["dense_1/bias"])


def keras_weights(np, model):
    """The model's parameters back in Keras's layout, as float32 numpy arrays."""
    def arr(x):
        return x.detach().to("cpu").contiguous().numpy().astype(np.float32)

    return {
        "conv2d/kernel": arr(model.conv.weight.permute(2, 3, 1, 0)),
        "conv2d/bias": arr(model.conv.bias),
        "dense/kernel": arr(model.dense.weight.t()),
        "dense/bias": arr(model.dense.bias),
        "dense_1/kernel": arr(model.dense_1.weight.t()),
        "dense_1/bias": arr(model.dense_1.bias),
    }


class KerasLoss:
    """Keras's sparse categorical cross-entropy as fit computes it, from the
    logits (TF 2.0 takes the softmax's input: no clip): per sample,
    loss = -log_softmax(logits)[label], whose gradient is softmax - onehot for
    every sample, however confident.

    The label's term is taken with a one-hot product, (logp * onehot).sum(1),
    which is exactly logp_y (the other terms are exact zeros) and whose
    backward is an element-wise product: gather's backward is a scatter-add,
    which deterministic mode may reject on CUDA in some torch versions."""

    def __init__(self, torch):
        self.torch = torch

    def per_sample(self, logits, onehot):
        """Per-sample losses (float32, differentiable) and the softmax output
        (for the accuracy)."""
        logp = self.torch.log_softmax(logits, dim=1)
        return -(logp * onehot).sum(1), logp.detach().exp()

    def report(self, losses, p, y):
        """(loss sum, correct) of a batch as device tensors: the float32
        per-sample losses summed in float64, as Go's Result.LossSum; correct is
        the argmax of the softmax output (first maximum) equal to the label."""
        with self.torch.no_grad():
            loss_sum = losses.detach().double().sum()
            correct = (p.argmax(1) == y).sum()
        return loss_sum, correct


def tf_adam_scalars(np, lr, beta_1, beta_2, t):
    """Step t's scalars as TF 2.0 forms them (optimizer_v2/adam.py, then
    ApplyAdam in core/kernels/training_ops.cc), every operation in float32:

        beta_1_power = float32(beta_1) ** t   (powf: rounded once)
        alpha = lr * sqrt(1 - beta_2_power) / (1 - beta_1_power)
        one_minus_beta_1 = 1 - float32(beta_1)   (0.100000024 for 0.9)

    Returns (alpha, one_minus_beta_1, one_minus_beta_2) as Python floats
    holding float32 values."""
    f32, one = np.float32, np.float32(1)
    b1, b2 = f32(beta_1), f32(beta_2)
    p1 = f32(float(b1) ** t)
    p2 = f32(float(b2) ** t)
    alpha = f32(f32(f32(lr) * np.sqrt(f32(one - p2))) / f32(one - p1))
    return float(alpha), float(f32(one - b1)), float(f32(one - b2))


class KerasAdam:
    """Keras's Adam (TF's ApplyAdam) by hand, on the parameters under
    torch.no_grad(), in TF's order of float32 operations (the order of Go's
    element-wise kernel, trainer/kernels/kernels.go adamGeneric), with the
    scalars of tf_adam_scalars:

        m += (g - m) * (1 - beta_1);   m = flush(m)
        v += (g*g - v) * (1 - beta_2); v = flush(v)
        w -= (m * alpha) / (sqrt(v) + epsilon)

    Each line is one float32 rounding per operation: every torch op here is a
    separate kernel, so nothing is fused into a multiply-add, and the scalars
    are float32 values (so a kernel that multiplies in float64 rounds to the
    same float32). flush sets subnormal moments to +0, as Go's kernels do to
    mirror TF's flush-to-zero CPU mode (and to stay off the CPUs' slow
    subnormal path). Scratch buffers are allocated once."""

    def __init__(self, torch, np, params, cfg):
        self.torch = torch
        self.params = list(params)
        self.np = np
        self.lr = float(cfg.get("learning_rate", 0.001))
        self.b1 = float(cfg.get("beta_1", 0.9))
        self.b2 = float(cfg.get("beta_2", 0.999))
        self.eps = float(np.float32(cfg.get("epsilon", 1e-7)))
        z = torch.zeros_like
        self.m = [z(p) for p in self.params]
        self.v = [z(p) for p in self.params]
        self.a = [z(p) for p in self.params]
        self.b = [z(p) for p in self.params]
        self.t = 0

    def _flush_signed(self, x, scratch):
        """flush for m, in four cheap passes: threshold(x) keeps x >= 2^-126,
        threshold(-x) keeps x <= -2^-126, and their difference is x exactly
        or +0 (x - 0 and 0 - (-x) are exact). abs/lt/masked_fill_ costs three
        times as much on CPU."""
        F = self.torch.nn.functional
        self.torch.neg(x, out=scratch)
        F.threshold_(scratch, SUBNORMAL_MAX, 0.0)
        F.threshold_(x, SUBNORMAL_MAX, 0.0)
        x.sub_(scratch)

    def _flush_nonnegative(self, x):
        """flush for v, which is never negative (v + (g*g - v)*(1-beta_2) >= 0
        whenever v >= 0): one pass, x <= the largest subnormal -> +0."""
        self.torch.nn.functional.threshold_(x, SUBNORMAL_MAX, 0.0)

    def step(self):
        torch = self.torch
        self.t += 1
        t = self.t
        alpha, omb1, omb2 = tf_adam_scalars(self.np, self.lr, self.b1, self.b2, t)
        with torch.no_grad():
            for w, m, v, a, b in zip(self.params, self.m, self.v, self.a, self.b):
                g = w.grad
                torch.sub(g, m, out=a)
                a.mul_(omb1)
                m.add_(a)
                self._flush_signed(m, b)
                torch.mul(g, g, out=a)
                a.sub_(v)
                a.mul_(omb2)
                v.add_(a)
                self._flush_nonnegative(v)
                torch.sqrt(v, out=a)
                a.add_(self.eps)
                torch.mul(m, alpha, out=b)
                b.div_(a)
                w.sub_(b)


# ---------------------------------------------------------------------------
# Training and evaluation


def evaluate(torch, module, loss, x, y, onehot, chunk):
    """Test loss (summed per image, per chunk, then over chunks in order, as
    trainer/evaluate.go) and correct count, in chunks of eval_batch, on the
    plain module (not the DDP wrapper: only rank 0 evaluates). One read-back
    at the end."""
    module.eval()
    try:
        with torch.no_grad():
            total = torch.zeros((), dtype=torch.float64, device=x.device)
            correct = torch.zeros((), dtype=torch.int64, device=x.device)
            for i in range(0, x.shape[0], chunk):
                losses, p = loss.per_sample(module(x[i:i + chunk]), onehot[i:i + chunk])
                s, c = loss.report(losses, p, y[i:i + chunk])
                total += s
                correct += c
            total, correct = total.item(), int(correct.item())
    finally:
        module.train()
    return total, correct


def train(job):
    """--job: everything from importing torch to the done event (rank 0 only:
    the other ranks just exit 0, PROTOCOL.md has them write hello alone)."""
    set_thread_env(job)
    group = Group(job)
    torch, np = import_framework()
    dev = select_device(torch, job, group)
    deterministic, note = configure(torch, job, dev)
    emit("hello", protocol=PROTOCOL, rank=group.rank, framework=FRAMEWORK, versions=versions(torch, np),
         backend=group.backend, gpus=gpu_count(torch), deterministic=deterministic, deterministic_note=note)

    if group.distributed:
        init_process_group(torch, group)
    try:
        run_training(torch, np, job, group, dev)
    finally:
        if group.distributed:
            import torch.distributed as tdist
            if tdist.is_initialized():
                tdist.destroy_process_group()
    if group.rank == 0:
        emit("done", seconds=since_start())


def run_training(torch, np, job, group, dev):
    """Set-up, the epochs, and the final weights; rank 0 reports."""
    lead = group.rank == 0
    B, R = job["global_batch"], group.world
    if B % R:
        raise Failure("global_batch %d does not split evenly over %d ranks" % (B, R))
    share = B // R
    first = group.rank * share  # this rank's positions in each global batch

    train_x, train_y, test_x, test_y = load_mnist(np, job, with_test=lead)
    eye = torch.eye(CLASSES, dtype=torch.float32)
    tx = torch.from_numpy(train_x).to(dev)
    ty_cpu = torch.from_numpy(train_y)
    ty = ty_cpu.to(dev)
    toh = eye.index_select(0, ty_cpu).to(dev)
    if lead:
        ex = torch.from_numpy(test_x).to(dev)
        ey_cpu = torch.from_numpy(test_y)
        ey = ey_cpu.to(dev)
        eoh = eye.index_select(0, ey_cpu).to(dev)
    order = torch.from_numpy(read_order(np, job)).to(dev)

    module = build_model(torch)
    load_keras_weights(torch, module, read_safetensors(np, job["init_weights"]))
    module.to(dev)
    if dev.type == "cpu":
        # PyTorch's recommended CPU layout for convolutions (NHWC strides):
        # the same values, but oneDNN's convolution and the pooling skip
        # layout conversions, and the flatten's permute becomes a view
        # (about 30 % less time per step on one thread).
        module.to(memory_format=torch.channels_last)
        tx = tx.contiguous(memory_format=torch.channels_last)
        if lead:
            ex = ex.contiguous(memory_format=torch.channels_last)
    module.train()
    model = module
    if group.distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP
        if dev.type == "cuda":
            model = DDP(module, device_ids=[dev.index], output_device=dev.index)
        else:
            model = DDP(module)
    loss_fn = KerasLoss(torch)
    adam = KerasAdam(torch, np, module.parameters(), job["optimizer"])
    steps = job["steps_per_epoch"]

    if lead:
        emit("ready", setup_seconds=since_start())
    log("rank %d/%d on %s: %d training images, %d epochs of %d steps, %d samples per step on this rank"
        % (group.rank, R, dev, tx.shape[0], job["epochs"], steps, share))

    for epoch in range(1, job["epochs"] + 1):
        t_epoch = time.perf_counter()
        e_loss, e_correct, e_samples = 0.0, 0, 0
        for s in range(steps):
            t0 = time.perf_counter()
            lo = ((epoch - 1) * steps + s) * B + first
            idx = order[lo:lo + share]
            xb = tx.index_select(0, idx)
            yb = ty.index_select(0, idx)
            ohb = toh.index_select(0, idx)
            logits = model(xb)
            losses, p = loss_fn.per_sample(logits, ohb)
            loss = losses.mean()
            model.zero_grad(set_to_none=True)
            loss.backward()  # DDP all-reduces and averages the gradients here
            adam.step()
            ls, c = loss_fn.report(losses, p, yb)
            ls, c = torch.stack([ls, c.double()]).tolist()  # the one read-back (and sync) of the step
            secs = time.perf_counter() - t0
            if not math.isfinite(ls):
                raise Failure("loss is %s at epoch %d step %d" % (ls, epoch, s + 1))
            c = int(c)
            e_loss += ls
            e_correct += c
            e_samples += share
            if lead:
                emit("step", epoch=epoch, step=s + 1, seconds=secs, loss_sum=ls, correct=c, samples=share)
        train_seconds = time.perf_counter() - t_epoch

        test_loss = test_correct = eval_seconds = None
        if lead:
            t0 = time.perf_counter()
            test_loss, test_correct = evaluate(torch, module, loss_fn, ex, ey, eoh, job["eval_batch"])
            eval_seconds = time.perf_counter() - t0
        # One collective for the epoch's train totals; it also holds the other
        # ranks while rank 0 evaluates, so no separate barrier is needed.
        totals = [e_loss, float(e_correct), float(e_samples)]
        if group.distributed:
            tt = torch.tensor(totals, dtype=torch.float64, device=dev)
            torch.distributed.all_reduce(tt)
            totals = tt.tolist()
        if lead:
            n_test = ex.shape[0]
            emit("epoch", epoch=epoch, train_loss=totals[0] / totals[2], train_accuracy=totals[1] / totals[2],
                 test_loss=test_loss / n_test, test_accuracy=test_correct / n_test,
                 train_seconds=train_seconds, eval_seconds=eval_seconds)
            log("epoch %d: loss %.4f accuracy %.4f, test loss %.4f accuracy %.4f, %.1f s training, %.1f s eval"
                % (epoch, totals[0] / totals[2], totals[1] / totals[2], test_loss / n_test,
                   test_correct / n_test, train_seconds, eval_seconds))

    if lead:
        write_safetensors(np, job["final_weights"], keras_weights(np, module))
        emit("weights", path=job["final_weights"])


# ---------------------------------------------------------------------------


def main(argv):
    usage = "usage: pytorch.py --probe | --job JOB.json"
    try:
        if argv == ["--probe"]:
            probe()
        elif len(argv) == 2 and argv[0] == "--job":
            train(load_job(argv[1]))
        else:
            log(usage)
            emit("error", message=usage)
            return 2
    except Unavailable as e:
        emit("unavailable", reason=one_line(e))
        return 0
    except Failure as e:
        log(str(e))
        emit("error", message=one_line(e))
        return 1
    except BaseException as e:  # noqa: BLE001  (KeyboardInterrupt too: say why we stop)
        traceback.print_exc(file=sys.stderr)
        emit("error", message=one_line("%s: %s" % (type(e).__name__, e)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
