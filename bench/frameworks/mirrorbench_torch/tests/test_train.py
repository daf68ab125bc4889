"""train and cli together: a whole job on tiny synthetic files, in this
process, through the entry, as the harness would see it."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mirrorbench_torch import cli, data, model, numerics, protocol  # noqa: E402

from .conftest import events, make_job  # noqa: E402


@pytest.fixture
def isolated(monkeypatch):
    """The job's settings of this process (thread variables, torch's threads
    and deterministic mode) put back afterwards."""
    for var in protocol.THREAD_VARS + ("CUBLAS_WORKSPACE_CONFIG",):
        monkeypatch.delenv(var, raising=False)
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(det)


def test_a_job_end_to_end(tmp_path, mnist, capsys, isolated):
    job, path = make_job(tmp_path, mnist, epochs=2, steps=2, batch=4, train_images=8)
    assert cli.main(["--job", path]) == 0
    got = capsys.readouterr()
    evs = events(got.out)
    assert [e["event"] for e in evs] == ["hello", "ready"] + ["step"] * 2 + ["epoch"] + ["step"] * 2 + [
        "epoch", "weights", "done"]
    hello = evs[0]
    assert hello["protocol"] == 2 and hello["framework"] == "pytorch" and hello["deterministic"] is True
    steps = [e for e in evs if e["event"] == "step"]
    assert [(e["epoch"], e["step"], e["samples"]) for e in steps] == [(1, 1, 4), (1, 2, 4), (2, 1, 4), (2, 2, 4)]
    assert all(e["seconds"] > 0 and 0 <= e["correct"] <= 4 and e["loss_sum"] > 0 for e in steps)
    ep = [e for e in evs if e["event"] == "epoch"]
    assert ep[0]["train_loss"] == pytest.approx((steps[0]["loss_sum"] + steps[1]["loss_sum"]) / 8, rel=1e-15)
    assert ep[0]["train_accuracy"] == (steps[0]["correct"] + steps[1]["correct"]) / 8
    assert all(e["test_loss"] > 0 and 0 <= e["test_accuracy"] <= 1 and e["eval_seconds"] > 0 for e in ep)
    assert evs[-2] == {"event": "weights", "path": job["final_weights"]}
    assert evs[-1]["seconds"] >= evs[1]["setup_seconds"] > 0
    final = data.read_safetensors(job["final_weights"])
    init = data.read_safetensors(job["init_weights"])
    assert all(final[k].tobytes() != init[k].tobytes() for k in final)
    assert "rank 0/1 on cpu" in got.err


def test_first_step_is_the_documented_step(tmp_path, mnist, capsys, isolated):
    """One step of the adapter is the loss of the first batch from the initial
    weights, and one Adam update with the gradient of its mean: the same step
    rebuilt from the modules gives the same weights, bit for bit."""
    job, path = make_job(tmp_path, mnist, epochs=1, steps=1, batch=4, train_images=8)
    assert cli.main(["--job", path]) == 0
    step = [e for e in events(capsys.readouterr().out) if e["event"] == "step"][0]

    tx, ty, _, _ = data.load_mnist(job, with_test=False)
    idx = data.read_order(job)[:4]
    m = model.build_model()
    model.load_keras_weights(m, data.read_safetensors(job["init_weights"]))
    x = torch.from_numpy(tx[idx])
    oh = torch.nn.functional.one_hot(torch.from_numpy(ty[idx]), 10).float()
    m.to(memory_format=torch.channels_last)
    losses, _ = numerics.KerasLoss().per_sample(m(x.contiguous(memory_format=torch.channels_last)), oh)
    assert step["loss_sum"] == losses.double().sum().item()
    losses.mean().backward()
    numerics.KerasAdam(m.parameters(), job["optimizer"]).step()
    final = data.read_safetensors(job["final_weights"])
    for name, want in model.keras_weights(m).items():
        assert final[name].tobytes() == want.tobytes(), name


def test_a_bad_weights_file_is_an_error(tmp_path, mnist, capsys, isolated):
    job, path = make_job(tmp_path, mnist)
    open(job["init_weights"], "wb").close()
    assert cli.main(["--job", path]) == 1
    evs = events(capsys.readouterr().out)
    assert [e["event"] for e in evs] == ["hello", "error"]
    assert "truncated (0 bytes)" in evs[-1]["message"]


def test_a_bad_checksum_is_an_error(tmp_path, mnist, capsys, isolated):
    job, path = make_job(tmp_path, mnist)
    mnist.files[0]["sha256"] = "ab" * 32
    make_job(tmp_path, mnist)  # rewrites the job with the wrong hash
    assert cli.main(["--job", path]) == 1
    assert "has SHA-256" in events(capsys.readouterr().out)[-1]["message"]
    assert np.fromfile(job["order"], dtype="<i4").size == 8
