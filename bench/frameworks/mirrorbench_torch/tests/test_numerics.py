"""numerics: the loss and its gradient from the logits, Adam's float32
scalars and updates, against the values worked out apart from any engine
(trainer/testdata/keras_numerics.json, written by keras_numerics.py there);
and the flush of subnormal moments."""

import json
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mirrorbench_torch.numerics import (SUBNORMAL_MAX, KerasAdam, KerasLoss, tf_adam_coefficients,  # noqa: E402
                                        tf_adam_scalars)

ROOT = pathlib.Path(__file__).resolve().parents[4]
VALUES = json.loads((ROOT / "trainer" / "testdata" / "keras_numerics.json").read_text())
ADAM = {"learning_rate": VALUES["adam_lr"], "beta_1": VALUES["adam_beta_1"],
        "beta_2": VALUES["adam_beta_2"], "epsilon": VALUES["adam_epsilon"]}


def bits(x):
    return int(np.array(np.float32(x)).view(np.uint32))


def onehot(labels):
    return torch.nn.functional.one_hot(torch.tensor(labels), 10).float()


# ---------------------------------------------------------------------------
# The loss


@pytest.mark.parametrize("sample", VALUES["samples"], ids=lambda s: s["name"])
def test_loss_and_gradient_from_logits(sample):
    z = torch.tensor([sample["logits"]], dtype=torch.float32, requires_grad=True)
    losses, _ = KerasLoss().per_sample(z, onehot([sample["label"]]))
    KerasLoss.batch_loss(losses).backward()  # a batch of one: the gradient of its mean is its own
    assert losses.dtype == torch.float32
    want = sample["loss"]
    assert abs(float(losses[0]) - want) <= 1e-6 + 1e-6 * want
    for k, (got, want) in enumerate(zip(z.grad[0].tolist(), sample["grad"])):
        if k == sample["label"]:
            assert abs(got - want) <= 1e-7, k  # p_y rounds to 1 in float32 when confident
        else:
            assert abs(got - want) <= 1e-5 * abs(want), k  # tiny, never 0: no clip


def test_batch_loss_is_the_mean():
    """The gradient a step takes is the batch mean's: (softmax - onehot) / n,
    sample by sample, whatever the other samples."""
    samples = VALUES["samples"]
    z = torch.tensor([s["logits"] for s in samples], dtype=torch.float32, requires_grad=True)
    losses, p = KerasLoss().per_sample(z, onehot([s["label"] for s in samples]))
    KerasLoss.batch_loss(losses).backward()
    n = len(samples)
    for i, s in enumerate(samples):
        assert abs(float(losses[i]) - s["loss"]) <= 1e-6 + 1e-6 * s["loss"]
        for k, want in enumerate(s["grad"]):
            got = float(z.grad[i, k]) * n
            tol = 1e-7 if k == s["label"] else 1e-5 * abs(want)
            assert abs(got - want) <= tol, (s["name"], k)
    assert torch.allclose(p.sum(1), torch.ones(n))


def test_report_sums_in_float64_and_counts_the_arg_max():
    losses = torch.tensor([1e-8, 1.0, 3.5], dtype=torch.float32)
    p = torch.tensor([[0.1, 0.9], [0.5, 0.5], [0.7, 0.3]])
    loss_sum, correct = KerasLoss.report(losses, p, torch.tensor([1, 0, 1]))
    assert loss_sum.dtype == torch.float64
    assert float(loss_sum) == float(np.float32(1e-8)) + 1.0 + 3.5
    assert int(correct) == 2  # a tie goes to the first maximum


# ---------------------------------------------------------------------------
# Adam


@pytest.mark.parametrize("want", VALUES["adam_coefficients"], ids=lambda c: "t=%d" % c["t"])
def test_adam_coefficients_are_tf_float32(want):
    got = tf_adam_coefficients(ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], want["t"])
    for name in ("one_minus_beta_1", "one_minus_beta_2", "beta_1_power", "beta_2_power", "alpha"):
        assert got[name].dtype == np.float32, name
        assert bits(got[name]) == bits(want[name]), name
    assert "%08x" % bits(got["alpha"]) == want["alpha_bits"]
    alpha, omb1, omb2 = tf_adam_scalars(ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], want["t"])
    assert (alpha, omb1, omb2) == (float(got["alpha"]), float(got["one_minus_beta_1"]), float(got["one_minus_beta_2"]))


def test_one_minus_beta_1_is_float32_arithmetic():
    _, omb1, _ = tf_adam_scalars(0.001, 0.9, 0.999, 1)
    assert np.float32(omb1) == np.float32(0.100000024) and np.float32(omb1) != np.float32(0.1)


def test_adam_updates_bit_for_bit():
    w = torch.tensor([0.5])
    w.grad = torch.tensor([np.float32(VALUES["adam_update_gradient"])])
    opt = KerasAdam([w], ADAM)
    for want in VALUES["adam_updates"]:
        opt.step()
        assert bits(w[0]) == bits(want["w"]), want["t"]
        assert bits(opt.m[0][0]) == bits(want["m"]), want["t"]
        assert bits(opt.v[0][0]) == bits(want["v"]), want["t"]
    assert opt.t == len(VALUES["adam_updates"])


def test_adam_matches_the_formula_element_wise():
    """Many elements, gradients of every sign and size, several steps: each
    element as the documented float32 formula computes it in numpy."""
    rng = np.random.default_rng(8)
    w0 = rng.standard_normal(1000).astype(np.float32)
    w = torch.from_numpy(w0.copy())
    opt = KerasAdam([w], ADAM)
    f32 = np.float32
    ww, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    eps = f32(ADAM["epsilon"])
    for t in range(1, 6):
        g = (rng.standard_normal(1000) * 10.0 ** rng.integers(-6, 2, 1000)).astype(np.float32)
        w.grad = torch.from_numpy(g)
        opt.step()
        alpha, omb1, omb2 = (f32(s) for s in tf_adam_scalars(ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], t))
        m = m + (g - m) * omb1
        v = v + (g * g - v) * omb2
        ww = ww - (m * alpha) / (np.sqrt(v) + eps)
        assert w.numpy().tobytes() == ww.tobytes(), t


def test_adam_flushes_subnormal_moments():
    tiny = np.float32(2.0 ** -130)  # subnormal
    g = torch.tensor([tiny, -tiny, 2.0 ** -100, -(2.0 ** -100), 0.0, 1e-3], dtype=torch.float32)
    w = torch.zeros(6)
    w.grad = g
    opt = KerasAdam([w], ADAM)
    opt.step()
    m, v = opt.m[0], opt.v[0]
    # m = g * 0.1: the first two are subnormal, flushed to +0 (not -0).
    assert m[:2].tolist() == [0.0, 0.0] and not torch.signbit(m[:2]).any()
    assert m[2] > 0 and m[3] < 0 and m[5] > 0
    # v = g*g * 0.001: only the last is a normal float32.
    assert v[:5].tolist() == [0.0] * 5 and v[5] > 0


def test_flush_keeps_normal_values_exactly():
    x = torch.tensor([SUBNORMAL_MAX, -SUBNORMAL_MAX, 2.0 ** -126, -(2.0 ** -126), 1.5, -2.5, 0.0, -0.0],
                     dtype=torch.float32)
    scratch = torch.empty_like(x)
    KerasAdam._flush_signed(x, scratch)
    assert x.tolist() == [0.0, 0.0, 2.0 ** -126, -(2.0 ** -126), 1.5, -2.5, 0.0, 0.0]
    assert not torch.signbit(x[[0, 1, 6, 7]]).any()
    y = torch.tensor([SUBNORMAL_MAX, 2.0 ** -126, 3.0], dtype=torch.float32)
    KerasAdam._flush_nonnegative(y)
    assert y.tolist() == [0.0, 2.0 ** -126, 3.0]
    assert np.float32(SUBNORMAL_MAX) == np.float32(SUBNORMAL_MAX) and np.float32(SUBNORMAL_MAX) < 2.0 ** -126

