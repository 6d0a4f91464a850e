"""The run folder: the one place that writes files and logs, so a rank check can guard it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from pokegen import config as C
from pokegen import viz
from pokegen.errors import RunError


def next_run_dir(root: str | Path, tag: str) -> Path:
    """runs/00003-<tag>: the next free number under `root`."""
    root = Path(root)
    numbers = [
        int(m.group(1))
        for p in (root.iterdir() if root.is_dir() else [])
        if (m := re.match(r"(\d{5})-", p.name))
    ]
    return root / f"{max(numbers, default=-1) + 1:05d}-{tag}"


def resolve_run(cfg: C.TrainConfig, resume: bool) -> tuple[C.TrainConfig, Path]:
    """The run folder, and on --resume the saved config with only the budget/device changed."""
    if cfg.out is None:
        if resume:
            raise RunError("--resume needs --out pointing at the run folder to continue")
        tag = f"{cfg.family}-z{cfg.model.latent_dim}-{cfg.data.image_size}px"
        return cfg, next_run_dir("runs", tag)
    out = Path(cfg.out)
    if not resume:
        if (out / "checkpoints" / "last.json").exists():
            raise RunError(f"{out} already holds a run; pass --resume to continue it or pick --out")
        return cfg, out
    if not (out / "checkpoints" / "last.json").exists():
        raise RunError(f"nothing to resume in {out}: no checkpoints/last.json")
    saved = C.from_dict(json.loads((out / "config.json").read_text())["config"])
    keep = {"epochs": cfg.epochs, "minutes": cfg.minutes, "device": cfg.device, "amp": cfg.amp}
    return C.merge(saved, keep), out


def run_record(
    cfg: C.TrainConfig, data: Any, holdout_idx: torch.Tensor, world_size: int
) -> dict[str, Any]:
    """config.json: the resolved config and the data it saw, so a run rebuilds from its folder."""
    return {
        "config": C.to_dict(cfg),
        "data": {
            "fingerprint": data.fingerprint,
            "n_images": len(data),
            "n_train": len(data) - len(holdout_idx),
            "holdout_names": [data.names[i] for i in holdout_idx.tolist()],
            "label_names": list(data.label_names),
            "skipped": len(data.skipped),
        },
        "world_size": world_size,
        "torch": torch.__version__,
    }


class RunDir:
    """Files and messages of one run; on non-zero ranks every method does nothing."""

    def __init__(self, path: str | Path, is_main: bool = True, quiet: bool = False):
        self.path = Path(path)
        self.is_main = is_main
        self.quiet = quiet
        if is_main:
            (self.path / "checkpoints").mkdir(parents=True, exist_ok=True)
            (self.path / "progress").mkdir(exist_ok=True)

    def log(self, message: str) -> None:
        """Print a line (above any progress bar) and append it to log.txt."""
        if not self.is_main:
            return
        if not self.quiet:
            tqdm.write(message)
        with open(self.path / "log.txt", "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")

    def write_json(self, name: str, data: Any) -> None:
        if not self.is_main:
            return
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        tmp.replace(self.path / name)

    def append_stats(self, row: dict[str, Any]) -> None:
        """One JSON line per interval in stats.jsonl."""
        if not self.is_main:
            return
        with open(self.path / "stats.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def save_grid(self, images: torch.Tensor, name: str, nrow: int | None = None) -> None:
        if self.is_main:
            viz.save_grid(images, self.path / name, nrow)

    def plot(self) -> None:
        """Redraw loss.png and health.png from stats.jsonl."""
        if not self.is_main:
            return
        rows = viz.read_stats(self.path / "stats.jsonl")
        train = [r for r in rows if r.get("kind") == "train"]
        keys = sorted({k for r in train for k in r if k.startswith("loss")})
        if train:
            viz.plot_curves(train, keys, self.path / "loss.png", "training losses")
        evals = [r for r in rows if r.get("kind") == "eval"]
        if evals:
            health = sorted(
                {k for r in evals for k in r if k not in ("kind", "epoch", "step", "time")}
            )
            viz.plot_curves(evals, health, self.path / "health.png", "training health")
