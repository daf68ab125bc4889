"""ddp and runtime: the helpers that need no process group (device,
deterministic mode, each rank's share, the hello's versions)."""

import pytest

torch = pytest.importorskip("torch")

from mirrorbench_torch import ddp, runtime  # noqa: E402
from mirrorbench_torch.protocol import Failure, Group, Unavailable  # noqa: E402

TORCHRUN = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1"}


def group(rank=0, world=1, kind="cpu"):
    if world == 1:
        return Group({"device": {"kind": kind}, "distributed": None}, {})
    env = dict(TORCHRUN, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world))
    return Group({"device": {"kind": kind}, "distributed": {"world_size": world}}, env)


def test_shard_splits_evenly_and_in_order():
    assert ddp.shard(32, group()) == (0, 32)
    assert [ddp.shard(32, group(r, 2)) for r in range(2)] == [(0, 16), (16, 16)]
    assert [ddp.shard(12, group(r, 4)) for r in range(4)] == [(0, 3), (3, 3), (6, 3), (9, 3)]


def test_shard_refuses_an_uneven_split():
    with pytest.raises(Failure, match="global_batch 30 does not split evenly over 4 ranks"):
        ddp.shard(30, group(0, 4))


def test_select_device_cpu():
    job = {"device": {"kind": "cpu", "threads": 1}}
    assert ddp.select_device(job, group()) == torch.device("cpu")
    assert ddp.select_device(job, group(1, 2)) == torch.device("cpu")  # gloo is in Debian's torch


def test_select_device_too_few_gpus():
    have = runtime.gpu_count()
    job = {"device": {"kind": "gpu", "ids": [have, have + 1]}}
    with pytest.raises(Unavailable, match="sees %d CUDA GPU\\(s\\); devices need %d" % (have, have + 2)):
        ddp.select_device(job, group(kind="gpu"))


def test_select_device_local_rank_beyond_ids():
    job = {"device": {"kind": "gpu", "ids": [0]}}
    with pytest.raises(Failure, match="LOCAL_RANK=1 but device.ids has only 1 GPU"):
        ddp.select_device(job, group(1, 2, kind="gpu"))


@pytest.fixture
def restore_torch_settings():
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(det)


def test_configure(restore_torch_settings):
    cpu = torch.device("cpu")
    assert ddp.configure({"device": {"kind": "cpu", "threads": 1}}, cpu) == (
        False, "the job did not ask for deterministic algorithms")
    assert torch.get_num_threads() == 1
    assert ddp.configure({"device": {"kind": "cpu"}, "deterministic": True}, cpu) == (True, "")
    assert torch.are_deterministic_algorithms_enabled()
    det, note = ddp.configure({"device": {"kind": "gpu"}, "deterministic": True,
                               "distributed": {"world_size": 2}}, torch.device("cuda", 0))
    assert not det and "NCCL" in note


def test_a_group_of_one_needs_no_process_group():
    m = torch.nn.Linear(2, 2)
    g = group()
    assert ddp.wrap(m, g, torch.device("cpu")) is m
    assert ddp.sum_over_ranks([1.5, 2.0], g, torch.device("cpu")) == [1.5, 2.0]
    ddp.destroy_process_group()  # none was joined: nothing to do


def test_versions():
    v = runtime.versions()
    assert set(v) == {"python", "torch", "numpy", "blas", "onednn", "cuda", "cudnn", "nccl"}
    assert all(isinstance(x, str) for x in v.values())
    assert v["torch"] == str(torch.__version__) and v["python"]


def test_loaded_blas(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "libopenblasp-r0.3.21.so").write_bytes(b"")
    (lib / "libblas.so.3").symlink_to(lib / "libopenblasp-r0.3.21.so")
    maps = tmp_path / "maps"
    maps.write_text(
        "7f00-7f01 r-xp 00000000 08:01 1 %s/libblas.so.3\n"
        "7f01-7f02 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "7f02-7f03 rw-p 00000000 00:00 0\n"
        "7f03-7f04 r-xp 00000000 08:01 3 %s/libmkl_rt.so.2\n" % (lib, lib))
    # Each library once, by its real name, sorted.
    assert runtime.loaded_blas(str(maps)) == "%s/libmkl_rt.so.2, %s/libopenblasp-r0.3.21.so" % (lib, lib)
    assert runtime.loaded_blas(str(tmp_path / "none")) == ""
