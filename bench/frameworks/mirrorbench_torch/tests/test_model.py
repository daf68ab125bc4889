"""model: the CNN's shapes, and Keras's weight layout in and out, checked
against a forward pass written from Keras's definitions in numpy."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mirrorbench_torch import data, model  # noqa: E402

from .conftest import keras_tensors  # noqa: E402


def keras_forward(w, x):
    """Keras's forward pass in float64 numpy, channels_last: x is N x 28 x 28 x 1."""
    k, b = w["conv2d/kernel"].astype(np.float64), w["conv2d/bias"].astype(np.float64)
    n = x.shape[0]
    conv = np.zeros((n, 26, 26, 32))
    for i in range(3):
        for j in range(3):
            conv += np.einsum("nhwc,co->nhwo", x[:, i:i + 26, j:j + 26, :], k[i, j])
    conv = np.maximum(conv + b, 0)
    pool = conv.reshape(n, 13, 2, 13, 2, 32).max(axis=(2, 4))
    flat = pool.reshape(n, -1)  # Keras's Flatten: (h, w, c) order
    h = np.maximum(flat @ w["dense/kernel"] + w["dense/bias"], 0)
    return h @ w["dense_1/kernel"] + w["dense_1/bias"]


def test_shapes():
    m = model.build_model()
    assert [tuple(p.shape) for p in m.parameters()] == [(32, 1, 3, 3), (32,), (128, 5408), (128,), (10, 128), (10,)]
    assert m(torch.zeros(3, 1, 28, 28)).shape == (3, data.CLASSES)


def test_keras_layout_round_trip():
    w = keras_tensors(seed=5)
    m = model.build_model()
    model.load_keras_weights(m, w)
    got = model.keras_weights(m)
    assert list(got) == [name for name, _ in data.KERAS_TENSORS]
    for name, shape in data.KERAS_TENSORS:
        assert got[name].dtype == np.float32 and got[name].shape == shape
        assert got[name].tobytes() == w[name].tobytes(), name


def test_forward_is_keras():
    """The imported weights mean what they mean in Keras: the logits agree
    with Keras's definitions (a wrong permutation of the conv kernel or of
    the flatten order would be far off)."""
    w = keras_tensors(seed=6, scale=0.1)
    x = np.random.default_rng(7).random((4, 1, 28, 28)).astype(np.float32)
    m = model.build_model()
    model.load_keras_weights(m, w)
    with torch.no_grad():
        got = m(torch.from_numpy(x)).numpy()
        last = m.to(memory_format=torch.channels_last)(
            torch.from_numpy(x).contiguous(memory_format=torch.channels_last)).numpy()
    want = keras_forward(w, x.transpose(0, 2, 3, 1).astype(np.float64))
    assert np.allclose(got, want, rtol=1e-4, atol=1e-5), np.abs(got - want).max()
    assert np.allclose(last, got, rtol=1e-5, atol=1e-6)
