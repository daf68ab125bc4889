"""The protocol's side of the adapter (PROTOCOL.md): events on stdout,
diagnostics on stderr, the job file, and the launch environment (torchrun's
variables) that places this process in the run. Imports neither torch nor
numpy: the job is read, and the thread variables set, before torch loads."""

import json
import os
import platform
import sys

PROTOCOL = 2
FRAMEWORK = "pytorch"
NAME = "mirrorbench_torch"  # the prefix of diagnostics


class Failure(Exception):
    """An error whose message is already the one-line reason for the `error` event."""


class Unavailable(Exception):
    """The framework cannot run this job here (missing import, too few GPUs): an
    `unavailable` event and exit 0, which the harness turns into a skip."""


def emit(event, **fields):
    """Writes one protocol event as a JSON line on stdout and flushes it, so the
    harness sees it at once (stdout is a pipe, hence block-buffered)."""
    rec = {"event": event}
    rec.update(fields)
    sys.stdout.write(json.dumps(rec, allow_nan=False) + "\n")
    sys.stdout.flush()


def log(msg):
    """A diagnostic line on stderr (the harness shows it as progress)."""
    sys.stderr.write("%s: %s\n" % (NAME, msg))
    sys.stderr.flush()


def interpreter():
    """This interpreter, as the reasons of `unavailable` events name it."""
    return "%s (Python %s)" % (sys.executable, platform.python_version())


def one_line(text):
    """Folds a message onto one line: events are single JSON lines and the
    harness quotes these messages in skip and failure reasons."""
    return " ".join(str(text).split())


# The job's fields the adapter needs (PROTOCOL.md, "The job").
REQUIRED = ("device", "global_batch", "epochs", "steps_per_epoch", "optimizer",
            "data", "order", "init_weights", "final_weights", "eval_batch")


def load_job(path):
    """Reads and checks the job before torch is imported: the thread count has
    to be in the environment before the OpenMP and BLAS libraries load."""
    try:
        with open(path) as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("job %s: %s" % (path, one_line(e)))
    return check_job(job, path)


def check_job(job, path):
    """The job's checks, which name the file in their messages."""
    if not isinstance(job, dict):
        raise Failure("job %s: not a JSON object" % path)
    if job.get("protocol") != PROTOCOL:
        raise Failure("job %s: protocol %r, this adapter speaks %d" % (path, job.get("protocol"), PROTOCOL))
    for key in REQUIRED:
        if key not in job:
            raise Failure("job %s: %s missing" % (path, key))
    kind = job["device"].get("kind")
    if kind not in ("cpu", "gpu"):
        raise Failure("job %s: device.kind %r, want cpu or gpu" % (path, kind))
    opt = job["optimizer"].get("name", "adam")
    if opt != "adam":
        raise Failure("job %s: optimizer %r, this adapter implements adam" % (path, opt))
    for key in ("global_batch", "epochs", "steps_per_epoch", "eval_batch"):
        if not isinstance(job[key], int) or job[key] < 1:
            raise Failure("job %s: %s is %r, want a positive integer" % (path, key, job[key]))
    return job


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def set_thread_env(job, environ=None):
    """Bounds OpenMP and the BLAS libraries' pools to the job's thread count
    (and asks for cuBLAS's deterministic workspace), unless the harness already
    did: these variables are read when the libraries load."""
    env = os.environ if environ is None else environ
    threads = job["device"].get("threads") or 0
    if threads >= 1:
        for var in THREAD_VARS:
            env.setdefault(var, str(threads))
    if job["device"]["kind"] == "gpu" and job.get("deterministic"):
        env.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


class Group:
    """This process's place in the run: rank, local rank and world size, from
    torchrun's variables (PROTOCOL.md, "Starting") when the job is
    distributed, else a group of one. Read before torch is imported, so a
    launch without them fails at once."""

    def __init__(self, job, environ=None):
        env = os.environ if environ is None else environ
        dist = job.get("distributed")
        if not dist:
            self.rank, self.local_rank, self.world = 0, 0, 1
            self.backend, self.timeout = "", 0
            return
        try:
            self.rank = int(env["RANK"])
            self.local_rank = int(env.get("LOCAL_RANK", env["RANK"]))
            self.world = int(env["WORLD_SIZE"])
        except (KeyError, ValueError) as e:
            raise Failure("distributed job without torchrun's environment: %s %s"
                          % (type(e).__name__, one_line(e)))
        for var in ("MASTER_ADDR", "MASTER_PORT"):
            if not env.get(var):
                raise Failure("distributed job without %s in the environment" % var)
        if dist.get("world_size") not in (None, self.world):
            raise Failure("job's distributed.world_size %r differs from WORLD_SIZE=%d"
                          % (dist.get("world_size"), self.world))
        if not 0 <= self.rank < self.world:
            raise Failure("RANK=%d is outside 0..WORLD_SIZE-1 (WORLD_SIZE=%d)" % (self.rank, self.world))
        self.backend = dist.get("backend") or ("nccl" if job["device"]["kind"] == "gpu" else "gloo")
        self.timeout = int(dist.get("timeout_seconds") or 1800)

    @property
    def distributed(self):
        return self.backend != ""

    @property
    def lead(self):
        """Rank 0 reports the events and evaluates."""
        return self.rank == 0
