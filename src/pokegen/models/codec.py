"""Encoder and decoder shared by the autoencoder and the VAE ("conv" plain or "resnet").

Both follow the ladder in blocks.py: stride-2 stages from S down to a 4–7 px base, then a linear
map to/from a flat vector. Conditioning: labels are appended as constant image channels to the
encoder input and concatenated to the code for the decoder.
"""

from __future__ import annotations

import torch
from torch import nn

from pokegen.models.blocks import (
    ResBlock,
    UpConv,
    broadcast_labels,
    down_conv,
    groups_for,
    level_sizes,
    level_widths,
)

CODEC_ARCHS = ("conv", "resnet")


def _check_arch(arch: str) -> None:
    if arch not in CODEC_ARCHS:
        raise ValueError(f"unknown ae/vae arch {arch!r}; choose from {', '.join(CODEC_ARCHS)}")


def _with_labels(y: torch.Tensor | None, n_classes: int, like: torch.Tensor) -> torch.Tensor:
    """The labels to condition on; None means "no label" (an all-zero row)."""
    return like.new_zeros(like.shape[0], n_classes) if y is None else y.to(like.dtype)


class Encoder(nn.Module):
    """Image [B, C, S, S] (+ labels) → flat features [B, out_features]."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        out_features: int,
        width: int,
        max_width: int,
        arch: str,
        n_classes: int = 0,
    ):
        super().__init__()
        _check_arch(arch)
        self.n_classes = n_classes
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        layers: list[nn.Module] = []
        c_in = channels + n_classes
        for i, c in enumerate(widths):
            layers.append(down_conv(c_in, c, sizes[i]))  # → [B, c, sizes[i+1], sizes[i+1]]
            if arch == "conv":
                layers += [nn.BatchNorm2d(c)] if i > 0 else []
                layers.append(nn.LeakyReLU(0.2))
            else:
                layers.append(ResBlock(c))
            c_in = c
        if arch == "resnet":
            layers += [nn.GroupNorm(groups_for(c_in), c_in), nn.SiLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in * sizes[-1] ** 2, out_features)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            labels = _with_labels(y, self.n_classes, x)
            x = torch.cat([x, broadcast_labels(labels, x.shape[-1])], dim=1)  # [B, C+K, S, S]
        return self.head(self.features(x).flatten(1))  # [B, c·b·b] → [B, out_features]


class Decoder(nn.Module):
    """Code [B, in_features] (+ labels) → image mean [B, C, S, S] in [-1, 1] (tanh).

    `top` > 0 adds a feature level of that many channels at full resolution, so the last
    upsampling step is not also the only map from features to pixels.
    """

    def __init__(
        self,
        image_size: int,
        channels: int,
        in_features: int,
        width: int,
        max_width: int,
        arch: str,
        n_classes: int = 0,
        top: int = 0,
    ):
        super().__init__()
        _check_arch(arch)
        self.n_classes = n_classes
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        self.base_shape = (widths[-1], sizes[-1], sizes[-1])
        self.head = nn.Linear(in_features + n_classes, widths[-1] * sizes[-1] ** 2)
        plain = arch == "conv"

        def stage(c: int) -> list[nn.Module]:
            return [nn.BatchNorm2d(c), nn.ReLU()] if plain else [ResBlock(c)]

        layers = stage(widths[-1])
        for i in reversed(range(1, len(widths))):  # widths[i] at sizes[i+1] → widths[i-1]
            layers += [UpConv(widths[i], widths[i - 1], sizes[i]), *stage(widths[i - 1])]
        if not plain:
            layers += [nn.GroupNorm(groups_for(widths[0]), widths[0]), nn.SiLU()]
        if top:  # a `top`-channel feature level at full resolution, then a 3×3 conv to pixels
            layers += [UpConv(widths[0], top, sizes[0]), *stage(top)]
            layers += [] if plain else [nn.GroupNorm(groups_for(top), top), nn.SiLU()]
            layers += [nn.Conv2d(top, channels, 3, padding=1), nn.Tanh()]
        else:  # the last 2× step maps straight to pixels
            layers += [UpConv(widths[0], channels, sizes[0]), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, _with_labels(y, self.n_classes, z)], dim=1)  # [B, L+K]
        return self.body(self.head(z).view(-1, *self.base_shape))  # [B, c, b, b] → [B, C, S, S]
