"""protocol, timing and cli: events, the job's checks, the launch
environment, the entry's exit statuses and events. No torch needed, except
where a test says so."""

import json
import os
import subprocess
import sys

import pytest

from mirrorbench_torch import cli, protocol, timing
from mirrorbench_torch.protocol import Failure, Group

from .conftest import events, make_job

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_emit_writes_one_json_line(capsys):
    protocol.emit("step", epoch=1, step=2, loss_sum=0.5)
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1
    assert json.loads(out) == {"event": "step", "epoch": 1, "step": 2, "loss_sum": 0.5}


def test_emit_refuses_nan():
    with pytest.raises(ValueError):
        protocol.emit("step", loss_sum=float("nan"))


def test_log_goes_to_stderr(capsys):
    protocol.log("hello there")
    got = capsys.readouterr()
    assert got.out == "" and got.err == "mirrorbench_torch: hello there\n"


def test_one_line():
    assert protocol.one_line("a\n  b\tc ") == "a b c"
    assert protocol.one_line(ValueError("x\ny")) == "x y"


def test_timing_counts_from_the_start():
    a = timing.since_start()
    b = timing.since_start()
    assert 0 < a <= b
    assert timing.since(timing.clock()) >= 0


# ---------------------------------------------------------------------------
# The job


def test_load_job(tmp_path, mnist):
    job, path = make_job(tmp_path, mnist)
    assert protocol.load_job(path) == job


def test_load_job_ignores_fields_it_does_not_know(tmp_path, mnist):
    _, path = make_job(tmp_path, mnist, loss_clip_epsilon=1e-7, future_field={"x": 1})
    assert protocol.load_job(path)["global_batch"] == 4


def test_load_job_needs_no_loss_clip_epsilon(tmp_path, mnist):
    job, path = make_job(tmp_path, mnist)
    assert "loss_clip_epsilon" not in job
    protocol.load_job(path)


def test_load_job_unreadable(tmp_path):
    with pytest.raises(Failure, match="job .*nope.json"):
        protocol.load_job(str(tmp_path / "nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(Failure, match="bad.json"):
        protocol.load_job(str(bad))
    bad.write_text("[1, 2]")
    with pytest.raises(Failure, match="not a JSON object"):
        protocol.load_job(str(bad))


@pytest.mark.parametrize("change, message", [
    ({"protocol": 1}, "protocol 1, this adapter speaks 2"),
    ({"device": {"kind": "tpu"}}, "device.kind 'tpu', want cpu or gpu"),
    ({"optimizer": {"name": "sgd"}}, "optimizer 'sgd', this adapter implements adam"),
    ({"global_batch": 0}, "global_batch is 0, want a positive integer"),
    ({"epochs": "2"}, "epochs is '2', want a positive integer"),
    ({"steps_per_epoch": -1}, "steps_per_epoch is -1"),
    ({"eval_batch": 1.5}, "eval_batch is 1.5"),
])
def test_load_job_rejects(tmp_path, mnist, change, message):
    job, path = make_job(tmp_path, mnist)
    job.update(change)
    with open(path, "w") as f:
        json.dump(job, f)
    with pytest.raises(Failure, match=message):
        protocol.load_job(path)


@pytest.mark.parametrize("key", protocol.REQUIRED)
def test_load_job_names_a_missing_field(tmp_path, mnist, key):
    job, _ = make_job(tmp_path, mnist)
    del job[key]
    with pytest.raises(Failure, match="%s missing" % key):
        protocol.check_job(job, "job.json")


def test_set_thread_env():
    env = {"OPENBLAS_NUM_THREADS": "7"}
    protocol.set_thread_env({"device": {"kind": "cpu", "threads": 2}}, env)
    assert env["OMP_NUM_THREADS"] == "2" and env["MKL_NUM_THREADS"] == "2"
    assert env["OPENBLAS_NUM_THREADS"] == "7"  # the harness's value wins
    assert "CUBLAS_WORKSPACE_CONFIG" not in env

    env = {}
    protocol.set_thread_env({"device": {"kind": "gpu", "ids": [0]}, "deterministic": True}, env)
    assert env == {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}


# ---------------------------------------------------------------------------
# The launch environment

TORCHRUN = {"RANK": "1", "LOCAL_RANK": "0", "WORLD_SIZE": "4", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
DIST_JOB = {"device": {"kind": "cpu"}, "distributed": {"backend": "gloo", "world_size": 4, "timeout_seconds": 60}}


def test_group_of_one():
    g = Group({"device": {"kind": "cpu"}, "distributed": None}, {"RANK": "3"})
    assert (g.rank, g.local_rank, g.world, g.backend, g.distributed, g.lead) == (0, 0, 1, "", False, True)


def test_group_from_torchrun_environment():
    g = Group(DIST_JOB, TORCHRUN)
    assert (g.rank, g.local_rank, g.world, g.backend, g.timeout, g.distributed, g.lead) == (1, 0, 4, "gloo", 60, True, False)


def test_group_defaults():
    env = dict(TORCHRUN)
    del env["LOCAL_RANK"]
    g = Group({"device": {"kind": "gpu"}, "distributed": {"world_size": 4}}, env)
    assert (g.local_rank, g.backend, g.timeout) == (1, "nccl", 1800)


@pytest.mark.parametrize("env, message", [
    ({k: v for k, v in TORCHRUN.items() if k != "RANK"}, "without torchrun's environment: KeyError"),
    (dict(TORCHRUN, WORLD_SIZE="four"), "without torchrun's environment: ValueError"),
    (dict(TORCHRUN, MASTER_PORT=""), "without MASTER_PORT"),
    (dict(TORCHRUN, WORLD_SIZE="2"), "world_size 4 differs from WORLD_SIZE=2"),
])
def test_group_rejects(env, message):
    with pytest.raises(Failure, match=message):
        Group(DIST_JOB, env)


def test_group_rank_in_range():
    with pytest.raises(Failure, match="RANK=4 is outside 0..WORLD_SIZE-1"):
        Group(DIST_JOB, dict(TORCHRUN, RANK="4"))


# ---------------------------------------------------------------------------
# The entry


def test_usage(capsys):
    assert cli.main(["--train"]) == 2
    got = capsys.readouterr()
    assert events(got.out) == [{"event": "error", "message": cli.USAGE}]
    assert cli.USAGE in got.err


def test_failure_is_an_error_event(capsys, tmp_path):
    assert cli.main(["--job", str(tmp_path / "missing.json")]) == 1
    (ev,) = events(capsys.readouterr().out)
    assert ev["event"] == "error" and "missing.json" in ev["message"]


def test_probe_without_torch_is_unavailable(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    assert cli.main(["--probe"]) == 0
    (ev,) = events(capsys.readouterr().out)
    assert ev["event"] == "unavailable"
    assert ev["reason"].startswith("import torch failed with %s" % sys.executable)


def test_job_without_numpy_is_unavailable(capsys, monkeypatch, tmp_path, mnist):
    pytest.importorskip("torch")
    _, path = make_job(tmp_path, mnist)
    monkeypatch.setitem(sys.modules, "numpy", None)
    for var in protocol.THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    assert cli.main(["--job", path]) == 0
    (ev,) = events(capsys.readouterr().out)
    assert ev["event"] == "unavailable" and ev["reason"].startswith("import numpy failed")


def run_adapter(args, tmp_path, **kw):
    """Runs the package as the harness does, a path, under an interpreter
    whose torch fails to import."""
    fake = tmp_path / "notorch"
    fake.mkdir()
    (fake / "torch.py").write_text("raise ImportError('no torch in this test')\n")
    env = dict(os.environ, PYTHONPATH=str(fake), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable] + args, env=env, capture_output=True, text=True, timeout=60, **kw)


def test_run_as_a_path_without_torch(tmp_path):
    r = run_adapter([PACKAGE_DIR, "--probe"], tmp_path, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    (ev,) = events(r.stdout)
    assert ev["event"] == "unavailable" and "no torch in this test" in ev["reason"]


def test_run_as_a_module(tmp_path):
    r = run_adapter(["-m", "mirrorbench_torch", "--what"], tmp_path, cwd=os.path.dirname(PACKAGE_DIR))
    assert r.returncode == 2, r.stderr
    assert events(r.stdout) == [{"event": "error", "message": cli.USAGE}]
