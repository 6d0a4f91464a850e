"""Two CPU processes over gloo: the torchrun command of docs/SCALING.md, replicas kept in sync,
DDP equal to one process with the global batch, rank 0 alone writing, checkpoints portable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as tdist
import torch.multiprocessing as mp

from pokegen import config as C
from pokegen.models import build_models
from pokegen.sampling import generate, load_run
from pokegen.training import distributed, engine
from pokegen.training.checkpoint import load_checkpoint
from pokegen.training.steps import FAMILY_SPECS, StepContext

pytestmark = pytest.mark.slow

TIMEOUT = 120  # seconds; a hung collective fails the test instead of the CI job
# "--minutes 0": bounded by epochs, so a cosine schedule follows steps, not each process's clock
TINY = ["--device", "cpu", "--preset", "quick", "--image-size", "16", "--width", "8",
        "--latent-dim", "8", "--batch-size", "4", "--minutes", "0", "--quiet"]  # fmt: skip


def torchrun(*args: str) -> subprocess.CompletedProcess:
    """`torchrun --standalone --nproc_per_node 2 -m pokegen ARGS`: the docs/SCALING.md command."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "pokegen", *args]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # torchrun and the workers it started
        out, err = proc.communicate()
        pytest.fail(f"torchrun hung for {TIMEOUT} s:\n{err[-3000:]}")
    assert proc.returncode == 0, err[-3000:]
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def tiny(family: str, data_dir: Path, out: Path, **kw) -> C.TrainConfig:
    base = {
        "data": {"path": str(data_dir), "image_size": 16},
        "model": {"latent_dim": 8, "width": 8, "max_width": 16},
        "out": str(out), "epochs": 2, "minutes": None, "batch_size": 4, "device": "cpu",
        "sample_every": 100, "eval_every": 100, "checkpoint_every": 100,
    }  # fmt: skip
    return C.preset(family, "quick", **C._deep_update(base, kw))


def _rank_worker(rank: int, world: int, store: str, jobs: list[tuple[C.TrainConfig, str]]) -> None:
    """One spawned rank: train each job, then dump the parameters of what DDP wrapped here."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    wrapped: dict[str, torch.nn.Module] = {}
    real_wrap = distributed.wrap

    def recording_wrap(module, info, device):
        wrapped[type(module).__name__] = module
        return real_wrap(module, info, device)

    distributed.wrap = recording_wrap  # this throwaway child process only
    for cfg, dump in jobs:
        wrapped.clear()
        engine.train(cfg, quiet=True)
        params = {
            f"{n}/{k}": p.detach().clone()
            for n, m in wrapped.items()
            for k, p in m.named_parameters()
        }
        torch.save(params, f"{dump}.rank{rank}.pt")
    tdist.destroy_process_group()


def spawn(tmp: Path, jobs: list[tuple[C.TrainConfig, str]], world: int = 2) -> None:
    """Run `_rank_worker` on `world` processes, failing instead of hanging."""
    ctx = mp.start_processes(_rank_worker, args=(world, str(tmp / "store"), jobs), nprocs=world,
                             join=False, start_method="spawn")  # fmt: skip
    deadline = time.time() + TIMEOUT
    while not ctx.join(timeout=1):
        if time.time() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail(f"spawned ranks hung for {TIMEOUT} s")


def log_count(run: Path, text: str) -> int:
    """How many lines of the run's log.txt contain `text`."""
    return sum(text in line for line in (run / "log.txt").read_text().splitlines())


IN_SYNC = "ranks in sync: 2 processes, max |Δweight| = 0"


@pytest.fixture(scope="module")
def ae_run(kaggle_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A 2-epoch AE trained by the documented torchrun command on two gloo processes."""
    out = tmp_path_factory.mktemp("ddp") / "ae"
    proc = torchrun(
        "train", "ae", "--data", str(kaggle_dir), "--out", str(out), "--epochs", "2", *TINY
    )
    return out, proc


@pytest.fixture(scope="module")
def spawned(kaggle_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One spawned 2-rank job: an AE without flips, then a FastGAN with R1 and a time budget."""
    tmp = tmp_path_factory.mktemp("spawned")
    ae = tiny("ae", kaggle_dir, tmp / "ae", data={"flip": False, "holdout": 0.0})
    gan = tiny("gan", kaggle_dir, tmp / "gan", epochs=1000, minutes=0.005,
               loss={"r1_gamma": 1.0, "r1_every": 2})  # fmt: skip
    with pytest.MonkeyPatch.context() as mpatch:
        mpatch.setenv("OMP_NUM_THREADS", "1")
        spawn(tmp, [(ae, str(tmp / "ae")), (gan, str(tmp / "gan"))])
    return tmp, ae


def test_torchrun_keeps_ranks_in_sync_and_only_rank0_writes(ae_run):
    out, proc = ae_run
    assert log_count(out, "2 processes (gloo, cpu), batch 4 per process = global batch 8") == 1
    assert log_count(out, "ranks in sync") == log_count(out, IN_SYNC) == 1
    assert log_count(out, "finished at epoch 2, step 4") == 1  # 22 images: 11 per rank, 2 steps
    assert proc.stderr.count("loaded 24 images") == 1  # rank 0 loads first and alone reports
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {
        "config.json", "log.txt", "stats.jsonl", "loss.png", "health.png", "reals.png",
        "progress/epoch00002.png", "checkpoints/last.json", "checkpoints/last.safetensors",
        "checkpoints/best.json", "checkpoints/best.safetensors",
    }  # fmt: skip
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["epoch"]) for r in rows] == [("train", 1), ("train", 2), ("eval", 2)]
    assert json.loads((out / "config.json").read_text())["world_size"] == 2


def test_ddp_checkpoint_loads_in_one_process(ae_run):
    out, _ = ae_run
    tensors, doc = load_checkpoint(out / "checkpoints" / "last.json")
    assert doc["state"]["world_size"] == 2
    assert not [k for k in tensors if "module." in k]
    assert {"extra/rng.rank0", "extra/rng.rank1"} <= set(tensors)
    for checkpoint in ("last", "best"):
        images = generate(load_run(out, checkpoint=checkpoint), 4, seed=0)
        assert images.shape == (4, 3, 16, 16) and bool(torch.isfinite(images).all())


def test_resume_a_two_process_run_in_one_process(ae_run, tmp_path):
    out = shutil.copytree(ae_run[0], tmp_path / "ae")
    engine.train(
        C.preset("ae", "quick", out=str(out), epochs=3, device="cpu"), resume=True, quiet=True
    )
    _, doc = load_checkpoint(out / "checkpoints" / "last.json")
    assert (doc["state"]["epoch"], doc["state"]["step"]) == (3, 4 + 22 // 4)  # per-process batch 4
    assert doc["state"]["world_size"] == 1
    assert log_count(out, "resumed") == log_count(out, "finished at epoch 3, step 9") == 1


def test_ddp_equals_one_process_with_the_global_batch(spawned, tmp_path):
    tmp, cfg = spawned
    rank0, rank1 = (torch.load(tmp / f"ae.rank{r}.pt") for r in (0, 1))
    assert rank0.keys() == rank1.keys() and rank0
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    assert log_count(tmp / "ae", IN_SYNC) == 1

    single = engine.train(C.merge(cfg, {"out": str(tmp_path / "one"), "batch_size": 8}), quiet=True)
    tensors, doc = load_checkpoint(single / "checkpoints" / "last.json")
    assert doc["state"]["step"] == 6  # 24 images, batch 8: the same 3 steps per epoch
    for key, value in rank0.items():
        expected = tensors[f"model.ae/{key.split('/', 1)[1]}"]
        assert torch.allclose(value, expected, rtol=1e-4, atol=1e-5), key  # lr 1e-3 per step


def test_gan_trains_on_two_processes_and_stops_together(spawned):
    tmp, _ = spawned
    rank0, rank1 = (torch.load(tmp / f"gan.rank{r}.pt") for r in (0, 1))
    assert {k.split("/")[0] for k in rank0} == {"Generator", "Discriminator"}
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    run = tmp / "gan"
    assert log_count(run, IN_SYNC) == log_count(run, "stopped: time budget reached") == 1
    _, doc = load_checkpoint(run / "checkpoints" / "last.json")
    assert doc["state"]["step"] >= 1


@pytest.mark.parametrize(
    ("family", "arch"),
    [("ae", "resnet"), ("ae", "conv"), ("vae", "resnet"), ("gan", "fastgan"), ("gan", "dcgan")],
)
def test_channels_last_steps_match_the_default_layout(family, arch):
    """NHWC models and batches (CUDA; the GAN on CPU too) give the NCHW step's losses."""
    losses = []
    for layout in (torch.contiguous_format, torch.channels_last):
        cfg = C.preset(family, "quick", data={"image_size": 16},
                       model={"arch": arch, "width": 8, "latent_dim": 8})  # fmt: skip
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            models = build_models(cfg.model, 16, 3).to(memory_format=layout)
        spec = FAMILY_SPECS[family]
        opts = {k: torch.optim.Adam(models[k].parameters()) for k in spec.optimized}
        nets = {k: models[k] for k in spec.optimized}
        ctx = StepContext(cfg, nets, dict(models.items()), opts, torch.Generator().manual_seed(0),
                          torch.device("cpu"))  # fmt: skip
        x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
        stats = spec.step(ctx, x.contiguous(memory_format=layout), torch.zeros(4, 0))
        losses.append(torch.stack([v for k, v in sorted(stats.items()) if k.startswith("loss")]))
    assert torch.allclose(losses[0], losses[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fast_bf16", [True, False])
def test_amp_on_cpu_is_bf16_only_where_onednn_has_bf16_kernels(fast_bf16, monkeypatch):
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: fast_bf16)
    cpu = torch.device("cpu")
    assert distributed.amp_dtype(True, cpu) == (torch.bfloat16 if fast_bf16 else None)
    assert distributed.amp_dtype(False, cpu) is None
