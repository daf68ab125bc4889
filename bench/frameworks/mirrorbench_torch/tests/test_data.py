"""data: the MNIST readers and checksums, safetensors, the batch order, on
tiny synthetic files. numpy only."""

import gzip
import json
import os
import struct

import numpy as np
import pytest

from mirrorbench_torch import data
from mirrorbench_torch.protocol import Failure

from .conftest import idx1, idx3, keras_tensors, make_job


def test_idx_images_scale_in_float64():
    img = np.zeros((2, 28, 28), dtype=np.uint8)
    img[0, 0, :4] = [0, 1, 128, 255]
    img[1, 27, 27] = 3
    x = data.idx_images(idx3(img), "x")
    assert x.dtype == np.float32 and x.shape == (2, 1, 28, 28)
    want = (np.array([0, 1, 128, 255], dtype=np.float64) / 255.0).astype(np.float32)
    assert x[0, 0, 0, :4].tobytes() == want.tobytes()
    assert x[1, 0, 27, 27] == np.float32(3 / 255.0)


def test_idx_images_rejects_other_files():
    with pytest.raises(Failure, match="not a 28x28 IDX image file"):
        data.idx_images(struct.pack(">4I", 2051, 1, 32, 32) + bytes(1024), "x")
    with pytest.raises(Failure, match="magic 2049"):
        data.idx_images(idx1([1, 2]) + bytes(16), "x")


def test_idx_labels():
    y = data.idx_labels(idx1([3, 0, 9]), "y")
    assert y.dtype == np.int64 and y.tolist() == [3, 0, 9]
    with pytest.raises(Failure, match="not an IDX label file"):
        data.idx_labels(idx3(np.zeros((1, 28, 28))), "y")


def test_read_checked(mnist):
    got = data.read_checked(mnist.dir, mnist.files, data.TRAIN_LABELS_FILE)
    assert got == idx1(mnist.train_labels)


def test_read_checked_fails_on_another_file(mnist):
    files = [dict(f, sha256="00" * 32) if f["name"] == data.TEST_IMAGES_FILE else f for f in mnist.files]
    with pytest.raises(Failure, match="has SHA-256 [0-9a-f]{64}, want 0000"):
        data.read_checked(mnist.dir, files, data.TEST_IMAGES_FILE)
    with pytest.raises(Failure, match="does not list"):
        data.read_checked(mnist.dir, files[:1], data.TEST_IMAGES_FILE)
    os.remove(os.path.join(mnist.dir, data.TEST_LABELS_FILE))
    with pytest.raises(Failure, match="MNIST file .*t10k-labels"):
        data.read_checked(mnist.dir, files, data.TEST_LABELS_FILE)


def test_read_checked_accepts_upper_case_hashes(mnist):
    files = [dict(f, sha256=f["sha256"].upper()) for f in mnist.files]
    data.read_checked(mnist.dir, files, data.TRAIN_IMAGES_FILE)


def test_load_mnist(mnist):
    job = {"data": {"dir": mnist.dir, "files": mnist.files, "train_images": 7}}
    tx, ty, ex, ey = data.load_mnist(job, with_test=True)
    assert tx.shape == (7, 1, 28, 28) and ty.tolist() == mnist.train_labels[:7].tolist()
    assert tx[6, 0].tobytes() == (mnist.train_images[6] / 255.0).astype(np.float32).tobytes()
    assert ex.shape == (5, 1, 28, 28) and ey.tolist() == mnist.test_labels.tolist()
    _, _, ex, ey = data.load_mnist(job, with_test=False)
    assert ex is None and ey is None


@pytest.mark.parametrize("n", [0, 13, None, "7"])
def test_load_mnist_train_images_in_range(mnist, n):
    job = {"data": {"dir": mnist.dir, "files": mnist.files, "train_images": n}}
    with pytest.raises(Failure, match="data.train_images is .*, want 1..12"):
        data.load_mnist(job, with_test=False)


# ---------------------------------------------------------------------------
# safetensors


def test_safetensors_round_trip(tmp_path):
    w = keras_tensors(seed=3)
    path = str(tmp_path / "w.safetensors")
    data.write_safetensors(path, w)
    assert os.listdir(str(tmp_path)) == ["w.safetensors"]  # no temporary file left
    got = data.read_safetensors(path)
    assert list(got) == [name for name, _ in data.KERAS_TENSORS]
    for name, shape in data.KERAS_TENSORS:
        assert got[name].dtype == np.float32 and got[name].shape == shape
        assert got[name].tobytes() == w[name].tobytes()


def test_safetensors_layout(tmp_path):
    """The layout the Go harness writes: a LE u64 header length, a compact JSON
    header in Keras's order padded with spaces to 8 bytes, the tensors back
    to back."""
    w = keras_tensors(seed=4)
    path = str(tmp_path / "w.safetensors")
    data.write_safetensors(path, w)
    blob = open(path, "rb").read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    assert hlen % 8 == 0
    header = blob[8:8 + hlen].decode()
    assert header.startswith('{"conv2d/kernel":{"dtype":"F32","shape":[3,3,1,32],"data_offsets":[0,1152]},')
    assert header.rstrip(" ").endswith("}") and " " not in header.rstrip(" ")
    parsed = json.loads(header)
    assert list(parsed) == [name for name, _ in data.KERAS_TENSORS]
    body = b"".join(w[name].astype("<f4").tobytes() for name, _ in data.KERAS_TENSORS)
    assert blob[8 + hlen:] == body


def test_write_safetensors_checks_shapes(tmp_path):
    w = keras_tensors()
    w["dense/bias"] = np.zeros(127, np.float32)
    with pytest.raises(Failure, match="dense/bias has shape \\[127\\]"):
        data.write_safetensors(str(tmp_path / "w.safetensors"), w)


def write_raw(tmp_path, header, body=b""):
    h = json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(h)) + h + body)
    return str(path)


def good_header():
    header, off = {}, 0
    for name, shape in data.KERAS_TENSORS:
        n = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    return header, bytes(off)


@pytest.mark.parametrize("edit, message", [
    (lambda h: h.pop("dense/kernel"), "tensor dense/kernel missing"),
    (lambda h: h["conv2d/bias"].update(dtype="F16"), "conv2d/bias: dtype F16, want F32"),
    (lambda h: h["dense_1/bias"].update(shape=[11]), "dense_1/bias: shape \\[11\\], want \\[10\\]"),
    (lambda h: h["dense/bias"].update(data_offsets=[0, 4]), "dense/bias: data_offsets \\[0, 4\\] do not hold 128"),
    (lambda h: h["dense_1/bias"].update(data_offsets=[10**9, 10**9 + 40]), "dense_1/bias: data_offsets"),
])
def test_read_safetensors_rejects(tmp_path, edit, message):
    header, body = good_header()
    edit(header)
    with pytest.raises(Failure, match=message):
        data.read_safetensors(write_raw(tmp_path, header, body))


def test_read_safetensors_rejects_broken_files(tmp_path):
    path = tmp_path / "w.safetensors"
    with pytest.raises(Failure, match="init_weights .*w.safetensors"):
        data.read_safetensors(str(path))
    path.write_bytes(b"\x01\x02")
    with pytest.raises(Failure, match="truncated \\(2 bytes\\)"):
        data.read_safetensors(str(path))
    path.write_bytes(struct.pack("<Q", 100) + b"{}")
    with pytest.raises(Failure, match="header length 100 exceeds the file"):
        data.read_safetensors(str(path))
    path.write_bytes(struct.pack("<Q", 2) + b"{x")
    with pytest.raises(Failure, match="header:"):
        data.read_safetensors(str(path))
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    with pytest.raises(Failure, match="header is not a JSON object"):
        data.read_safetensors(str(path))


def test_read_safetensors_reads_go_files_with_metadata(tmp_path):
    header, body = good_header()
    header["__metadata__"] = {"format": "keras"}
    got = data.read_safetensors(write_raw(tmp_path, header, body))
    assert all(not v.any() for v in got.values())


# ---------------------------------------------------------------------------
# The batch order


def test_read_order(tmp_path, mnist):
    job, _ = make_job(tmp_path, mnist, epochs=2, steps=3, batch=4, train_images=8)
    order = data.read_order(job)
    assert order.dtype == np.int64 and order.size == 24
    assert order.tolist() == np.fromfile(job["order"], dtype="<i4").tolist()


def test_read_order_checks_length_and_range(tmp_path, mnist):
    job, _ = make_job(tmp_path, mnist, epochs=1, steps=2, batch=4, train_images=8)
    np.arange(7, dtype="<i4").tofile(job["order"])
    with pytest.raises(Failure, match="holds 7 indices, want .* 1 x 2 x 4 = 8"):
        data.read_order(job)
    np.array([0, 1, 2, 3, 4, 5, 6, 8], dtype="<i4").tofile(job["order"])
    with pytest.raises(Failure, match="outside 0..7 \\(min 0, max 8\\)"):
        data.read_order(job)
    np.array([0, 1, 2, -1, 4, 5, 6, 7], dtype="<i4").tofile(job["order"])
    with pytest.raises(Failure, match="min -1"):
        data.read_order(job)
    os.remove(job["order"])
    with pytest.raises(Failure, match="order .*order.bin"):
        data.read_order(job)


def test_batch_start():
    job = {"steps_per_epoch": 10, "global_batch": 32}
    assert data.batch_start(job, 1, 0, 0) == 0
    assert data.batch_start(job, 1, 3, 16) == 3 * 32 + 16
    assert data.batch_start(job, 2, 0, 0) == 10 * 32
    assert data.batch_start(job, 3, 9, 8) == (2 * 10 + 9) * 32 + 8


def test_gzip_is_what_is_checked(mnist):
    """The hash is of the file as stored (gzip), not of its contents."""
    blob = open(os.path.join(mnist.dir, data.TRAIN_LABELS_FILE), "rb").read()
    assert gzip.decompress(blob) == idx1(mnist.train_labels)
