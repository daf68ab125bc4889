"""The loss and the optimizer, written out by hand so that their arithmetic
is the one PROTOCOL.md's section "Arithmetic" states (torch's own Adam
computes another formula): the cross-entropy from the logits, as Keras's fit
takes it under TF 2.0, and TF's ApplyAdam with its scalars formed in float32
as TF 2.0's optimizer_v2/adam.py forms them."""

import numpy as np
import torch

# The largest subnormal float32, 2^-126 - 2^-149: Go's kernels flush Adam's
# moments of magnitude up to this (below 2^-126, the smallest normal) to +0.
SUBNORMAL_MAX = 2.0 ** -126 - 2.0 ** -149


class KerasLoss:
    """Keras's sparse categorical cross-entropy as fit computes it, from the
    logits (TF 2.0 takes the softmax's input: no clip): per sample,
    loss = -log_softmax(logits)[label], whose gradient is softmax - onehot for
    every sample, however confident.

    The label's term is taken with a one-hot product, (logp * onehot).sum(1),
    which is exactly logp_y (the other terms are exact zeros) and whose
    backward is an element-wise product: gather's backward is a scatter-add,
    which deterministic mode may reject on CUDA in some torch versions."""

    def per_sample(self, logits, onehot):
        """Per-sample losses (float32, differentiable) and the softmax output
        (for the accuracy)."""
        logp = torch.log_softmax(logits, dim=1)
        return -(logp * onehot).sum(1), logp.detach().exp()

    @staticmethod
    def batch_loss(losses):
        """The loss whose gradient a step takes: the mean over this rank's
        samples (DistributedDataParallel then averages the ranks' gradients)."""
        return losses.mean()

    @staticmethod
    def report(losses, p, y):
        """(loss sum, correct) of a batch as device tensors: the float32
        per-sample losses summed in float64, as Go's Result.LossSum; correct is
        the argmax of the softmax output (first maximum) equal to the label."""
        with torch.no_grad():
            loss_sum = losses.detach().double().sum()
            correct = (p.argmax(1) == y).sum()
        return loss_sum, correct


def tf_adam_coefficients(lr, beta_1, beta_2, t):
    """Step t's coefficients as TF 2.0 forms them (optimizer_v2/adam.py, then
    ApplyAdam in core/kernels/training_ops.cc), every operation in float32,
    left to right:

        one_minus_beta_1 = 1 - float32(beta_1)   (0.100000024 for 0.9)
        one_minus_beta_2 = 1 - float32(beta_2)
        beta_1_power = float32(beta_1) ** t      (powf: rounded once; likewise beta_2)
        alpha = float32(lr) * sqrt(1 - beta_2_power) / (1 - beta_1_power)

    As numpy float32 values, under the names of
    trainer/testdata/keras_numerics.json."""
    f32, one = np.float32, np.float32(1)
    b1, b2 = f32(beta_1), f32(beta_2)
    # float64 holds float32(beta)^t to 1e-16 relative: one rounding to float32
    # gives powf's correctly rounded value.
    p1 = f32(float(b1) ** t)
    p2 = f32(float(b2) ** t)
    alpha = f32(f32(f32(lr) * np.sqrt(f32(one - p2))) / f32(one - p1))
    return {"one_minus_beta_1": f32(one - b1), "one_minus_beta_2": f32(one - b2),
            "beta_1_power": p1, "beta_2_power": p2, "alpha": alpha}


def tf_adam_scalars(lr, beta_1, beta_2, t):
    """(alpha, one_minus_beta_1, one_minus_beta_2) of step t
    (tf_adam_coefficients) as Python floats holding float32 values."""
    c = tf_adam_coefficients(lr, beta_1, beta_2, t)
    return float(c["alpha"]), float(c["one_minus_beta_1"]), float(c["one_minus_beta_2"])


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

    def __init__(self, params, cfg):
        self.params = list(params)
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

    @staticmethod
    def _flush_signed(x, scratch):
        """flush for m, in four cheap passes: threshold(x) keeps x >= 2^-126,
        threshold(-x) keeps x <= -2^-126, and their difference is x exactly
        or +0 (x - 0 and 0 - (-x) are exact). abs/lt/masked_fill_ costs three
        times as much on CPU."""
        F = torch.nn.functional
        torch.neg(x, out=scratch)
        F.threshold_(scratch, SUBNORMAL_MAX, 0.0)
        F.threshold_(x, SUBNORMAL_MAX, 0.0)
        x.sub_(scratch)

    @staticmethod
    def _flush_nonnegative(x):
        """flush for v, which is never negative (v + (g*g - v)*(1-beta_2) >= 0
        whenever v >= 0): one pass, x <= the largest subnormal -> +0."""
        torch.nn.functional.threshold_(x, SUBNORMAL_MAX, 0.0)

    def step(self):
        self.t += 1
        alpha, omb1, omb2 = tf_adam_scalars(self.lr, self.b1, self.b2, self.t)
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
