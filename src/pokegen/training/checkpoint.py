"""Checkpoints as safetensors (every tensor) plus JSON (everything else): atomic, never pickled."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from pokegen.errors import RunError

FORMAT_VERSION = 1


def _flatten_optimizer(prefix: str, state: dict[str, Any], tensors: dict, meta: dict) -> None:
    """Split an optimizer state_dict into tensors (to safetensors) and plain values (to JSON)."""
    plain: dict[str, Any] = {"param_groups": state["param_groups"], "state": {}}
    for idx, values in state["state"].items():
        plain["state"][str(idx)] = {}
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}/{idx}/{key}"] = value
            else:
                plain["state"][str(idx)][key] = value
    meta[prefix] = plain


def _unflatten_optimizer(prefix: str, tensors: dict, meta: dict) -> dict[str, Any]:
    plain = meta[prefix]
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in plain["state"].items()}
    start = f"{prefix}/"
    for name, value in tensors.items():
        if name.startswith(start):
            idx, key = name[len(start) :].split("/", 1)
            state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": plain["param_groups"]}


def _atomic_write_bytes(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    extra_tensors: dict[str, torch.Tensor],
    state: dict[str, Any],
) -> Path:
    """Write PATH.safetensors then PATH.json; the JSON names the tensors' digest, so a pair that
    a crash left mismatched is detected on load."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}/{key}"] = value
    for name, opt in optimizers.items():
        _flatten_optimizer(f"optim.{name}", opt.state_dict(), tensors, meta)
    for key, value in extra_tensors.items():
        tensors[f"extra/{key}"] = value
    # safetensors refuses shared or non-contiguous storage: store independent contiguous copies.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    weights = path.with_suffix(".safetensors")
    _atomic_write_bytes(weights, lambda tmp: save_file(tensors, str(tmp)))
    doc = {
        "format_version": FORMAT_VERSION,
        "weights": weights.name,
        "weights_sha256": _digest(weights),
        "modules": sorted(modules),
        "optimizers": meta,
        "state": state,
    }
    text = json.dumps(doc, indent=2, sort_keys=True)
    _atomic_write_bytes(path.with_suffix(".json"), lambda tmp: tmp.write_text(text))
    return path.with_suffix(".json")


def load_checkpoint(path: str | Path, verify: bool = True) -> tuple[dict, dict[str, Any]]:
    """Read a checkpoint pair: returns (tensors by name, the JSON document)."""
    path = Path(path).with_suffix(".json")
    if not path.exists():
        raise RunError(f"checkpoint not found: {path}")
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise RunError(f"checkpoint {path} is unreadable: {exc}") from None
    weights = path.with_name(doc.get("weights", ""))
    if not weights.is_file():
        raise RunError(f"checkpoint weights missing: {weights}")
    if verify and doc.get("weights_sha256") != _digest(weights):
        raise RunError(f"checkpoint {weights} does not match {path.name} (partial write?)")
    try:
        tensors = load_file(str(weights))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise RunError(f"checkpoint {weights} is corrupt: {exc}") from None
    return tensors, doc


def module_state(tensors: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """The state_dict of one saved module, e.g. 'model.generator' or 'ema.generator'."""
    start = f"{name}/"
    return {k[len(start) :]: v for k, v in tensors.items() if k.startswith(start)}


def restore_optimizer(
    opt: torch.optim.Optimizer, name: str, tensors: dict[str, torch.Tensor], doc: dict
) -> None:
    """Load a saved optimizer state back into `opt`."""
    opt.load_state_dict(_unflatten_optimizer(f"optim.{name}", tensors, doc["optimizers"]))


def restore_training(
    path: str | Path,
    models: dict[str, torch.nn.Module],
    ema: dict[str, torch.nn.Module],
    opts: dict[str, torch.optim.Optimizer],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """--resume: load weights, EMA copies and optimiser states in place; return the pair read."""
    tensors, doc = load_checkpoint(path)
    for k, m in models.items():
        m.load_state_dict(module_state(tensors, f"model.{k}"))
    for k, m in ema.items():
        m.load_state_dict(module_state(tensors, f"ema.{k}"))
    for k, o in opts.items():
        restore_optimizer(o, k, tensors, doc)
    return tensors, doc
