"""Sample quality of pokegen's default presets against textbook baselines at equal wall clock.

For each family: train the baseline (benchmarks/baselines.py) and pokegen's `default` preset
for the same number of minutes, one after the other, then score both with
`pokegen.evaluation.evaluate.compute_metrics` on the same real train/holdout split, sample
count and seeds. Also measures the real-vs-real floor and, with --variants, ablations of one
family's default (the GAN's unless --variant-family says otherwise).

    python benchmarks/quality.py --minutes 8
    python benchmarks/quality.py --minutes 8 --families gan \
        --variants 'noaug={"loss":{"augment":""}}' 'dcgan={"model":{"arch":"dcgan"}}'
    python benchmarks/quality.py --minutes 8 --families '' --variant-family ae \
        --variants 'z256={"model":{"latent_dim":256}}'
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from _bench_common import (
    REPO,
    command_line,
    deep_merge,
    default_data,
    fmt,
    header_lines,
    machine_info,
    markdown_table,
    ratio,
    save_json,
)
from baselines import BASELINES
from pokegen import config as C
from pokegen import sampling, viz
from pokegen.data import load_dataset, split_indices
from pokegen.evaluation.evaluate import compute_metrics
from pokegen.training.memory import keep_freed_memory
from targets import measure_step, target_rows

# Table columns: (header, metric key in compute_metrics' dict or our own record).
COLUMNS = [
    ("SWD mean ↓", "swd_mean"),
    ("precision ↑", "precision"),
    ("recall ↑", "recall"),
    ("diversity →1", "diversity_ratio"),
    ("near-copy ↓", "novelty_near_copy_fraction"),
    ("PSNR ↑", "psnr"),
    ("SSIM ↑", "ssim"),
    ("nELBO bpd ↓", "nelbo_bpd"),
    ("steps", "steps"),
    ("images/s", "images_per_sec"),
]
NAMES = {"gan": "DCGAN (PyTorch example)", "vae": "conv VAE", "ae": "conv AE + Gaussian"}
DOC_GRID = {"gan": "baseline_dcgan.png", "vae": "baseline_vae.png", "ae": "baseline_ae.png"}

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--minutes", type=float, default=8.0, help="training budget per model")
p.add_argument("--families", default="ae,vae,gan", help="comma list; '' for variants only")
p.add_argument("--data", default=default_data(), help="image folder (never copied into the repo)")
p.add_argument("--n", type=int, default=1000, help="samples per model for the metrics")
p.add_argument("--seed", type=int, default=0, help="training and sampling seed for every model")
p.add_argument("--out", default=str(REPO / "benchmarks/results/quality.json"))
p.add_argument("--runs", default=None, help="pokegen run folders (default runs/bench-quality-TIME)")
p.add_argument("--docs", default=str(REPO / "docs"), help="where baseline_{dcgan,vae,ae}.png go")
p.add_argument("--inception-weights", default=None, help="local FID Inception weights (adds FID)")
p.add_argument(
    "--variants",
    nargs="*",
    default=[],
    metavar="NAME=JSON",
    help="ablations: overrides for pokegen.config.preset(VARIANT_FAMILY, 'default', ...)",
)
p.add_argument(
    "--variant-family", choices=C.FAMILIES, default="gan", help="the family --variants change"
)
args = p.parse_args()
vf = args.variant_family

families = [f for f in args.families.split(",") if f]
for f in families:
    if f not in C.FAMILIES:
        p.error(f"unknown family {f!r}; choose from {', '.join(C.FAMILIES)}")
data_cfg = C.DataConfig(path=args.data)  # defaults: 64 px, white background, 10 % holdout
variants: dict[str, dict[str, Any]] = {}
for spec in args.variants:
    name, sep, text = spec.partition("=")
    try:
        variants[name] = json.loads(text) if sep else {}
        data_v = C.validate(C.preset(vf, "default", **variants[name])).data  # fail now
    except (json.JSONDecodeError, ValueError, TypeError) as exc:
        p.error(f"bad variant {spec!r}: {exc}")
    shape, ref = (data_v.image_size, data_v.channels), (data_cfg.image_size, data_cfg.channels)
    if shape != ref:  # the metrics compare every model's samples with these reals
        p.error(f"bad variant {spec!r}: image size and channels must stay {ref}, got {shape}")

stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
runs_root = Path(args.runs or REPO / "runs" / f"bench-quality-{stamp}")
out_json = Path(args.out)
docs = Path(args.docs)
results_dir = out_json.parent
command, machine = command_line(), machine_info()
report: dict[str, Any] = {
    "command": command,
    "machine": machine,
    "args": vars(args),
    "models": {},
    "variants": {},
    "floor": {},
    "step": None,
}

inception = None
if args.inception_weights:
    from pokegen.evaluation.inception import load_inception

    inception, reason = load_inception(args.inception_weights)
    if inception is None:
        p.error(reason or "could not load the Inception weights")
    COLUMNS.insert(1, ("FID ↓", "fid"))
GEN_COLUMNS = [c for c in COLUMNS if c[1] not in ("psnr", "ssim", "nelbo_bpd")]  # for the GANs

# ----------------------------------------------------------------------------- data and split
keep_freed_memory()  # what pokegen's CPU training sets, here for the baselines alike
data = load_dataset(data_cfg)
train_idx, holdout_idx = split_indices(len(data), data_cfg.holdout, data_cfg.split_seed)
real_train, real_holdout = data.images[train_idx], data.images[holdout_idx]  # uint8
x_holdout = real_holdout.float() / 127.5 - 1
print(
    f"data: {len(data)} images ({len(train_idx)} train, {len(holdout_idx)} holdout) "
    f"from {args.data}; runs in {runs_root}",
    flush=True,
)


def evaluate(
    family: str,
    samples: torch.Tensor,
    recon: torch.Tensor | None = None,
    nelbo: torch.Tensor | None = None,
    likelihood: str | None = None,
) -> dict[str, Any]:
    """The project's metrics for one model; every model gets the same split, n and seed."""
    return compute_metrics(
        family,
        real_train,
        real_holdout,
        samples,
        recon=None if recon is None else (x_holdout, recon),
        nelbo_bpd=nelbo,
        seed=args.seed,
        inception=inception,
        likelihood=likelihood,
    )


def save_samples(samples: torch.Tensor, *paths: Path) -> None:
    """An 8×8 grid of the first 64 generated images (never real ones)."""
    for path in paths:
        viz.save_grid(samples[:64], path, nrow=8)


def run_pokegen(family: str, name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Train pokegen's default preset (plus overrides) for the budget and score its last weights."""
    from pokegen.training.engine import train

    base = {
        "data": {"path": args.data},
        "minutes": args.minutes,
        "epochs": 10**6,
        "seed": args.seed,
        "out": str(runs_root / name),
    }
    cfg = C.preset(family, "default", **deep_merge(base, overrides))
    t0 = time.perf_counter()
    run_dir = train(cfg, quiet=True)
    wall = time.perf_counter() - t0
    last = [r for r in viz.read_stats(run_dir / "stats.jsonl") if r.get("kind") == "train"][-1]
    run = sampling.load_run(run_dir, "cpu")
    samples = sampling.generate(run, args.n, args.seed)
    recon = None if family == "gan" else sampling.reconstruct(run, x_holdout)
    nelbo = sampling.negative_elbo_bpd(run, x_holdout, seed=args.seed) if family == "vae" else None
    likelihood = cfg.loss.likelihood if family == "vae" else None
    save_samples(samples, results_dir / f"{name}.png")
    return {
        "model": f"pokegen default{'' if not overrides else ' + ' + json.dumps(overrides)}",
        "run_dir": str(run_dir),
        "steps": last["step"],
        "train_seconds": last["time"],
        "images_per_sec": last["step"] * cfg.batch_size / max(last["time"], 1e-9),
        "wall_seconds_incl_setup": wall,
        **evaluate(family, samples, recon, nelbo, likelihood),
    }


def run_baseline(family: str) -> dict[str, Any]:
    """Train the textbook model on the same training images for the same budget and score it."""
    b = BASELINES[family](real_train, args.minutes, args.seed)
    samples = b.generate(args.n, args.seed)
    recon = None if family == "gan" else b.reconstruct(x_holdout)
    nelbo = b.nelbo_bpd(x_holdout, seed=args.seed)
    likelihood = "gaussian fixed σ²=0.5 (MSE-sum)" if family == "vae" else None
    save_samples(samples, results_dir / f"{family}_baseline_{b.name}.png", docs / DOC_GRID[family])
    return {
        "model": NAMES[family],
        "steps": b.steps,
        "train_seconds": b.seconds,
        "images_per_sec": b.images_per_sec,
        **evaluate(family, samples, recon, nelbo, likelihood),
    }


# ----------------------------------------------------------------------------- train and score
for family in families:
    for kind in ("baseline", "pokegen"):
        print(f"{family} {kind}: training for {args.minutes} min", flush=True)
        if kind == "baseline":
            row = run_baseline(family)
        else:
            row = run_pokegen(family, f"{family}_pokegen", {})
        report["models"].setdefault(family, {})[kind] = row
        print(f"{family} {kind}: {row['steps']} steps, swd_mean {row.get('swd_mean')}", flush=True)
        save_json(report, out_json)

for name, overrides in variants.items():
    print(f"{vf} variant {name}: training for {args.minutes} min", flush=True)
    report["variants"][name] = run_pokegen(vf, f"{vf}_variant_{name}", overrides)
    save_json(report, out_json)

# Real-vs-real floor: two random halves of the whole real set, scored like a model's samples.
perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed))
half_a, half_b = data.images[perm[: len(data) // 2]], data.images[perm[len(data) // 2 :]]
floor = compute_metrics("gan", half_a, None, half_b, seed=args.seed, inception=inception)
report["floor"] = {
    "n_a": len(half_a),
    "n_b": len(half_b),
    **{k: floor.get(k) for k in ("swd_mean", "fid", "precision", "recall", "feature_space")},
}
save_json(report, out_json)

# The default GAN's step against the matmul peak, measured right after its run, so one report
# holds every target of the quality issue.
if "gan" in families:
    report["step"] = measure_step(out_json.with_name(f"{out_json.stem}_throughput.json"))
    save_json(report, out_json)

# ----------------------------------------------------------------------------- tables
rows = []
for family, pair in report["models"].items():
    base, ours = pair["baseline"], pair["pokegen"]
    rows.append([f"{family}: {base['model']}", *(base.get(k) for _, k in COLUMNS)])
    rows.append([f"{family}: pokegen default", *(ours.get(k) for _, k in COLUMNS)])
    rows.append(
        [
            f"{family}: ratio pokegen/baseline",
            *(ratio(ours.get(k), base.get(k)) for _, k in COLUMNS),
        ]
    )
lines = [
    f"## Quality at equal wall clock ({args.minutes} min per model, n = {args.n})",
    "",
    *header_lines(machine, command),
]
if rows:
    lines += [markdown_table(["model", *(h for h, _ in COLUMNS)], rows), ""]
if report["variants"]:
    cols = GEN_COLUMNS if vf == "gan" else COLUMNS
    ref = report["models"].get(vf, {}).get("pokegen")
    vrows = [["default", "{}", *(ref.get(k) for _, k in cols)]] if ref else []
    vrows += [
        [n, json.dumps(variants[n]), *(r.get(k) for _, k in cols)]
        for n, r in report["variants"].items()
    ]
    lines += [
        f"### {vf.upper()} ablations (pokegen default preset + overrides)",
        "",
        markdown_table(["variant", "overrides", *(h for h, _ in cols)], vrows),
        "",
    ]
fl = report["floor"]
checked = target_rows(report["models"], fl, report["step"])
if checked:
    lines += [
        "### Targets of the quality issue, from this run",
        "",
        markdown_table(["target", "measured", "met"], checked),
        "",
    ]
lines += [
    f"Real-vs-real floor (half A {fl['n_a']} vs half B {fl['n_b']} images): "
    f"SWD mean {fmt(fl['swd_mean'])}, precision {fmt(fl['precision'])}, "
    f"recall {fmt(fl['recall'])} (the models are scored against all {len(train_idx)} training "
    f"images with n = {args.n} samples, so the floor is indicative, not exact)",
    "",
    f"Feature space for precision/recall/diversity: {fl['feature_space']}."
    " images/s = training images processed / wall time of the budget (pokegen's includes its"
    " in-loop grids, health checks and checkpoints).",
    "",
    f"JSON: {out_json}; sample grids: {results_dir}/*.png",
]
report["markdown"] = "\n".join(lines)
save_json(report, out_json)
print("\n" + report["markdown"])
