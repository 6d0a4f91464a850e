"""pokegen: autoencoders, VAEs and GANs for small image collections.

The public API, imported lazily so `import pokegen` (and `pokegen --help`) stays instant:

    import pokegen
    cfg = pokegen.preset("vae", "default", data={"path": "pokemon/"}, out="runs/vae")
    run_dir = pokegen.train(cfg)
    pokegen.sample(run_dir, n=64)
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "preset": "pokegen.config",
    "TrainConfig": "pokegen.config",
    "DataConfig": "pokegen.config",
    "ModelConfig": "pokegen.config",
    "LossConfig": "pokegen.config",
    "train": "pokegen.training.engine",
    "run_all": "pokegen.pipeline",
    "finish_run": "pokegen.pipeline",
    "load_run": "pokegen.sampling",
    "generate": "pokegen.sampling",
    "sample": "pokegen.sampling",
    "reconstruct": "pokegen.sampling",
    "write_reconstructions": "pokegen.sampling",
    "interpolate": "pokegen.interpolation",
    "load_dataset": "pokegen.data",
    "inspect_data": "pokegen.data",
}
_RENAMED = {
    "evaluate": ("pokegen.evaluation.evaluate", "evaluate_run"),
    "write_report": ("pokegen.evaluation.report", "write_report"),
}

__all__ = sorted([*_API, *_RENAMED])


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _RENAMED:
        module, attr = _RENAMED[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'pokegen' has no attribute {name!r}")
