"""Input preparation shared by every metric: one canonical form, uint8 RGB on the CPU; and
the separable filter that the SWD pyramid and the discriminator's blur both run."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def to_rgb_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 or float [-1, 1] images [N, C, H, W] (C = 1, 3, 4) → uint8 RGB [N, 3, H, W].

    Metrics judge what a viewer sees, so float images are quantised exactly as a saved PNG
    would be, and RGBA images are composited onto white (the default training background).
    """
    if images.dim() != 4:
        raise ValueError(f"expected images [N, C, H, W], got shape {tuple(images.shape)}")
    images = images.detach().cpu()
    if images.dtype != torch.uint8:
        images = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    c = images.shape[1]
    if c == 3:
        return images
    if c == 1:
        return images.expand(-1, 3, -1, -1).contiguous()
    if c == 4:
        rgb = images[:, :3].float()
        alpha = images[:, 3:].float() / 255.0
        out = rgb * alpha + 255.0 * (1.0 - alpha)  # over a white background
        return out.round().clamp(0, 255).to(torch.uint8)
    raise ValueError(f"expected 1, 3 or 4 channels, got {c}")


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """Any accepted image tensor → float32 RGB in [0, 1] (the range torchmetrics expects)."""
    return to_rgb_uint8(images).float() / 255.0


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float images [N, C, H, W] → [N, C, size, size], antialiased when shrinking."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    shrinking = images.shape[-1] > size
    return F.interpolate(
        images, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking
    )


def subsample(images: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """A random subset of n rows (all rows, unshuffled, when n >= len)."""
    if n >= images.shape[0]:
        return images
    idx = torch.randperm(images.shape[0], generator=generator)[:n]
    return images[idx.sort().values]


def separable_filter(x: torch.Tensor, taps: torch.Tensor, mode: str) -> torch.Tensor:
    """Filter every channel of [B, C, H, W] with the odd 1-D `taps` along W then H, padded by
    `mode` ("reflect", "replicate", ...) so the output keeps H×W."""
    c, r = x.shape[1], taps.numel() // 2
    k = taps.to(x)
    x = F.pad(x, (r, r, r, r), mode=mode)  # [B, C, H + 2r, W + 2r]
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)  # along W
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)  # along H
