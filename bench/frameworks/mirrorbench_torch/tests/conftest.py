"""Fixtures of the adapter's unit tests: tiny synthetic MNIST files, weights
and batch orders in the formats PROTOCOL.md names, and a job over them.

    /usr/bin/python3 -m pytest -q bench/frameworks/mirrorbench_torch
"""

import gzip
import hashlib
import json
import os
import struct

import numpy as np
import pytest

from mirrorbench_torch import data, protocol

try:  # one inter-op thread, as the adapter sets it, before torch does any work
    import torch
    if torch.get_num_interop_threads() != 1:
        torch.set_num_interop_threads(1)
except ImportError:
    pass


def idx3(images):
    """An IDX3 image file's bytes: images is uint8 N x 28 x 28."""
    n = images.shape[0]
    return struct.pack(">4I", 2051, n, 28, 28) + images.astype(np.uint8).tobytes()


def idx1(labels):
    """An IDX1 label file's bytes."""
    return struct.pack(">2I", 2049, len(labels)) + np.asarray(labels, dtype=np.uint8).tobytes()


def keras_tensors(seed=0, scale=0.05):
    """Random float32 tensors in Keras's names and shapes."""
    rng = np.random.default_rng(seed)
    return {name: (rng.standard_normal(shape) * scale).astype(np.float32) for name, shape in data.KERAS_TENSORS}


class Mnist:
    """A folder with the four MNIST files, tiny: train_n and test_n images of
    random pixels and labels."""

    def __init__(self, d, train_n=12, test_n=5, seed=1):
        rng = np.random.default_rng(seed)
        self.dir = str(d)
        self.train_images = rng.integers(0, 256, size=(train_n, 28, 28), dtype=np.uint8)
        self.train_labels = rng.integers(0, 10, size=train_n, dtype=np.uint8)
        self.test_images = rng.integers(0, 256, size=(test_n, 28, 28), dtype=np.uint8)
        self.test_labels = rng.integers(0, 10, size=test_n, dtype=np.uint8)
        raw = {
            data.TRAIN_IMAGES_FILE: idx3(self.train_images),
            data.TRAIN_LABELS_FILE: idx1(self.train_labels),
            data.TEST_IMAGES_FILE: idx3(self.test_images),
            data.TEST_LABELS_FILE: idx1(self.test_labels),
        }
        self.files = []
        for name, b in raw.items():
            blob = gzip.compress(b)
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(blob)
            self.files.append({"name": name, "sha256": hashlib.sha256(blob).hexdigest()})


@pytest.fixture
def mnist(tmp_path):
    d = tmp_path / "mnist"
    d.mkdir()
    return Mnist(d)


def make_job(tmp_path, mnist, epochs=1, steps=2, batch=4, train_images=8, seed=2, **over):
    """A job over mnist, with Keras-layout initial weights and an order file,
    written to tmp_path/job.json; returns (job, path)."""
    rng = np.random.default_rng(seed)
    order = rng.integers(0, train_images, size=epochs * steps * batch).astype("<i4")
    order_path = tmp_path / "order.bin"
    order.tofile(str(order_path))
    init = tmp_path / "init.safetensors"
    data.write_safetensors(str(init), keras_tensors())
    job = {
        "protocol": protocol.PROTOCOL,
        "scenario": "unit-test",
        "device": {"kind": "cpu", "threads": 1, "ids": [0]},
        "distributed": None,
        "global_batch": batch,
        "epochs": epochs,
        "steps_per_epoch": steps,
        "optimizer": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
        "data": {"dir": mnist.dir, "files": mnist.files, "train_images": train_images},
        "order": str(order_path),
        "init_weights": str(init),
        "final_weights": str(tmp_path / "final.safetensors"),
        "deterministic": True,
        "eval_batch": 3,
    }
    job.update(over)
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return job, str(path)


def events(text):
    """The events of captured stdout, one JSON object per line."""
    return [json.loads(line) for line in text.splitlines()]
