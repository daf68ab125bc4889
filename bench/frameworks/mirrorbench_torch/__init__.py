"""mirrorbench_torch: the PyTorch adapter of mirrorbench, the reference Keras
MNIST CNN in PyTorch.

This package implements PROTOCOL.md (in bench/frameworks), which is the
contract; read it first. The harness writes the package to a temporary
folder and starts it as

    python3 DIR/mirrorbench_torch --probe          # one hello (or unavailable) event, exit 0
    python3 DIR/mirrorbench_torch --job JOB.json   # train as the job says

(`python3 -m mirrorbench_torch ...` with DIR on the path does the same),
with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT) for a distributed run, and reads one JSON event per line from
stdout. Diagnostics go to stderr.

The harness makes every choice that could differ between frameworks (initial
weights, batch order, data files) and hands them over; this adapter only
trains, and mirrors the Go reference (trainer/native, trainer/adam.go,
trainer/kernels, trainer/evaluate.go) wherever torch's own defaults would
differ from Keras:

- pixels are float32(byte / 255.0) with the division in float64;
- Flatten runs in Keras's (h, w, c) order: activations are permuted NCHW ->
  NHWC before flattening, so the dense kernel's rows mean the same pixels;
- the loss is computed from the logits, as Keras's fit computes it (TF's
  sparse_softmax_cross_entropy_with_logits; no clip): log_softmax, the
  label's term, averaged over the batch; every sample has a gradient;
- Adam is TF's ApplyAdam, written out by hand in its order of float32
  operations, with its scalars formed in float32 as TF 2.0's adam.py forms
  them, and Go's flush of subnormal moments to +0; torch.optim.Adam computes
  another formula and is not used.

PROTOCOL.md states this arithmetic in full (section "Arithmetic").

One module per job:

    timing     the adapter's clock, started before anything else is imported
    protocol   events on stdout, diagnostics, the job file, the launch environment
    cli        the entry: --probe and --job, every exception turned into an event
    runtime    what hello says about torch: versions, BLAS, GPUs
    data       the MNIST files and their checksums, safetensors, the batch order
    model      the CNN and Keras's weight layout
    numerics   the loss and Adam (PROTOCOL.md, "Arithmetic")
    ddp        the device, deterministic mode, each rank's share, the process group
    train      the training loop and evaluation

Only timing, protocol and cli load without torch: cli imports the others once
torch and numpy have imported, so that an interpreter without them says
`unavailable` cleanly. This file imports nothing, so that the clock starts
as early as a package allows.

Only torch and numpy are needed; the code runs on Debian's torch 1.13 and on
torch 2.x (no API that changed between them is used), under Python 3.9+.
"""
