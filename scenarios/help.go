package scenarios

// Help documents the scenario file format. It is printed by
// `mirrorbench help scenarios`; keep it in step with Scenario (scenario.go)
// and the defaults (defaults.go). The tests check that it documents every
// field, that its optimizer defaults are KerasAdam and that its example
// parses.
const Help = `
A scenario is a YAML file that describes one training run of the reference
MNIST CNN (Keras: Conv2D 32 3x3, MaxPool 2x2, Dense 128, Dense 10; Adam).
Unknown fields, wrong types, null values and YAML aliases are errors. A field
that is absent takes its default; a field that is present is checked as
written (an explicit 0 is never replaced by a default).

          name: the scenario's name, [a-z0-9-]+, not starting with '-' (required)
   description: free text shown by 'list' (optional)
        engine: gorgonia | native | opencl | pytorch (default native)
                gorgonia is the framework baseline, native the fast kernels,
                opencl the native kernels' arithmetic in OpenCL C on GPUs or
                any OpenCL device (devices gpu: or cl:; without an OpenCL
                library, platform or enough devices its scenarios are skipped),
                pytorch runs PyTorch through bench/frameworks/mirrorbench_torch
                (python3 from PATH, or --python / MIRRORBENCH_PYTHON);
                mirrored pytorch runs are DistributedDataParallel (gloo on
                CPUs, NCCL on GPUs); a pytorch scenario that cannot run
                here (no interpreter, no torch, too few GPUs) is skipped
       devices: where the replicas run (default cpu), see DEVICES below
      strategy: single | mirrored (default single)
                single: one replica; devices must not list more than one id
                mirrored: the global batch is split evenly over the replicas,
                gradients are averaged in a fixed order, one optimizer step
      replicas: number of model replicas
                single: must be 1 (default 1)
                mirrored with an id list (cpu:0-3, gpu:0,1): must equal the
                  number of ids (default: that number)
                mirrored with gpu:all or cl:all: must be absent or 0, meaning
                  every device found at run time
                mirrored with cpu or cpu:1: required, >= 1; R replicas of one
                  thread each (cpu:N with N > 1 and cpu:all are rejected)
     reduction: fast | canonical (default fast); pytorch: fast only (DDP
                reduces with its own all-reduce)
                fast: each replica reduces its own shard
                canonical: the batch is cut into fixed micro-shards, so the
                  sums, and the weights, do not depend on the replica count
   micro_shard: canonical micro-shard size (default 8); only with reduction
                canonical; must divide global_batch, and global_batch /
                micro_shard must be divisible by replicas
  global_batch: samples per optimizer step over all replicas (default 32, as
                Keras); >= 1; divisible by replicas (with gpu:all, checked
                when the GPUs are counted at run time)
        epochs: passes over the training images (default 5); >= 1
          seed: seed of every random stream: init, shuffle (default 1)
         seeds: a seed sweep, e.g. [1, 2, 3]: one run per seed; distinct
                values; when set, seed must be absent
   train_limit: use the first N training images; 0 = all 60000 (default 0);
                else 1..60000 and >= global_batch
  warmup_steps: first optimizer steps left out of the steady-state
                throughput (default 20); >= 0 and less than the steps of one
                epoch (train images / global_batch, no partial batch)
     optimizer: a mapping:
                          name: adam (default adam; the only one)
                 learning_rate: > 0 (default 0.001)
                        beta_1: in [0, 1) (default 0.9)
                        beta_2: in [0, 1) (default 0.999)
                       epsilon: > 0 (default 1e-7, Keras; not 1e-8)
       targets: a list of goals the run must reach, each a mapping:
                   metric: test_accuracy | train_accuracy (required)
                      min: the accuracy to reach, in [0, 1] (required)
                 by_epoch: reached at the end of this epoch or before;
                           1..epochs (default epochs)
     reference: id of the reported result compared against (default
                keras-mnist-mirrored: the document's TF 2.0 run)

DEVICES
          cpu: one replica, one thread (same as cpu:1)
        cpu:N: one replica, N >= 1 intra-op threads
      cpu:all: one replica, every core (resolved at run time)
  cpu:0-3, cpu:0,1, cpu:0-1,4: a list of CPU replicas of one thread each;
               a single number after cpu: is a thread count, so a list of one
               is written cpu:2-2
  gpu:0, gpu:0,1, gpu:0-3: GPUs by id (a single number is an id)
      gpu:all: every GPU found at run time (strategy mirrored only)
      gpu:0x2: two replicas sharing GPU 0 (engine opencl: two command
               queues); NxK mixes with ids: gpu:0x2,1x2
  cl:0, cl:0-1, cl:all, cl:0x2: as gpu:, over every OpenCL device (GPUs and
               CPU implementations such as pocl, in platform order; engine
               opencl only): how CI runs the GPU engine without a GPU

EXAMPLE

  name: mirrored-cpu2
  description: the reference model mirrored over two CPU replicas
  engine: native
  devices: cpu:0-1
  strategy: mirrored
  replicas: 2
  global_batch: 32
  epochs: 5
  seed: 1
  optimizer: {name: adam, learning_rate: 0.001}
  targets:
    - metric: test_accuracy
      min: 0.985
      by_epoch: 5
`
