"""The main job: train AE, VAE and GAN in turn, then sample, evaluate and compare them."""

from __future__ import annotations

import time
from pathlib import Path

from pokegen import config as C
from pokegen import interpolation, sampling


def finish_run(
    run_dir: str | Path,
    n_samples: int = 64,
    data: str | None = None,
    device: str = "cpu",
    evaluate_n: int = 1000,
    seed: int = 0,
    checkpoint: str = "last",
) -> dict:
    """Everything a trained run shows a person: samples, reconstructions, a latent walk, metrics."""
    from pokegen.evaluation.evaluate import evaluate_run

    kw = {"data": data, "device": device, "checkpoint": checkpoint}
    run = sampling.load_run(run_dir, device, checkpoint)
    sampling.sample(run_dir, n=n_samples, seed=seed, device=device, checkpoint=checkpoint)
    if sampling.can_reconstruct(run):
        sampling.write_reconstructions(run_dir, **kw)
    interpolation.interpolate(run_dir, seed=seed, **kw)
    return evaluate_run(run_dir, n=evaluate_n, seed=seed, **kw)


def run_all(
    data: str | None = None,
    out: str | Path = "output",
    preset: str = "default",
    families: tuple[str, ...] = C.FAMILIES,
    device: str = "auto",
    seed: int = 0,
    evaluate_n: int | None = None,
    quiet: bool = False,
    **overrides,
) -> Path:
    """Train each family with its preset into OUT/<family>/ and write OUT/report.html."""
    from pokegen.evaluation.report import write_report
    from pokegen.training.engine import train

    out = Path(out)
    n_eval = evaluate_n or (256 if preset == "quick" else 1000)
    runs = []
    for i, family in enumerate(families, 1):
        run_dir = out / family
        cfg = C.preset(
            family,
            preset,
            data={"path": data},
            out=str(run_dir),
            device=device,
            seed=seed,
            **overrides,
        )
        resume = (run_dir / "checkpoints" / "last.json").exists()
        print(
            f"[{i}/{len(families)}] {family}: training ({preset} preset, {cfg.epochs} epochs"
            f"{'' if cfg.minutes is None else f' or {cfg.minutes} min'}) → {run_dir}",
            flush=True,
        )
        t0 = time.time()
        train(cfg, resume=resume, quiet=quiet)
        print(
            f"[{i}/{len(families)}] {family}: trained in {(time.time() - t0) / 60:.1f} min; "
            "sampling and evaluating",
            flush=True,
        )
        finish_run(run_dir, data=data, device=device, evaluate_n=n_eval, seed=seed)
        runs.append(run_dir)
    report = write_report(runs, out / "report.html")
    print(f"done: {', '.join(str(r) for r in runs)}; report: {report}", flush=True)
    return report
