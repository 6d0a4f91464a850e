"""Does "generate a Fire type" give Fire? Classifier accuracy and per-type SWD of conditional runs.

For each type t of the run's vocabulary, n samples are generated with the one-hot label of t.
A type classifier trained on the run's real *training* images (classifier.py) then scores:
- sample accuracy of t: fraction of those samples whose top prediction is t;
- real holdout accuracy of t: the same fraction on real holdout images that have type t
  (dual-type images count for both types), the ceiling the samples should be compared with;
- per-type SWD: samples of t against the real training images of t (None below 8 images),
  beside `swd_mixed`: the same reals against as many samples of *all* types, so a
  per-type SWD below its mixed value means the condition moved samples towards that type.
Chance level for the sample accuracy is 1/K.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont

from pokegen import viz
from pokegen.evaluation.classifier import (
    ClassifierConfig,
    TypeClassifier,
    cache_key,
    classify,
    load_or_train,
)
from pokegen.evaluation.images import to_rgb_uint8
from pokegen.evaluation.swd import swd

MIN_REAL_FOR_SWD = 8
IMBALANCE = "class-balanced sampling (rare types drawn as often as common ones)"


def _fraction(hits: torch.Tensor) -> float | None:
    return float(hits.float().mean()) if hits.numel() else None


def per_type_accuracy(logits: torch.Tensor, types: torch.Tensor, k: int) -> list[float | None]:
    """Per type t: the fraction of rows with types == t whose top logit is t (None: no rows)."""
    top = logits.argmax(1)  # [N]
    return [_fraction(top[types == t] == t) for t in range(k)]


def real_type_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> list[float | None]:
    """Per type t: fraction of images labelled t (among others) whose top prediction is t."""
    rows, types = labels.nonzero(as_tuple=True)  # one (image, type) pair per true label
    return per_type_accuracy(logits[rows], types, labels.shape[1])


def holdout_accuracy(
    logits: torch.Tensor, labels: torch.Tensor, type1: torch.Tensor | None = None
) -> dict[str, float | None]:
    """Top-1 / top-3 "any true type" accuracy on labelled images, and Type1 top-1 when known."""
    has = labels.sum(1) > 0
    logits, labels = logits[has], labels[has]
    top = logits.topk(min(3, labels.shape[1]), dim=1).indices  # [N, 3] (fewer when K < 3)
    out = {
        "holdout_top1": _fraction(labels.gather(1, top[:, :1]).sum(1) > 0),
        "holdout_top3": _fraction(labels.gather(1, top).sum(1) > 0),
    }
    if type1 is not None:
        type1 = type1[has]
        known = type1 >= 0
        out["holdout_type1_top1"] = _fraction(top[known, 0] == type1[known])
    return out


def conditional_accuracy(net: TypeClassifier, samples: torch.Tensor, types: torch.Tensor) -> dict:
    """Per-type and mean accuracy of samples [N, C, S, S] conditioned on `types` [N]."""
    per_type = per_type_accuracy(classify(net, samples), types, net.n_classes)
    scored = [a for a in per_type if a is not None]
    return {"mean": sum(scored) / len(scored) if scored else None, "per_type": per_type}


def per_type_swd(
    samples: torch.Tensor,
    types: torch.Tensor,
    reals: torch.Tensor,
    labels: torch.Tensor,
    seed: int = 0,
) -> list[dict[str, float | None]]:
    """SWD of each type's samples (and of mixed-type samples) vs the real images of that type."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for t in range(labels.shape[1]):
        real_t, fake_t = reals[labels[:, t] > 0], samples[types == t]
        if len(real_t) < MIN_REAL_FOR_SWD or len(fake_t) < 2:
            out.append({"swd": None, "swd_mixed": None})
            continue
        mixed = samples[torch.randperm(len(samples), generator=gen)[: len(fake_t)]]
        out.append(
            {
                "swd": swd(real_t, fake_t, seed=seed)["swd_mean"],
                "swd_mixed": swd(real_t, mixed, seed=seed)["swd_mean"],
            }
        )
    return out


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return sum(kept) / len(kept) if kept else None


def conditional_metrics(
    net: TypeClassifier,
    label_names: list[str],
    samples: torch.Tensor,
    types: torch.Tensor,
    train: tuple[torch.Tensor, torch.Tensor],
    holdout: tuple[torch.Tensor, torch.Tensor],
    holdout_type1: torch.Tensor | None = None,
    seed: int = 0,
) -> dict:
    """The JSON-ready "conditional" section from tensors: (images, labels) pairs for the splits."""
    k = len(label_names)
    held_logits = classify(net, holdout[0])
    real_acc = real_type_accuracy(held_logits, holdout[1])
    cond = conditional_accuracy(net, samples, types)
    swds = per_type_swd(samples, types, train[0], train[1], seed)
    rows = [
        {
            "type": name,
            "n_real_train": int(train[1][:, t].sum()),
            "n_real_holdout": int(holdout[1][:, t].sum()),
            "sample_accuracy": cond["per_type"][t],
            "real_holdout_accuracy": real_acc[t],
            **swds[t],
        }
        for t, name in enumerate(label_names)
    ]
    return {
        "n_classes": k,
        "chance": 1.0 / k,
        "samples_per_type": int((types == 0).sum()),
        "sample_accuracy_mean": cond["mean"],
        "real_holdout_accuracy_mean": _mean(real_acc),
        "swd_per_type_mean": _mean([r["swd"] for r in rows]),
        "swd_mixed_per_type_mean": _mean([r["swd_mixed"] for r in rows]),
        "classifier": holdout_accuracy(held_logits, holdout[1], holdout_type1),
        "per_type": rows,
    }


def single_type_labels(k: int, per_type: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(one-hot labels [K·n, K], type index [K·n]): n rows of type 0, then n of type 1, …"""
    types = torch.arange(k).repeat_interleave(per_type)  # [K·n]
    return torch.eye(k)[types], types


def save_type_grid(
    samples: torch.Tensor,
    types: torch.Tensor,
    label_names: list[str],
    path: str | Path,
    per_row: int = 8,
) -> Path:
    """One row per type (the type's name drawn at the row start), `per_row` samples each."""
    rows = [to_rgb_uint8(samples[types == t][:per_row]) for t in range(len(label_names))]
    s = samples.shape[-1]
    filler = torch.full((3, s, s), 255, dtype=torch.uint8)
    rows = [torch.cat([r, filler[None].expand(per_row - len(r), -1, -1, -1)]) for r in rows]
    grid = viz.make_grid(torch.cat(rows), nrow=per_row)  # [K rows, per_row columns], pad 2
    font = ImageFont.load_default()
    measure = ImageDraw.Draw(grid)
    margin = 8 + max(int(measure.textlength(n, font=font)) for n in label_names)
    canvas = Image.new("RGB", (grid.width + margin, grid.height), (255, 255, 255))
    canvas.paste(grid, (margin, 0))
    draw = ImageDraw.Draw(canvas)
    for t, name in enumerate(label_names):
        top, bottom = draw.textbbox((0, 0), name, font=font)[1::2]
        y = 2 + t * (s + 2) + (s - (bottom - top)) // 2 - top  # vertically centred on the row
        draw.text((4, y), name, fill=(0, 0, 0), font=font)
    return viz.atomic_save(canvas, path)


def evaluate_conditional(
    run,
    data,
    train_idx: torch.Tensor,
    holdout_idx: torch.Tensor,
    per_type: int,
    seed: int = 0,
    temperature: float = 1.0,
) -> dict:
    """Classifier (cached in the run folder), per-type samples, metrics, and RUN/types.png."""
    from pokegen.sampling import generate

    names = run.label_names
    if list(data.label_names) != names:
        raise ValueError(f"the data's types {data.label_names} differ from the run's {names}")
    train = data.images[train_idx], data.labels[train_idx]
    holdout = data.images[holdout_idx], data.labels[holdout_idx]
    cfg = ClassifierConfig()  # a fixed judge: its seed does not follow the sampling seed
    key = cache_key(cfg, names, data.fingerprint, train_idx, tuple(train[0].shape[1:]))
    net, info = load_or_train(run.path, *train, key, cfg)
    labels, types = single_type_labels(len(names), per_type)
    samples = generate(run, len(labels), seed, labels, temperature)  # [K·n, C, S, S] in [-1, 1]
    index = {n: i for i, n in enumerate(names)}
    type1 = torch.tensor([index.get(data.type1[i], -1) for i in holdout_idx.tolist()])
    metrics = conditional_metrics(
        net, names, samples, types, train, holdout, type1 if (type1 >= 0).any() else None, seed
    )
    metrics["classifier"] = {**metrics["classifier"], **info, "loss": "multi-label BCE"}
    metrics["imbalance"] = IMBALANCE if run.cfg.balance_labels else "none"
    save_type_grid(samples, types, names, run.path / "types.png")
    return metrics


def summary_rows(section: dict) -> list[tuple[str, float | int | None]]:
    """The headline numbers of a "conditional" section, for text tables and reports."""
    clf = section.get("classifier", {})
    return [
        ("type classifier holdout top-1 (any true type) ↑", clf.get("holdout_top1")),
        ("type classifier holdout top-3 (any true type) ↑", clf.get("holdout_top3")),
        ("type classifier holdout Type1 top-1 ↑", clf.get("holdout_type1_top1")),
        ("type accuracy of conditional samples (mean) ↑", section.get("sample_accuracy_mean")),
        ("type accuracy of real holdout images (mean)", section.get("real_holdout_accuracy_mean")),
        ("chance level 1/K", section.get("chance")),
        ("per-type SWD of samples (mean) ↓", section.get("swd_per_type_mean")),
        ("per-type SWD of mixed-type samples (mean)", section.get("swd_mixed_per_type_mean")),
    ]
