"""The reference CNN in PyTorch's layers, and the conversion of its
parameters from and to Keras's layout (data.KERAS_TENSORS)."""

import numpy as np
import torch
from torch import nn

from .data import CLASSES


class KerasCNN(nn.Module):
    """Conv2D(32, 3x3, valid) + ReLU, MaxPool 2x2, Flatten in Keras's (h, w, c)
    order, Dense(128) + ReLU, Dense(10): the logits (softmax lives in the loss)."""

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


def build_model():
    return KerasCNN()


def load_keras_weights(model, w):
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


def keras_weights(model):
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
