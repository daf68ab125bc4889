"""Writes keras_numerics.json: values worked out from Keras's formulas, apart
from any engine, that the Go and Python tests check the engines against.

Loss and gradient (TF 2.0 graph mode: sparse_softmax_cross_entropy_with_logits
on the softmax's input), in float64 from float32 logits:
    loss      = log(sum_j exp(z_j)) - z_y
    dloss/dz  = softmax(z) - onehot(y)
Adam coefficients (TF's ApplyAdam kernel fed by optimizer_v2/adam.py), each
operation rounded to float32 with numpy, in TF's order:
    one_minus_beta_1 = 1 - f32(beta_1)          one_minus_beta_2 = 1 - f32(beta_2)
    beta_1_power = f32(beta_1) ** t (powf)      beta_2_power likewise
    alpha = f32(lr) * sqrt(1 - beta_2_power) / (1 - beta_1_power)
and one element's update from m = v = 0:
    m += (g - m) * one_minus_beta_1;  v += (g*g - v) * one_minus_beta_2
    w -= m * alpha / (sqrt(v) + f32(epsilon))

Run with /usr/bin/python3 (numpy) from this folder: python3 keras_numerics.py
"""
import json
import math

import numpy as np

f32 = np.float32


def loss_and_grad(z, y):
    z = [float(f32(v)) for v in z]
    zmax = max(z)
    e = [math.exp(v - zmax) for v in z]
    s = math.fsum(e)
    # loss = log(s / e_y) = log1p(others / e_y), and p_y - 1 = -others / s:
    # no cancellation, however confident the sample.
    others = math.fsum(ek for k, ek in enumerate(e) if k != y)
    loss = math.log1p(others / e[y])
    grad = [-others / s if k == y else ek / s for k, ek in enumerate(e)]
    return loss, grad


def adam(t, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    b1, b2, lr = f32(b1), f32(b2), f32(lr)
    one = f32(1)
    # powf: f32(b)^t rounded once (float64 holds f32(b)^t to 1e-16 relative).
    p1 = f32(float(b1) ** t)
    p2 = f32(float(b2) ** t)
    alpha = f32(f32(lr * np.sqrt(f32(one - p2))) / f32(one - p1))
    return {
        "t": t,
        "one_minus_beta_1": float(f32(one - b1)),
        "one_minus_beta_2": float(f32(one - b2)),
        "beta_1_power": float(p1),
        "beta_2_power": float(p2),
        "alpha": float(alpha),
        "alpha_bits": "%08x" % int(np.array(alpha).view(np.uint32)),
    }


def adam_updates(g, steps, eps=1e-7):
    w, m, v = f32(0.5), f32(0), f32(0)
    out = []
    for t in range(1, steps + 1):
        c = adam(t)
        g32 = f32(g)
        m = f32(m + f32(f32(g32 - m) * f32(c["one_minus_beta_1"])))
        v = f32(v + f32(f32(f32(g32 * g32) - v) * f32(c["one_minus_beta_2"])))
        w = f32(w - f32(f32(m * f32(c["alpha"])) / f32(f32(np.sqrt(v)) + f32(eps))))
        out.append({"t": t, "w": float(w), "m": float(m), "v": float(v)})
    return out


samples = []
for name, z, y in [
    ("confident right", [30, 0, -5, 2, 1, 0.5, -1, 3, 4, -2], 0),
    ("confident wrong", [30, 0, -5, 2, 1, 0.5, -1, 3, 4, -2], 2),
    ("beyond float32 rounding of p", [40, -3, 1, 0, 2, -1, 0.25, 5, -6, 3], 0),
    ("uncertain", [0.1, -0.2, 0.3, 0.05, 0, -0.1, 0.2, 0.15, -0.05, 0.12], 6),
]:
    loss, grad = loss_and_grad(z, y)
    samples.append({"name": name, "logits": z, "label": y, "loss": loss, "grad": grad})

doc = {
    "about": "Keras's loss, gradient and Adam worked out from their formulas apart from any engine; keras_numerics.py writes this file and states the formulas.",
    "samples": samples,
    "adam_lr": 0.001, "adam_beta_1": 0.9, "adam_beta_2": 0.999, "adam_epsilon": 1e-7,
    "adam_coefficients": [adam(t) for t in (1, 2, 3, 10, 100, 1875, 9375)],
    "adam_update_gradient": 0.0123,
    "adam_updates": adam_updates(0.0123, 3),
}
with open("keras_numerics.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
