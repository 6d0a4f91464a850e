"""One file in, one square uint8 tensor out: decode, composite, crop, fit and pad."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
MAX_PIXELS = 64_000_000  # larger images are skipped before their pixels are decoded
BACKGROUND_RGB = {"white": (255, 255, 255), "black": (0, 0, 0)}
CONTENT_THRESHOLD = 24  # per-channel difference from the corner colour that counts as content


class SkipImage(Exception):
    """A file that cannot be used; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class Options:
    """Preprocessing options; every field is part of the cache key."""

    image_size: int = 64
    background: str = "white"
    crop: bool = False
    crop_margin: float = 0.05


@dataclass(frozen=True)
class Decoded:
    """A preprocessed image and what was found in the file (for the summary)."""

    array: np.ndarray  # uint8 [C, S, S]
    format: str
    mode: str
    size: tuple[int, int]
    transparent: bool


def _short(exc: BaseException, limit: int = 100) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: BaseException) -> str:
    """Map a decoding exception to a short, stable reason for the skip list."""
    if isinstance(exc, Image.DecompressionBombError):
        return "too large (decompression bomb)"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file disappeared"
    if isinstance(exc, OSError) and "truncated" in str(exc).lower():
        return "truncated"
    return f"corrupt ({type(exc).__name__}: {_short(exc)})"


def _gray16_to_rgba(im: Image.Image) -> np.ndarray:
    """16/32-bit and float grey images scaled to 8 bits (Pillow's convert would clip)."""
    values = np.asarray(im).astype(np.float64)
    if im.mode == "F":
        values = values * 255.0 if values.max(initial=0.0) <= 1.0 else values
    elif im.mode.startswith("I;16") or values.max(initial=0.0) > 255:
        values = values / 257.0
    grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    alpha = np.full_like(grey, 255)
    trns = im.info.get("transparency")
    if isinstance(trns, int):
        alpha[np.asarray(im) == trns] = 0
    return np.dstack([grey, grey, grey, alpha])  # [H, W, 4]


def to_rgba(im: Image.Image) -> np.ndarray:
    """Any Pillow mode to straight-alpha RGBA uint8 [H, W, 4], honouring transparency."""
    if im.mode.startswith("I") or im.mode == "F":
        return _gray16_to_rgba(im)
    if im.mode not in ("RGBA", "RGB", "L", "LA", "P", "PA", "La", "RGBa", "1"):
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV have no alpha
    return np.asarray(im.convert("RGBA"))


def content_box(rgba: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box (l, t, r, b) of alpha > 0, or of pixels unlike the corners when opaque."""
    alpha = rgba[..., 3]
    if (alpha < 255).any():
        mask = alpha > 0
    else:
        rgb = rgba[..., :3].astype(np.int16)
        corners = np.stack([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]])
        background = np.median(corners, axis=0)
        mask = np.abs(rgb - background).max(axis=-1) > CONTENT_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def square_box(
    box: tuple[int, int, int, int], margin: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """Grow a box by `margin` per side into a square, kept inside the image where it fits."""
    left, top, right, bottom = box
    side = max(1, round(max(right - left, bottom - top) * (1 + 2 * margin)))
    origin = []
    for lo, hi, extent in ((left, right, width), (top, bottom, height)):
        start = (lo + hi - side) / 2
        if side <= extent:
            start = min(max(start, 0), extent - side)
        origin.append(round(start))
    x0, y0 = origin
    return x0, y0, x0 + side, y0 + side


def fit_square(image: Image.Image, size: int, fill: tuple[int, ...]) -> Image.Image:
    """Resize so the longer side is `size` (no stretching) and pad to a square with `fill`."""
    width, height = image.size
    scale = size / max(width, height)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new != image.size:
        image = image.resize(new, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if new == (size, size):
        return image
    canvas = Image.new(image.mode, (size, size), fill)
    canvas.paste(image, ((size - new[0]) // 2, (size - new[1]) // 2))
    return canvas


def preprocess(rgba: np.ndarray, opts: Options) -> np.ndarray:
    """Straight-alpha RGBA [H, W, 4] to the model's uint8 [C, S, S] under `opts`."""
    image = Image.fromarray(rgba, "RGBA")
    if opts.crop:
        box = content_box(rgba)
        if box is not None:
            image = image.crop(square_box(box, opts.crop_margin, *image.size))  # pads transparent
    if opts.background == "alpha":
        out = np.array(fit_square(image, opts.image_size, (0, 0, 0, 0)))  # [S, S, 4]
        out[out[..., 3] == 0, :3] = 0  # no hidden colour under fully transparent pixels
    else:
        colour = BACKGROUND_RGB[opts.background]
        flat = Image.new("RGBA", image.size, (*colour, 255))
        flat.alpha_composite(image)  # uses alpha: the RGB stored under transparency is ignored
        out = np.asarray(fit_square(flat.convert("RGB"), opts.image_size, colour))  # [S, S, 3]
    return np.ascontiguousarray(out.transpose(2, 0, 1))  # [C, S, S]


def decode_image(path: str, opts: Options) -> Decoded:
    """Decode one file into a preprocessed tensor, or raise SkipImage saying why not."""
    try:
        if os.stat(path).st_size == 0:
            raise SkipImage("empty file")
        with Image.open(path) as im:
            fmt, mode, (width, height) = im.format or "?", im.mode, im.size
            if width * height > MAX_PIXELS:
                raise SkipImage(f"too large ({width}x{height} pixels)")
            if width < 1 or height < 1:
                raise SkipImage(f"empty image ({width}x{height})")
            if fmt == "JPEG" and not opts.crop:
                im.draft(im.mode, (2 * opts.image_size, 2 * opts.image_size))  # faster DCT scale
            rgba = to_rgba(ImageOps.exif_transpose(im))
    except SkipImage:
        raise
    except Exception as exc:  # any decoder failure means "skip this file", never a traceback
        raise SkipImage(_reason(exc)) from None
    transparent = bool((rgba[..., 3] < 255).any())
    return Decoded(preprocess(rgba, opts), fmt, mode, (width, height), transparent)
