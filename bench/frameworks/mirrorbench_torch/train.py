"""Training and evaluation: the epochs of the job's batches, each step timed
and reported, the test set scored after each epoch, the final weights
written (PROTOCOL.md, "Events")."""

import math

import torch

from . import data, ddp, model, numerics
from .protocol import Failure, emit, log
from .timing import clock, since, since_start


def evaluate(module, loss, x, y, onehot, chunk):
    """Test loss (summed per image, per chunk, then over chunks in order, as
    trainer/evaluate.go) and correct count, in chunks of eval_batch, on the
    plain module (not the DDP wrapper: only rank 0 evaluates). One read-back
    at the end."""
    module.eval()
    try:
        with torch.no_grad():
            total = torch.zeros((), dtype=torch.float64, device=x.device)
            correct = torch.zeros((), dtype=torch.int64, device=x.device)
            for i in range(0, x.shape[0], chunk):
                losses, p = loss.per_sample(module(x[i:i + chunk]), onehot[i:i + chunk])
                s, c = loss.report(losses, p, y[i:i + chunk])
                total += s
                correct += c
            total, correct = total.item(), int(correct.item())
    finally:
        module.train()
    return total, correct


def run_training(job, group, dev):
    """Set-up, the epochs, and the final weights; rank 0 reports."""
    lead = group.lead
    B = job["global_batch"]
    first, share = ddp.shard(B, group)

    train_x, train_y, test_x, test_y = data.load_mnist(job, with_test=lead)
    eye = torch.eye(data.CLASSES, dtype=torch.float32)
    tx = torch.from_numpy(train_x).to(dev)
    ty_cpu = torch.from_numpy(train_y)
    ty = ty_cpu.to(dev)
    toh = eye.index_select(0, ty_cpu).to(dev)
    if lead:
        ex = torch.from_numpy(test_x).to(dev)
        ey_cpu = torch.from_numpy(test_y)
        ey = ey_cpu.to(dev)
        eoh = eye.index_select(0, ey_cpu).to(dev)
    order = torch.from_numpy(data.read_order(job)).to(dev)

    module = model.build_model()
    model.load_keras_weights(module, data.read_safetensors(job["init_weights"]))
    module.to(dev)
    if dev.type == "cpu":
        # PyTorch's recommended CPU layout for convolutions (NHWC strides):
        # the same values, but oneDNN's convolution and the pooling skip
        # layout conversions, and the flatten's permute becomes a view
        # (about 30 % less time per step on one thread).
        module.to(memory_format=torch.channels_last)
        tx = tx.contiguous(memory_format=torch.channels_last)
        if lead:
            ex = ex.contiguous(memory_format=torch.channels_last)
    module.train()
    net = ddp.wrap(module, group, dev)
    loss_fn = numerics.KerasLoss()
    adam = numerics.KerasAdam(module.parameters(), job["optimizer"])
    steps = job["steps_per_epoch"]

    if lead:
        emit("ready", setup_seconds=since_start())
    log("rank %d/%d on %s: %d training images, %d epochs of %d steps, %d samples per step on this rank"
        % (group.rank, group.world, dev, tx.shape[0], job["epochs"], steps, share))

    for epoch in range(1, job["epochs"] + 1):
        t_epoch = clock()
        e_loss, e_correct, e_samples = 0.0, 0, 0
        for s in range(steps):
            t0 = clock()
            lo = data.batch_start(job, epoch, s, first)
            idx = order[lo:lo + share]
            xb = tx.index_select(0, idx)
            yb = ty.index_select(0, idx)
            ohb = toh.index_select(0, idx)
            logits = net(xb)
            losses, p = loss_fn.per_sample(logits, ohb)
            loss = loss_fn.batch_loss(losses)
            net.zero_grad(set_to_none=True)
            loss.backward()  # DDP all-reduces and averages the gradients here
            adam.step()
            ls, c = loss_fn.report(losses, p, yb)
            ls, c = torch.stack([ls, c.double()]).tolist()  # the one read-back (and sync) of the step
            secs = since(t0)
            if not math.isfinite(ls):
                raise Failure("loss is %s at epoch %d step %d" % (ls, epoch, s + 1))
            c = int(c)
            e_loss += ls
            e_correct += c
            e_samples += share
            if lead:
                emit("step", epoch=epoch, step=s + 1, seconds=secs, loss_sum=ls, correct=c, samples=share)
        train_seconds = since(t_epoch)

        test_loss = test_correct = eval_seconds = None
        if lead:
            t0 = clock()
            test_loss, test_correct = evaluate(module, loss_fn, ex, ey, eoh, job["eval_batch"])
            eval_seconds = since(t0)
        # One collective for the epoch's train totals; it also holds the other
        # ranks while rank 0 evaluates, so no separate barrier is needed.
        totals = ddp.sum_over_ranks([e_loss, float(e_correct), float(e_samples)], group, dev)
        if lead:
            n_test = ex.shape[0]
            emit("epoch", epoch=epoch, train_loss=totals[0] / totals[2], train_accuracy=totals[1] / totals[2],
                 test_loss=test_loss / n_test, test_accuracy=test_correct / n_test,
                 train_seconds=train_seconds, eval_seconds=eval_seconds)
            log("epoch %d: loss %.4f accuracy %.4f, test loss %.4f accuracy %.4f, %.1f s training, %.1f s eval"
                % (epoch, totals[0] / totals[2], totals[1] / totals[2], test_loss / n_test,
                   test_correct / n_test, train_seconds, eval_seconds))

    if lead:
        data.write_safetensors(job["final_weights"], model.keras_weights(module))
        emit("weights", path=job["final_weights"])
