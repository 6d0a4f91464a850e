"""The decoded-tensor cache: safetensors + JSON sidecar, keyed by files and options."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from pokegen.data.decode import Options

CACHE_VERSION = 1  # bump when decoding changes so old entries are never reused


def cache_root(cache_dir: str | None) -> Path:
    """Where cache files go: the config, else $POKEGEN_CACHE, else ~/.cache/pokegen."""
    chosen = cache_dir or os.environ.get("POKEGEN_CACHE") or "~/.cache/pokegen"
    return Path(chosen).expanduser()


def fingerprint(
    stats: list[tuple[str, int, int]],
    csv_stat: tuple[str, int, int] | None,
    opts: Options,
    label_column: str | None,
) -> str:
    """Hash of every input file's (path, size, mtime_ns) and the preprocessing options."""
    payload = {
        "version": CACHE_VERSION,
        "options": dataclasses.asdict(opts),
        "label_column": label_column,
        "csv": csv_stat,
        "files": stats,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def _paths(root: Path, key: str) -> tuple[Path, Path]:
    return root / f"{key}.safetensors", root / f"{key}.json"


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_cache(
    root: Path,
    key: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    meta: dict[str, Any],
    log: logging.Logger,
) -> Path | None:
    """Write tensors then sidecar, each atomically; a failure only costs the next cold load."""
    tensor_path, meta_path = _paths(root, key)
    tensors = {"images": images.contiguous(), "labels": labels.contiguous()}
    try:
        root.mkdir(parents=True, exist_ok=True)
        _atomic_write(tensor_path, lambda p: save_file(tensors, str(p), metadata={"key": key}))
        body = {**meta, "key": key, "version": CACHE_VERSION}
        body["tensor_bytes"] = tensor_path.stat().st_size
        text = json.dumps(body, ensure_ascii=False)
        _atomic_write(meta_path, lambda p: p.write_text(text, encoding="utf-8"))
    except OSError as exc:
        log.warning(f"cannot write cache in {root} ({exc.strerror or exc}); continuing without it")
        return None
    return tensor_path


def _check(meta: dict[str, Any], key: str, images: torch.Tensor, labels: torch.Tensor) -> str:
    """Why a loaded entry cannot be trusted, or '' when it is consistent."""
    if meta.get("key") != key or meta.get("version") != CACHE_VERSION:
        return "key or version mismatch"
    n = len(meta.get("names", ()))
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[0] != n:
        return f"images tensor {tuple(images.shape)} does not match {n} names"
    if labels.shape != (n, len(meta.get("label_names", ()))):
        return f"labels tensor {tuple(labels.shape)} does not match the label names"
    return ""


def load_cache(
    root: Path, key: str, log: logging.Logger
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any], Path] | None:
    """Return (images, labels, meta, path) for a valid entry; None (with a warning) otherwise."""
    tensor_path, meta_path = _paths(root, key)
    if not tensor_path.exists() and not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("tensor_bytes") != tensor_path.stat().st_size:
            raise ValueError("size differs from the sidecar")
        with safe_open(str(tensor_path), framework="pt") as f:
            images, labels = f.get_tensor("images"), f.get_tensor("labels")
        problem = _check(meta, key, images, labels)
        if problem:
            raise ValueError(problem)
    except Exception as exc:  # any unreadable entry is rebuilt, whatever the cause
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        log.warning(f"ignoring corrupt cache {tensor_path.name} ({reason}); rebuilding")
        return None  # the rebuild replaces both files atomically
    return images, labels, meta, tensor_path
