"""The data the harness hands over (PROTOCOL.md, "The job"): the MNIST files,
checked against their SHA-256; the weights in Keras's layout as safetensors;
and the batch order. numpy only: no torch here."""

import gzip
import hashlib
import json
import math
import os
import struct

import numpy as np

from .protocol import Failure, one_line

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
MNIST_FILES = (TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, TEST_IMAGES_FILE, TEST_LABELS_FILE)


# ---------------------------------------------------------------------------
# MNIST


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


def idx_images(b, name):
    """An IDX3 image file as float32 N x 1 x 28 x 28, pixels float32(byte/255.0)
    with the division in float64, as the harness and numpy's x / 255.0 do."""
    magic, n, rows, cols = struct.unpack(">4I", b[:16])
    if magic != 2051 or rows != 28 or cols != 28:
        raise Failure("%s: not a 28x28 IDX image file (magic %d, %dx%d)" % (name, magic, rows, cols))
    x = np.frombuffer(b, dtype=np.uint8, offset=16, count=n * rows * cols)
    return (x.astype(np.float64) / 255.0).astype(np.float32).reshape(n, 1, rows, cols)


def idx_labels(b, name):
    """An IDX1 label file as int64 labels."""
    magic, n = struct.unpack(">2I", b[:8])
    if magic != 2049:
        raise Failure("%s: not an IDX label file (magic %d)" % (name, magic))
    return np.frombuffer(b, dtype=np.uint8, offset=8, count=n).astype(np.int64)


def load_mnist(job, with_test):
    """(train_x, train_y, test_x, test_y) as numpy arrays: the first
    data.train_images training images, and all test images when with_test
    (only rank 0 evaluates, so the other ranks skip decoding them). Every
    rank checks all four files' hashes."""
    data = job["data"]
    d, files = data["dir"], data.get("files") or []
    raw = {name: read_checked(d, files, name) for name in MNIST_FILES}
    n = data.get("train_images")
    train_x = idx_images(raw[TRAIN_IMAGES_FILE], TRAIN_IMAGES_FILE)
    train_y = idx_labels(raw[TRAIN_LABELS_FILE], TRAIN_LABELS_FILE)
    if not isinstance(n, int) or not 1 <= n <= len(train_x):
        raise Failure("data.train_images is %r, want 1..%d" % (n, len(train_x)))
    test_x = test_y = None
    if with_test:
        test_x = idx_images(raw[TEST_IMAGES_FILE], TEST_IMAGES_FILE)
        test_y = idx_labels(raw[TEST_LABELS_FILE], TEST_LABELS_FILE)
    return train_x[:n], train_y[:n], test_x, test_y


# ---------------------------------------------------------------------------
# Weights (safetensors in Keras's layout)


def read_safetensors(path):
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
    if not isinstance(header, dict):
        raise Failure("init_weights %s: header is not a JSON object" % path)
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


def write_safetensors(path, tensors):
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


# ---------------------------------------------------------------------------
# The batch order


def read_order(job):
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


def batch_start(job, epoch, step, first):
    """Where in the order this rank's share of a step's batch begins: step
    (from 0) of epoch (from 1) trains on the global batch at
    ((epoch-1)*steps_per_epoch + step)*global_batch, and a rank takes its
    share from its first position (ddp.shard) in it."""
    return ((epoch - 1) * job["steps_per_epoch"] + step) * job["global_batch"] + first
