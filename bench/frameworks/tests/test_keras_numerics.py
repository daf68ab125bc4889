"""The PyTorch adapter's Keras numerics against the values worked out apart
from any engine (trainer/testdata/keras_numerics.json): the loss and its
gradient from the logits, Adam's float32 scalars and three updates.

    /usr/bin/python3 -m pytest -q bench/frameworks/tests
"""
import importlib.util
import json
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[3]
VALUES = json.loads((ROOT / "trainer" / "testdata" / "keras_numerics.json").read_text())


def load_adapter():
    spec = importlib.util.spec_from_file_location("adapter", ROOT / "bench" / "frameworks" / "pytorch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


adapter = load_adapter()


@pytest.mark.parametrize("sample", VALUES["samples"], ids=lambda s: s["name"])
def test_loss_and_gradient_from_logits(sample):
    z = torch.tensor([sample["logits"]], dtype=torch.float32, requires_grad=True)
    onehot = torch.nn.functional.one_hot(torch.tensor([sample["label"]]), 10).float()
    losses, _ = adapter.KerasLoss(torch).per_sample(z, onehot)
    losses.sum().backward()
    want = sample["loss"]
    assert abs(float(losses[0]) - want) <= 1e-6 + 1e-6 * want
    for k, (got, want) in enumerate(zip(z.grad[0].tolist(), sample["grad"])):
        if k == sample["label"]:
            assert abs(got - want) <= 1e-7, k  # p_y rounds to 1 in float32 when confident
        else:
            assert abs(got - want) <= 1e-5 * abs(want), k  # tiny, never 0: no clip


@pytest.mark.parametrize("want", VALUES["adam_coefficients"], ids=lambda c: "t=%d" % c["t"])
def test_adam_scalars_are_tf_float32(want):
    alpha, omb1, omb2 = adapter.tf_adam_scalars(np, VALUES["adam_lr"], VALUES["adam_beta_1"], VALUES["adam_beta_2"], want["t"])
    assert np.float32(alpha) == np.float32(want["alpha"])
    assert np.float32(omb1) == np.float32(want["one_minus_beta_1"])
    assert np.float32(omb2) == np.float32(want["one_minus_beta_2"])


def test_adam_updates_bit_for_bit():
    w = torch.tensor([0.5])
    w.grad = torch.tensor([np.float32(VALUES["adam_update_gradient"])])
    cfg = {"learning_rate": VALUES["adam_lr"], "beta_1": VALUES["adam_beta_1"],
           "beta_2": VALUES["adam_beta_2"], "epsilon": VALUES["adam_epsilon"]}
    opt = adapter.KerasAdam(torch, np, [w], cfg)
    for want in VALUES["adam_updates"]:
        opt.step()
        assert float(w[0]) == float(np.float32(want["w"])), want["t"]
