"""Evaluate a trained run: generation, reconstruction, likelihood and novelty metrics.

`compute_metrics` is the pure part (tensors in, dict out, deterministic per seed);
`evaluate_run` loads a run folder, produces samples/reconstructions, calls it and writes
RUN/metrics.json and RUN/novelty.png. Generation metrics compare n samples with all real
*training* images; reconstruction and likelihood use the holdout images.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch
from torch import nn

from pokegen.evaluation.images import to_unit_float
from pokegen.evaluation.novelty import NoveltyResult, novelty, save_novelty_sheet
from pokegen.evaluation.registry import NO_INCEPTION, direction, evaluate_images


def reconstruction_metrics(originals: torch.Tensor, recon: torch.Tensor) -> dict[str, float]:
    """MSE, mean per-image PSNR (dB) and SSIM on [0, 1] RGB, as a viewer would see them."""
    from torchmetrics.functional.image import (
        peak_signal_noise_ratio,
        structural_similarity_index_measure,
    )

    x, x_hat = to_unit_float(originals), to_unit_float(recon)  # [B, 3, S, S] in [0, 1]
    if x.shape != x_hat.shape:
        raise ValueError(f"reconstructions {tuple(x_hat.shape)} do not match {tuple(x.shape)}")
    return {
        "mse": float(((x_hat - x) ** 2).mean()),
        "psnr": float(peak_signal_noise_ratio(x_hat, x, data_range=1.0, dim=(1, 2, 3))),
        "ssim": float(structural_similarity_index_measure(x_hat, x, data_range=1.0)),
    }


def _metrics_and_novelty(
    family: str,
    real_train: torch.Tensor,
    real_holdout: torch.Tensor | None,
    samples: torch.Tensor,
    recon: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None,
    nelbo_bpd: torch.Tensor | float | None,
    seed: int,
    inception: nn.Module | None,
    inception_unavailable: str,
    likelihood: str | None,
    device: str | torch.device,
    ms_ssim_pairs: int = 500,
) -> tuple[dict, NoveltyResult]:
    metrics: dict = {"family": family, "seed": seed, "n_samples": int(samples.shape[0])}
    metrics["n_train"] = int(real_train.shape[0])
    metrics["n_holdout"] = 0 if real_holdout is None else int(real_holdout.shape[0])
    metrics.update(
        evaluate_images(
            real_train,
            samples,
            seed,
            inception,
            inception_unavailable=inception_unavailable,
            ms_ssim_pairs=ms_ssim_pairs,
            device=device,
        )
    )
    result = novelty(samples, real_train)
    metrics.update(result.summary())
    if real_holdout is not None and real_holdout.shape[0] > 0:
        # the false-alarm baseline: real images the model never saw, judged the same way
        baseline = novelty(real_holdout, real_train)
        metrics["novelty_near_copy_fraction_holdout"] = baseline.near_copy_fraction
    if recon is not None:
        originals, x_hat = recon if isinstance(recon, tuple) else (real_holdout, recon)
        if originals is None:
            raise ValueError("reconstructions need the holdout images they reconstruct")
        metrics.update(reconstruction_metrics(originals, x_hat))
    if nelbo_bpd is not None:
        value = nelbo_bpd.double().mean() if isinstance(nelbo_bpd, torch.Tensor) else nelbo_bpd
        metrics["nelbo_bpd"] = float(value)
        if likelihood is not None:
            metrics["likelihood"] = likelihood
    return metrics, result


def compute_metrics(
    family: str,
    real_train: torch.Tensor,
    real_holdout: torch.Tensor | None,
    samples: torch.Tensor,
    recon: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None,
    nelbo_bpd: torch.Tensor | float | None = None,
    seed: int = 0,
    inception: nn.Module | None = None,
    *,
    inception_unavailable: str = NO_INCEPTION,
    likelihood: str | None = None,
    device: str | torch.device = "cpu",
    ms_ssim_pairs: int = 500,
) -> dict:
    """Every metric of one model as a JSON-ready dict; identical inputs and seed → identical dict.

    Images: uint8 or float [-1, 1], [N, C, S, S]. `recon`: reconstructions of `real_holdout`
    (same order), or an (originals, reconstructions) pair. `nelbo_bpd`: per-image [B] or mean.
    """
    args = (family, real_train, real_holdout, samples, recon, nelbo_bpd, seed, inception)
    return _metrics_and_novelty(*args, inception_unavailable, likelihood, device, ms_ssim_pairs)[0]


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@torch.no_grad()
def _batched(fn, x: torch.Tensor, labels: torch.Tensor | None, batch: int = 64) -> torch.Tensor:
    """Apply fn(x, labels) over batches without autograd and concatenate on the CPU."""
    outs = []
    for i in range(0, x.shape[0], batch):
        y = None if labels is None else labels[i : i + batch]
        outs.append(fn(x[i : i + batch], y).detach().cpu())
    return torch.cat(outs)


def _json_ready(value):
    """Non-finite floats become null (in nested sections too) so metrics.json stays strict JSON."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def evaluate_run(
    run_dir: str | Path,
    n: int = 1000,
    data: str | None = None,
    inception_weights: str | None = None,
    device: str = "auto",
    seed: int = 0,
    per_type: int | None = None,
    checkpoint: str = "last",
    temperature: float = 1.0,
    refine_steps: int | None = None,
) -> dict:
    """Compute a run's metrics, write RUN/metrics.json and RUN/novelty.png; print nothing.

    Conditional runs also get a "conditional" section (type classifier accuracy and per-type
    SWD of `per_type` samples per type, default max(16, n / K)) and RUN/types.png.
    """
    from pokegen.evaluation.inception import load_inception
    from pokegen.sampling import (
        can_reconstruct,
        generate,
        load_run,
        negative_elbo_bpd,
        reconstruct,
    )

    run_dir = Path(run_dir)
    dev = _resolve_device(device)
    run = load_run(run_dir, device=str(dev), checkpoint=checkpoint, refine_steps=refine_steps)
    ds = run.load_data(data)
    train_idx, holdout_idx = run.split(ds)
    real_train, real_holdout = ds.images[train_idx], ds.images[holdout_idx]
    conditional = bool(run.cfg.model.conditional)
    labels = None
    if conditional:  # condition samples on the training label distribution
        pick = torch.randint(0, len(train_idx), (n,), generator=torch.Generator().manual_seed(seed))
        labels = ds.labels[train_idx][pick]
    samples = generate(run, n, seed, labels, temperature)
    x_holdout = real_holdout.float() / 127.5 - 1.0
    y_holdout = ds.labels[holdout_idx] if conditional else None
    recon = nelbo = None
    if can_reconstruct(run) and len(holdout_idx) > 0:
        recon = _batched(lambda x, y: reconstruct(run, x, y), x_holdout, y_holdout)
    if run.family == "vae" and len(holdout_idx) > 0:
        nelbo = _batched(lambda x, y: negative_elbo_bpd(run, x, y, seed=seed), x_holdout, y_holdout)
    inception, reason = load_inception(inception_weights, device=dev)
    metrics, result = _metrics_and_novelty(
        run.family,
        real_train,
        real_holdout,
        samples,
        recon,
        nelbo,
        seed,
        inception,
        reason or NO_INCEPTION,
        run.cfg.loss.likelihood if run.family == "vae" else None,
        dev,
    )
    metrics = {
        "run": run_dir.name,
        "checkpoint": checkpoint,
        "temperature": temperature,
        "refine_steps": run.cfg.model.refine_steps,
        **_json_ready(metrics),
    }
    if conditional:
        from pokegen.evaluation.conditional import evaluate_conditional

        count = per_type or max(16, n // max(1, len(run.label_names)))
        section = evaluate_conditional(run, ds, train_idx, holdout_idx, count, seed, temperature)
        metrics["conditional"] = _json_ready(section)
    save_novelty_sheet(result, samples, real_train, run_dir / "novelty.png")
    tmp = run_dir / ".metrics.json.tmp"
    tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    os.replace(tmp, run_dir / "metrics.json")
    return metrics


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "n/a" if value is None else str(value)


def format_table(metrics: dict) -> str:
    """A two-column text table of a metrics dict, with ↓/↑/→1 marking which way is better."""
    arrows = {"lower": "↓", "higher": "↑", "one": "→1"}
    rows = []
    for key, value in metrics.items():
        if key == "conditional" and isinstance(value, dict):
            from pokegen.evaluation.conditional import summary_rows

            rows += [(label, _cell(v)) for label, v in summary_rows(value)]
            continue
        rows.append((f"{key} {arrows.get(direction(key) or '', '')}".rstrip(), _cell(value)))
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
