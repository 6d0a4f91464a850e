"""Pictures of results: image grids, GIFs and metric curves, written with Pillow and matplotlib."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Map float images in [-1, 1] (or uint8 already) to uint8 [N, C, H, W] on the CPU."""
    images = images.detach().cpu()
    if images.dtype == torch.uint8:
        return images
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def to_pil(image: torch.Tensor) -> Image.Image:
    """One image [C, H, W] (uint8 or float in [-1, 1]) as a PIL image (RGB or RGBA)."""
    array = to_uint8(image[None])[0].permute(1, 2, 0).numpy()  # [H, W, C]
    if array.shape[2] == 1:
        return Image.fromarray(array[:, :, 0], "L")
    return Image.fromarray(np.ascontiguousarray(array), "RGBA" if array.shape[2] == 4 else "RGB")


def make_grid(images: torch.Tensor, nrow: int | None = None, pad: int = 2) -> Image.Image:
    """Tile images [N, C, H, W] into one picture, `nrow` per row (default: a near square)."""
    images = to_uint8(images)
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    fill = 255 if c == 3 else 0
    canvas = torch.full(
        (c, rows * (h + pad) + pad, nrow * (w + pad) + pad), fill, dtype=torch.uint8
    )
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        canvas[:, y : y + h, x : x + w] = images[i]
    return to_pil(canvas)


def atomic_save(image: Image.Image, path: str | Path, **kwargs) -> Path:
    """Save a PIL image via a temporary file and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = kwargs.pop("format", None) or Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:  # PIL would otherwise read the temporary file's ".tmp" and fail obscurely
        raise ValueError(f"cannot tell the image format of {path}: name it .png, .jpg or .gif")
    tmp = path.with_name(f".{path.name}.tmp")
    image.save(tmp, format=fmt, **kwargs)
    os.replace(tmp, path)
    return path


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """Write a grid PNG of images [N, C, H, W]."""
    return atomic_save(make_grid(images, nrow), path)


def save_gif(frames: Sequence[Image.Image], path: str | Path, ms_per_frame: int = 80) -> Path:
    """Write an endlessly looping animated GIF that plays forward then back."""
    frames = [f.convert("RGB") for f in frames]
    loop = frames + frames[-2:0:-1]
    return atomic_save(
        loop[0],
        path,
        format="GIF",
        save_all=True,
        append_images=loop[1:],
        duration=ms_per_frame,
        loop=0,
    )


def read_stats(path: str | Path) -> list[dict]:
    """Read stats.jsonl lines, skipping any half-written last line."""
    rows = []
    p = Path(path)
    if not p.exists():
        return rows
    for line in p.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def plot_curves(rows: list[dict], keys: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Plot each key of the stats rows against the training step into one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in keys if any(k in r for r in rows)]
    fig, axes = plt.subplots(len(keys) or 1, 1, figsize=(7, 2.2 * max(1, len(keys))), squeeze=False)
    for ax, key in zip(axes[:, 0], keys, strict=False):
        points = [(r["step"], r[key]) for r in rows if key in r and r[key] is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, lw=1)
        ax.set_ylabel(key, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig, path: str | Path) -> Path:
    """Write a matplotlib figure as PNG atomically and free it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    os.replace(tmp, path)
    return path
