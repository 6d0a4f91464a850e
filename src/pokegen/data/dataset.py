"""load_dataset: discover, decode once (in parallel), cache, and return in-memory tensors."""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from pokegen.config import BACKGROUNDS, DataConfig
from pokegen.data.cache import cache_root, fingerprint, load_cache, save_cache
from pokegen.data.decode import Decoded, Options, SkipImage, decode_image
from pokegen.data.discover import Source, discover
from pokegen.data.source import resolve_data_path
from pokegen.errors import DataError

BACKGROUND_NOTES = {
    "white": "transparency composited onto white",
    "black": "transparency composited onto black",
    "alpha": "transparency kept as a 4th channel (RGB of transparent pixels set to 0)",
}


@dataclass
class Dataset:
    """Every usable image, preprocessed and in memory, plus a record of what was left out."""

    images: torch.Tensor  # uint8 [N, C, S, S]
    names: list[str]
    paths: list[str]
    labels: torch.Tensor  # float32 [N, K] multi-hot over label_names
    label_names: list[str]
    type1: list[str | None]
    type2: list[str | None]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fingerprint: str = ""
    source_info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.images.shape[0])


def decode_workers() -> int:
    """Threads for cold decoding: Pillow releases the GIL, so up to 4 cores help."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _try_decode(path: str, opts: Options) -> Decoded | SkipImage:
    try:
        return decode_image(path, opts)
    except SkipImage as skip:
        return skip


def decode_all(paths: list[str], opts: Options, workers: int) -> list[Decoded | SkipImage]:
    """Decode files in order; each result is a Decoded or the SkipImage saying why not."""
    with warnings.catch_warnings():  # the size check in decode_image reports bombs instead
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        if workers <= 1 or len(paths) < 16:
            return [_try_decode(p, opts) for p in paths]
        with ThreadPoolExecutor(workers, thread_name_prefix="pokegen-decode") as pool:
            return list(pool.map(_try_decode, paths, [opts] * len(paths)))


def _multi_hot(per_image: list[tuple[str, ...]]) -> tuple[torch.Tensor, list[str]]:
    names = sorted({label for labels in per_image for label in labels})
    index = {name: i for i, name in enumerate(names)}
    out = torch.zeros(len(per_image), len(names), dtype=torch.float32)  # [N, K]
    for row, labels in enumerate(per_image):
        for label in labels:
            out[row, index[label]] = 1.0
    return out, names


def _label_source(src: Source, label_column: str | None) -> str:
    if src.layout == "folders":
        return "first-level folder names"
    if src.layout == "csv":
        return f"CSV column {label_column}" if label_column else "CSV Type1 + Type2"
    return "none"


def _build(src: Source, opts: Options, cfg: DataConfig, log: logging.Logger) -> Dataset:
    """Cold path: decode every candidate file and assemble the dataset."""
    paths = [str(p) for p in src.files]
    workers = decode_workers()
    start = time.perf_counter()
    results = decode_all(paths, opts, workers)
    seconds = time.perf_counter() - start
    keep = [i for i, r in enumerate(results) if isinstance(r, Decoded)]
    decoded = [r for r in results if isinstance(r, Decoded)]
    failed = [(p, str(r)) for p, r in zip(paths, results, strict=True) if isinstance(r, SkipImage)]
    skipped = src.skipped + failed
    if not decoded:
        for path, reason in skipped:
            log.warning(f"skipping {path}: {reason}")
        raise DataError(f"no usable images in {src.root} ({len(skipped)} files skipped)")
    images = torch.from_numpy(np.stack([d.array for d in decoded]))  # [N, C, S, S]
    labels, label_names = _multi_hot([src.labels[i] for i in keep])
    info = {
        "root": str(src.root),
        "layout": src.layout,
        "csv": str(src.csv_path) if src.csv_path else None,
        "files_found": len(paths),
        "ignored_files": src.ignored_files,
        "formats": dict(Counter(d.format for d in decoded).most_common()),
        "modes": dict(Counter(d.mode for d in decoded).most_common()),
        "sizes": dict(Counter(f"{d.size[0]}x{d.size[1]}" for d in decoded).most_common()),
        "transparent_images": sum(d.transparent for d in decoded),
        "image_size": opts.image_size,
        "channels": int(images.shape[1]),
        "background": opts.background,
        "background_note": BACKGROUND_NOTES[opts.background],
        "crop": opts.crop,
        "crop_margin": opts.crop_margin,
        "label_source": _label_source(src, cfg.label_column),
        "decode_seconds": round(seconds, 3),
        "decode_workers": workers,
    }
    return Dataset(
        images=images,
        names=[Path(paths[i]).stem for i in keep],
        paths=[paths[i] for i in keep],
        labels=labels,
        label_names=label_names,
        type1=[src.type1[i] for i in keep],
        type2=[src.type2[i] for i in keep],
        skipped=skipped,
        missing=list(src.missing),
        source_info=info,
    )


def _meta(ds: Dataset) -> dict[str, Any]:
    return {
        "names": ds.names,
        "paths": ds.paths,
        "label_names": ds.label_names,
        "type1": ds.type1,
        "type2": ds.type2,
        "skipped": [list(s) for s in ds.skipped],
        "missing": ds.missing,
        "source_info": ds.source_info,
    }


def _from_cache(images: torch.Tensor, labels: torch.Tensor, meta: dict[str, Any]) -> Dataset:
    return Dataset(
        images=images,
        names=meta["names"],
        paths=meta["paths"],
        labels=labels,
        label_names=meta["label_names"],
        type1=meta["type1"],
        type2=meta["type2"],
        skipped=[(p, r) for p, r in meta["skipped"]],
        missing=meta["missing"],
        source_info=meta["source_info"],
    )


def _check_config(cfg: DataConfig) -> None:
    if cfg.background not in BACKGROUNDS:
        choices = ", ".join(BACKGROUNDS)
        raise DataError(f"background must be one of {choices}, not {cfg.background!r}")
    if not (16 <= cfg.image_size <= 256 and cfg.image_size % 8 == 0):
        raise DataError(f"image size must be a multiple of 8 from 16 to 256, got {cfg.image_size}")


def _report(ds: Dataset, src: Source, log: logging.Logger) -> None:
    """One line per problem, then one summary line: the same on cold and warm loads."""
    for message in src.warnings:
        log.warning(message)
    for path, reason in ds.skipped:
        log.warning(f"skipping {path}: {reason}")
    if ds.skipped:
        reasons = Counter(reason.split(" (")[0] for _, reason in ds.skipped)
        detail = ", ".join(f"{n} {r}" for r, n in reasons.most_common())
        log.warning(f"skipped {len(ds.skipped)} files ({detail}); using {len(ds)} images")
    if ds.missing:
        log.info(f"{len(ds.missing)} CSV rows have no image (e.g. {', '.join(ds.missing[:3])})")
    info = ds.source_info
    log.info(
        f"loaded {len(ds)} images of {src.root} at {info['image_size']}px "
        f"(cache {info['cache']}, {info['load_seconds']:.2f} s)"
    )


def load_dataset(cfg: DataConfig, log: logging.Logger | None = None) -> Dataset:
    """Decode every image once and serve later runs from the cache in a fraction of a second."""
    log = log or logging.getLogger("pokegen")
    start = time.perf_counter()
    _check_config(cfg)
    src = discover(resolve_data_path(cfg.path), cfg.label_column)
    opts = Options(cfg.image_size, cfg.background, cfg.crop, float(cfg.crop_margin))
    csv_stat = None
    if src.csv_path is not None:
        st = src.csv_path.stat()
        csv_stat = (str(src.csv_path), st.st_size, st.st_mtime_ns)
    key = fingerprint(src.stats, csv_stat, opts, cfg.label_column)
    root = cache_root(cfg.cache_dir)
    hit = load_cache(root, key, log)
    if hit is not None:
        ds, cache_path = _from_cache(*hit[:3]), hit[3]
    else:
        ds = _build(src, opts, cfg, log)
        cache_path = save_cache(root, key, ds.images, ds.labels, _meta(ds), log)
    ds.fingerprint = key
    ds.source_info = {
        **ds.source_info,
        "cache": "hit" if hit is not None else "miss",
        "cache_path": str(cache_path) if cache_path else None,
        "load_seconds": round(time.perf_counter() - start, 3),
    }
    _report(ds, src, log)
    return ds
