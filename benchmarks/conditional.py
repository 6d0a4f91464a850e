"""Generate by type on the real data: does a model conditioned on "Fire" produce Fire types?

For each family: train pokegen's `default` preset with `conditional` on for M minutes, then
`evaluate_run` it (which adds the "conditional" section: a type classifier trained on the
run's real training images scores n samples per single type; per-type SWD against the real
images of that type). Prints a markdown table and copies RUN/types.png (one row per type)
to docs/conditional_types_<family>.png. Label imbalance is handled by class-balanced
sampling in training (TrainConfig.balance_labels), reported in the output.

    python benchmarks/conditional.py --minutes 10
    python benchmarks/conditional.py --minutes 0.2 --families gan --docs /tmp/docs   # smoke
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from _bench_common import (
    REPO,
    command_line,
    default_data,
    header_lines,
    machine_info,
    markdown_table,
    save_json,
)
from pokegen import config as C
from pokegen import viz
from pokegen.evaluation.conditional import IMBALANCE
from pokegen.evaluation.evaluate import evaluate_run

SUMMARY = [  # (header, where in the conditional section)
    ("classifier holdout top-1 ↑", ("classifier", "holdout_top1")),
    ("classifier holdout top-3 ↑", ("classifier", "holdout_top3")),
    ("classifier Type1 top-1 ↑", ("classifier", "holdout_type1_top1")),
    ("samples: type accuracy ↑", ("sample_accuracy_mean",)),
    ("real holdout: type accuracy", ("real_holdout_accuracy_mean",)),
    ("chance 1/K", ("chance",)),
    ("per-type SWD ↓", ("swd_per_type_mean",)),
    ("per-type SWD, mixed-type samples", ("swd_mixed_per_type_mean",)),
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="training budget per model")
    p.add_argument("--families", default="vae,gan", help="comma list of vae, gan")
    p.add_argument("--data", default=default_data(), help="dataset (never copied into the repo)")
    p.add_argument("--n", type=int, default=1000, help="samples for the unconditional metrics")
    p.add_argument("--per-type", type=int, default=64, help="samples per type")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="training device (evaluation runs on CPU)")
    p.add_argument("--out", default=str(REPO / "benchmarks/results/conditional.json"))
    p.add_argument("--runs", default=None, help="run folders (default runs/bench-conditional-TIME)")
    p.add_argument("--docs", default=str(REPO / "docs"), help="where the per-type grids go")
    args = p.parse_args()
    args.families = [f for f in args.families.split(",") if f]
    if not args.families:
        p.error("--families is empty")
    for f in args.families:
        if f not in ("vae", "gan"):
            p.error(f"conditional training is for vae and gan, not {f!r}")
    return args


def get(section: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        section = section.get(key) if isinstance(section, dict) else None
    return section


def train_and_evaluate(
    args: argparse.Namespace, family: str, run_dir: Path, classifier_from: Path | None
) -> dict[str, Any]:
    """Train the conditional default preset for the budget, evaluate it, keep its per-type grid."""
    from pokegen.training.engine import train

    cfg = C.preset(
        family,
        "default",
        data={"path": args.data},
        model={"conditional": True},
        minutes=args.minutes,
        epochs=10**6,
        seed=args.seed,
        out=str(run_dir),
        device=args.device,
    )
    t0 = time.perf_counter()
    train(cfg, quiet=True)
    wall = time.perf_counter() - t0
    last = [r for r in viz.read_stats(run_dir / "stats.jsonl") if r.get("kind") == "train"][-1]
    if classifier_from is not None:  # same data, split and seed: the cache key decides reuse
        for suffix in (".safetensors", ".json"):
            src = classifier_from / f"type_classifier{suffix}"
            if src.is_file():
                shutil.copy2(src, run_dir / src.name)
    t0 = time.perf_counter()
    metrics = evaluate_run(
        run_dir, args.n, args.data, device="cpu", seed=args.seed, per_type=args.per_type
    )
    grid = Path(args.docs) / f"conditional_types_{family}.png"
    grid.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run_dir / "types.png", grid)
    return {
        "run_dir": str(run_dir),
        "steps": last["step"],
        "epochs": last["epoch"],
        "train_seconds": last["time"],
        "wall_seconds_incl_setup": round(wall, 1),
        "eval_seconds": round(time.perf_counter() - t0, 1),
        "balance_labels": cfg.balance_labels,
        "swd_mean": metrics.get("swd_mean"),
        "types_grid": str(grid),
        "conditional": metrics["conditional"],
    }


def markdown(args: argparse.Namespace, report: dict[str, Any]) -> str:
    """The summary table (one row per family) and the per-type table (one row per type)."""
    models = report["models"]
    fams = list(models)
    lines = [
        f"## Conditional generation by type ({args.minutes} min per model, "
        f"{args.per_type} samples per type)",
        "",
        *header_lines(report["machine"], report["command"]),
        f"Label imbalance: {IMBALANCE} — balance_labels="
        + ", ".join(f"{f}: {models[f]['balance_labels']}" for f in fams)
        + "; the type classifier is trained with the same class-balanced draws.",
        "",
    ]
    rows = [
        [
            f,
            models[f]["steps"],
            models[f]["swd_mean"],
            *(get(models[f]["conditional"], p) for _, p in SUMMARY),
        ]
        for f in fams
    ]
    lines += [markdown_table(["model", "steps", "SWD (all)", *(h for h, _ in SUMMARY)], rows), ""]
    first = models[fams[0]]["conditional"]["per_type"]
    headers = ["type", "n train", "n holdout", "real holdout acc"]
    for f in fams:
        headers += [f"{f}: sample acc", f"{f}: SWD", f"{f}: SWD mixed"]
    type_rows = []
    for i, row in enumerate(first):
        cells = [
            row["type"],
            row["n_real_train"],
            row["n_real_holdout"],
            row["real_holdout_accuracy"],
        ]
        for f in fams:
            r = models[f]["conditional"]["per_type"][i]
            cells += [r["sample_accuracy"], r["swd"], r["swd_mixed"]]
        type_rows.append(cells)
    clf = models[fams[0]]["conditional"]["classifier"]
    lines += [
        markdown_table(headers, type_rows),
        "",
        "Accuracy = fraction of images whose top type-classifier prediction is the conditioned "
        "type (real holdout: a type the image has; dual types count for both). The classifier "
        f"(multi-label BCE over all types, {clf['steps']} steps on {clf['n_train']} training "
        f"images, {clf['train_seconds']} s) is cached in each run folder. SWD per type: samples "
        "of the type vs the real training images of the type (– below 8 images); 'mixed' uses "
        "as many samples of all types, so SWD < SWD mixed means the condition helps.",
        "",
        "Per-type grids: " + ", ".join(models[f]["types_grid"] for f in fams),
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    runs_root = Path(args.runs or REPO / "runs" / f"bench-conditional-{stamp}")
    report: dict[str, Any] = {
        "command": command_line(),
        "machine": machine_info(),
        "args": vars(args),
        "models": {},
    }
    previous = None
    for family in args.families:
        print(f"{family}: training a conditional model for {args.minutes} min", flush=True)
        run_dir = runs_root / f"{family}_conditional"
        report["models"][family] = train_and_evaluate(args, family, run_dir, previous)
        previous = run_dir
        save_json(report, args.out)
    report["markdown"] = markdown(args, report)
    save_json(report, args.out)
    print("\n" + report["markdown"])


if __name__ == "__main__":
    main()
