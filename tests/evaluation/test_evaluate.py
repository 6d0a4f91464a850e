"""compute_metrics (pure) and evaluate_run (I/O) on tiny synthetic data."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from pokegen.config import TrainConfig, preset
from pokegen.evaluation.evaluate import compute_metrics, evaluate_run, format_table
from pokegen.evaluation.registry import GENERATION_METRICS, direction, evaluate_images


@pytest.fixture(scope="module")
def small(real, holdout):
    return real[:80], holdout[:40], holdout[40:120]


def test_compute_metrics_deterministic_and_complete(small):
    train, hold, samples = small
    recon = (hold.float() / 127.5 - 1) * 0.9
    kwargs = dict(recon=recon, nelbo_bpd=torch.full((40,), 2.5), seed=7, likelihood="laplace")
    kwargs["ms_ssim_pairs"] = 50
    a = compute_metrics("vae", train, hold, samples, **kwargs)
    b = compute_metrics("vae", train, hold, samples, **kwargs)
    assert a == b
    for key in (
        "swd_mean",
        "precision",
        "recall",
        "diversity_ratio",
        "ms_ssim_samples",
        "novelty_near_copy_fraction",
        "novelty_near_copy_fraction_holdout",
        "mse",
        "psnr",
        "ssim",
        "nelbo_bpd",
        "fid_unavailable",
    ):
        assert key in a, key
    assert a["nelbo_bpd"] == 2.5 and a["likelihood"] == "laplace" and a["family"] == "vae"
    assert 0 < a["mse"] < 0.05 and a["psnr"] > 15 and 0 < a["ssim"] < 1
    json.dumps(a)  # JSON-ready
    other = compute_metrics("vae", train, hold, samples, seed=8, ms_ssim_pairs=50)
    assert other["swd_mean"] != a["swd_mean"]


def test_perfect_reconstruction_and_pair_form(small):
    train, hold, samples = small
    out = compute_metrics("ae", train, hold, samples, recon=(hold, hold.clone()), ms_ssim_pairs=50)
    assert out["mse"] == 0.0 and out["ssim"] > 0.999 and math.isinf(out["psnr"])
    assert "nelbo_bpd" not in out


def test_registry_selection_and_directions(small):
    train, _, samples = small
    assert set(GENERATION_METRICS) == {"swd", "prdc", "diversity", "fid_kid"}
    only = evaluate_images(train, samples, metrics=["swd"])
    assert set(only) == {"swd_32", "swd_16", "swd_mean"}
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate_images(train, samples, metrics=["is"])
    assert direction("swd_64") == "lower" and direction("recall") == "higher"
    assert direction("diversity_ratio") == "one" and direction("feature_space") is None


def test_format_table():
    text = format_table({"swd_mean": 12.3456, "recall": 0.5, "fid": None, "feature_space": "x"})
    lines = text.splitlines()
    assert lines[0].startswith("swd_mean ↓") and lines[0].endswith("12.35")
    assert lines[1].startswith("recall ↑") and lines[2].endswith("n/a")


class _TinyAE(nn.Module):
    """Stand-in for a trained AE: 'decodes' a latent to a flat-colour image."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(z[:, :3, None, None].expand(-1, -1, 32, 32))


def test_evaluate_run_writes_files_and_repeats(tmp_path, monkeypatch, real, holdout):
    import pokegen.sampling as sampling

    images = torch.cat([real[:60], holdout[:20]])
    ds = SimpleNamespace(images=images, labels=torch.zeros(80, 0))
    cfg = preset("ae", "quick", data={"image_size": 32})
    assert isinstance(cfg, TrainConfig)
    run = SimpleNamespace(
        cfg=cfg,
        family="ae",
        models=nn.ModuleDict(),
        device=torch.device("cpu"),
        load_data=lambda path=None: ds,
        split=lambda data=None: (torch.arange(60), torch.arange(60, 80)),
    )

    def generate(run, n, seed=0, labels=None, temperature=1.0):
        z = torch.randn(n, 8, generator=torch.Generator().manual_seed(seed)) * temperature
        return _TinyAE()(z)

    monkeypatch.setattr(sampling, "load_run", lambda run_dir, device, checkpoint, refine_steps: run)
    monkeypatch.setattr(sampling, "generate", generate)
    monkeypatch.setattr(sampling, "reconstruct", lambda run, x, labels=None: x * 0.5)
    from pokegen.evaluation import inception

    monkeypatch.setattr(inception, "_download_state", lambda timeout=20.0: 1 / 0)
    first = evaluate_run(tmp_path, n=40, device="cpu", seed=3)
    assert (tmp_path / "novelty.png").is_file()
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved == first and first["family"] == "ae" and first["fid"] is None
    assert "mse" in first and "nelbo_bpd" not in first
    assert first["n_samples"] == 40 and first["n_train"] == 60 and first["n_holdout"] == 20
    assert evaluate_run(tmp_path, n=40, device="cpu", seed=3) == first
    cool = evaluate_run(tmp_path, n=40, device="cpu", seed=3, temperature=0.25)
    assert (first["temperature"], cool["temperature"], first["refine_steps"]) == (1.0, 0.25, 0)
    assert cool["swd_mean"] != first["swd_mean"]  # the samples did change
