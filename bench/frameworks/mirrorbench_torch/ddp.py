"""Where this rank runs and with whom: its device, deterministic mode and
threads, its share of each global batch, and the process group (torch's
env:// rendezvous on torchrun's variables, DistributedDataParallel)."""

import datetime

import torch
import torch.distributed as dist

from .protocol import Failure, Unavailable, log, one_line
from .runtime import gpu_count


def select_device(job, group):
    """The torch device of this rank: the CPU, or GPU ids[LOCAL_RANK]. Too few
    GPUs (or none, or no NCCL) is Unavailable: the configuration cannot run
    with this torch here, which the harness reports as a skip."""
    if job["device"]["kind"] == "cpu":
        dev = torch.device("cpu")
    else:
        ids = job["device"].get("ids") or [0]
        if group.local_rank >= len(ids):
            raise Failure("LOCAL_RANK=%d but device.ids has only %d GPU(s)" % (group.local_rank, len(ids)))
        need = max(ids) + 1
        have = gpu_count()
        if have < need:
            raise Unavailable("torch %s sees %d CUDA GPU(s); devices need %d (ids %s)"
                              % (torch.__version__, have, need, ids))
        dev = torch.device("cuda", ids[group.local_rank])
        torch.cuda.set_device(dev)
    if group.distributed:
        if not dist.is_available():
            raise Unavailable("torch %s was built without torch.distributed" % torch.__version__)
        ok = {"gloo": dist.is_gloo_available, "nccl": dist.is_nccl_available}.get(group.backend)
        if ok is not None and not ok():
            raise Unavailable("torch %s was built without the %s backend" % (torch.__version__, group.backend))
    return dev


def configure(job, dev):
    """Threads and deterministic mode; returns (deterministic, note) for hello."""
    threads = job["device"].get("threads") or 0
    if threads >= 1:
        torch.set_num_threads(threads)
    # A second set_num_interop_threads aborts the process in torch 1.13 (its
    # error escapes as std::terminate, past the except below): call it only
    # where it changes something.
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError as e:  # already started: harmless for this model, but say so
            log("set_num_interop_threads(1): %s" % one_line(e))
    if not job.get("deterministic"):
        return False, "the job did not ask for deterministic algorithms"
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    if dev.type == "cuda" and job.get("distributed") and (job["distributed"].get("world_size") or 1) > 1:
        return False, ("NCCL does not guarantee the summation order of its all-reduce, "
                       "so gradients may differ in the last bit between runs")
    return True, ""


def shard(global_batch, group):
    """(first, share): this rank's positions in each global batch, split evenly
    and in order, [first, first+share) (PROTOCOL.md, order)."""
    if global_batch % group.world:
        raise Failure("global_batch %d does not split evenly over %d ranks" % (global_batch, group.world))
    share = global_batch // group.world
    return group.rank * share, share


def init_process_group(group):
    """Joins the run's process group through torchrun's env:// rendezvous."""
    dist.init_process_group(group.backend, init_method="env://", rank=group.rank,
                            world_size=group.world, timeout=datetime.timedelta(seconds=group.timeout))


def destroy_process_group():
    """Leaves the process group, if it was joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(module, group, dev):
    """The model training runs: module itself in a group of one, else module in
    DistributedDataParallel, whose backward all-reduces the gradients and
    divides them by the world size."""
    if not group.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel as DDP
    if dev.type == "cuda":
        return DDP(module, device_ids=[dev.index], output_device=dev.index)
    return DDP(module)


def sum_over_ranks(values, group, dev):
    """values (floats) summed over the ranks, in float64; values itself in a
    group of one."""
    if not group.distributed:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=dev)
    dist.all_reduce(t)
    return t.tolist()
