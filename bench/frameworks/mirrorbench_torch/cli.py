"""The entry: --probe and --job, and every exception turned into the event
PROTOCOL.md asks for. This module imports neither torch nor numpy at its top:
import_framework does, and only then are the modules that need them
imported, so that an interpreter without them gets an `unavailable` event,
not a traceback."""

from . import timing  # noqa: F401  (first: the adapter's clock starts here)

import sys  # noqa: E402
import traceback  # noqa: E402

from .protocol import (FRAMEWORK, PROTOCOL, Failure, Group, Unavailable, emit, interpreter,  # noqa: E402
                       load_job, log, one_line, set_thread_env)

USAGE = "usage: python3 mirrorbench_torch --probe | --job JOB.json"


def import_framework():
    """Imports torch, then numpy. Any failure (not only ImportError: a broken
    CUDA library raises OSError, a numpy ABI mismatch RuntimeError) means this
    interpreter cannot run the adapter, which is a skip, not a failure. torch
    goes first so that an interpreter with neither is reported as lacking
    torch, the part a user has to install on purpose."""
    try:
        import torch  # noqa: F401
    except Exception as e:  # noqa: BLE001
        raise Unavailable("import torch failed with %s: %s: %s"
                          % (interpreter(), type(e).__name__, one_line(e)))
    try:
        import numpy  # noqa: F401
    except Exception as e:  # noqa: BLE001
        raise Unavailable("import numpy failed with %s: %s: %s"
                          % (interpreter(), type(e).__name__, one_line(e)))


def probe():
    """--probe: the hello event of this interpreter, or why it cannot run."""
    import os
    import_framework()
    from . import runtime
    emit("hello", protocol=PROTOCOL, rank=int(os.environ.get("RANK", "0") or 0), framework=FRAMEWORK,
         versions=runtime.versions(), backend="", gpus=runtime.gpu_count(), deterministic=False,
         deterministic_note="probe: whether a run is deterministic is said in each job's hello")


def train(job):
    """--job: everything from importing torch to the done event (rank 0 only:
    the other ranks just exit 0, PROTOCOL.md has them write hello alone)."""
    set_thread_env(job)
    group = Group(job)
    import_framework()
    from . import ddp, runtime
    from .train import run_training
    dev = ddp.select_device(job, group)
    deterministic, note = ddp.configure(job, dev)
    emit("hello", protocol=PROTOCOL, rank=group.rank, framework=FRAMEWORK, versions=runtime.versions(),
         backend=group.backend, gpus=runtime.gpu_count(), deterministic=deterministic, deterministic_note=note)

    if group.distributed:
        ddp.init_process_group(group)
    try:
        run_training(job, group, dev)
    finally:
        if group.distributed:
            ddp.destroy_process_group()
    if group.lead:
        emit("done", seconds=timing.since_start())


def main(argv):
    """Runs the adapter with these arguments; returns the exit status."""
    try:
        if argv == ["--probe"]:
            probe()
        elif len(argv) == 2 and argv[0] == "--job":
            train(load_job(argv[1]))
        else:
            log(USAGE)
            emit("error", message=USAGE)
            return 2
    except Unavailable as e:
        emit("unavailable", reason=one_line(e))
        return 0
    except Failure as e:
        log(str(e))
        emit("error", message=one_line(e))
        return 1
    except BaseException as e:  # noqa: BLE001  (KeyboardInterrupt too: say why we stop)
        traceback.print_exc(file=sys.stderr)
        emit("error", message=one_line("%s: %s" % (type(e).__name__, e)))
        return 1
    return 0
