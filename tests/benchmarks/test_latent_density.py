"""benchmarks/latent_density.py: its samplers, and the whole script on a tiny trained AE."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from pokegen import config as C
from pokegen.training import engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from latent_density import kde_draws, neighbour_midpoints

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _codes() -> torch.Tensor:
    return torch.randn(40, 6, generator=torch.Generator().manual_seed(0))


def test_kde_at_zero_bandwidth_returns_training_codes():
    codes = _codes()
    z = kde_draws(codes, 25, 0.0, torch.Generator().manual_seed(1))
    assert z.shape == (25, 6)
    assert (z[:, None] == codes[None]).all(-1).any(1).all()  # every draw is a training code


def test_midpoints_lie_between_a_code_and_one_of_its_nearest_neighbours():
    codes, k = _codes(), 3
    z = neighbour_midpoints(codes, 50, k, torch.Generator().manual_seed(2), spread=0.0)
    dist = torch.cdist(codes, codes).fill_diagonal_(float("inf"))
    near = dist.topk(k, largest=False).indices  # [N, k]
    mids = (codes[:, None] + codes[near]) / 2  # [N, k, L]: every allowed midpoint
    gap = (z[:, None] - mids.reshape(1, -1, 6)).abs().amax(-1).min(1).values  # [50]
    assert gap.max() < 1e-6
    # a far pair's midpoint is not allowed
    far = dist.masked_fill(dist.isinf(), 0).argmax(1)
    assert ((codes + codes[far]) / 2 - z[:, None]).abs().amax(-1).min() > 1e-3


def test_script_scores_every_sampler_of_a_trained_ae(kaggle_dir, tmp_path):
    cfg = C.preset(
        "ae",
        "quick",
        data={"path": str(kaggle_dir), "image_size": 16, "holdout": 0.25},
        model={"latent_dim": 8, "width": 8, "max_width": 16},
        out=str(tmp_path / "ae"),
        epochs=2,
        minutes=None,
        batch_size=6,
        device="cpu",
    )
    run = engine.train(cfg, quiet=True)
    out, grids = tmp_path / "rows.json", tmp_path / "grids"
    cmd = [sys.executable, str(BENCH / "latent_density.py"), str(run), "--n", "24"]
    cmd += ["--gmm", "2", "--kde", "0.5", "--midpoints", "3", "--out", str(out)]
    done = subprocess.run([*cmd, "--grids", str(grids)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert list(rows) == [
        "the run's prior",
        "GMM, 2 components",
        "kernel density, h 0.5",
        "midpoints of 3 nearest neighbours",
        "decoded training codes",
        "real holdout images",
    ]
    for row in rows.values():
        assert all(isinstance(v, int | float) for v in row.values()), row
    assert (
        rows["real holdout images"]["n_samples"] == 6 and rows["the run's prior"]["n_samples"] == 24
    )
    assert len(list(grids.glob("*.png"))) == 6
    assert "| the run's prior |" in done.stdout


def test_script_refuses_a_folder_that_is_not_a_run(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCH / "latent_density.py"), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path} is not a run folder (no config.json)"
    ]
