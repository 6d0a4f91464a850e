"""Building blocks shared by every family: the resolution ladder, up/down layers, norms, SLE.

Resolution ladder (`level_sizes`): starting at the image size S, halve (rounding up) until the size
is at most 7, so the base is 4–7 pixels for every S that is a multiple of 8 (64 → 32, 16, 8, 4;
120 → 60, 30, 15, 8, 4; 24 → 12, 6; 40 → 20, 10, 5). Odd sizes are reached by stride-2 convs with
a 3×3 kernel (which round up) and left again by a 2× transposed conv cropped by one pixel.

Widths (`level_widths`): the layer touching full resolution (the first stride-2 conv reading the
S×S image, or the last transposed conv writing it) has `width` channels; each further halving
doubles that, capped at `max_width`. For width 64 / max_width 512 the GAN "dcgan" nets are exactly
the PyTorch-examples DCGAN at 64 px.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm
from torch.nn.utils.parametrize import is_parametrized


def level_sizes(image_size: int) -> list[int]:
    """Spatial sizes from the image down to the base (4–7 px): [S, ⌈S/2⌉, …, base]."""
    if image_size < 8:
        raise ValueError(f"image size must be at least 8, got {image_size}")
    sizes = [image_size]
    while sizes[-1] > 7:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def level_widths(levels: int, width: int, max_width: int) -> list[int]:
    """Channels for each of `levels` stride-2 stages: width, 2·width, … capped at max_width."""
    return [min(width * 2**i, max_width) for i in range(levels)]


def groups_for(channels: int) -> int:
    """GroupNorm groups: a power of two dividing `channels`, ≤ 32, with ≥ 4 channels per group."""
    groups = math.gcd(channels, 32)
    while groups > 1 and channels // groups < 4:
        groups //= 2
    return groups


def maybe_sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) when enabled, the bare layer otherwise."""
    return spectral_norm(module) if enabled else module


def down_conv(c_in: int, c_out: int, size_in: int, bias: bool = True) -> nn.Conv2d:
    """Stride-2 conv to ⌈size_in/2⌉: 4×4 kernel on even sizes (DCGAN), 3×3 on odd ones."""
    kernel = 4 if size_in % 2 == 0 else 3
    return nn.Conv2d(c_in, c_out, kernel, stride=2, padding=1, bias=bias)


class UpConv(nn.Module):
    """2× transposed conv (4×4, stride 2) cropped to `size_out` ∈ {2n−1, 2n}.

    With `smooth_init` the kernel starts as nearest-upsample + 3×3 conv (which it generalises),
    so outputs begin free of checkerboard patterns at 1/2.25 of that pair's cost.
    """

    def __init__(
        self, c_in: int, c_out: int, size_out: int, bias: bool = True, smooth_init: bool = True
    ):
        super().__init__()
        self.size_out = size_out
        self.conv = nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=bias)
        if smooth_init:
            init_as_upsample_conv(self.conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)  # [B, c_out, 2n, 2n]
        s = self.size_out
        return out if out.shape[-1] == s else out[..., :s, :s]


@torch.no_grad()
def init_as_upsample_conv(conv: nn.ConvTranspose2d) -> None:
    """Set a 4×4/stride-2 transposed conv equal to nearest-2× upsampling then a fresh 3×3 conv."""
    c_in, c_out = conv.in_channels, conv.out_channels
    ref = nn.Conv2d(c_in, c_out, 3, padding=1)  # default (Kaiming-uniform) init, fan-in 9·c_in
    # Output pixel 2i reads input i−1 with tap w[0] and input i with w[1]+w[2]; 2i+1 reads
    # input i with w[0]+w[1] and i+1 with w[2]. In transposed-kernel index order k = 0..3:
    a = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=ref.weight.dtype)
    kernel = torch.einsum("ya,oiab,xb->ioyx", a, ref.weight, a)  # [c_in, c_out, 4, 4]
    conv.weight.copy_(kernel)
    if conv.bias is not None:
        conv.bias.copy_(ref.bias)


def broadcast_labels(y: torch.Tensor, size: int) -> torch.Tensor:
    """Multi-hot labels [B, K] as constant image channels [B, K, size, size]."""
    return y[:, :, None, None].expand(-1, -1, size, size)


class CondNorm(nn.Module):
    """Batch- or group-norm whose affine scale/shift come from the labels when n_classes > 0."""

    def __init__(self, channels: int, n_classes: int = 0, kind: str = "batch"):
        super().__init__()
        affine = n_classes == 0
        if kind == "batch":
            self.norm: nn.Module = nn.BatchNorm2d(channels, affine=affine)
        elif kind == "group":
            self.norm = nn.GroupNorm(groups_for(channels), channels, affine=affine)
        else:
            raise ValueError(f"unknown norm {kind!r}")
        self.affine = None
        if n_classes > 0:
            # Zero weights: every label starts at the unconditional scale 1 / shift 0.
            self.affine = nn.Linear(n_classes, 2 * channels)
            nn.init.zeros_(self.affine.weight)
            with torch.no_grad():
                self.affine.bias.copy_(torch.cat([torch.ones(channels), torch.zeros(channels)]))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        out = self.norm(x)
        if self.affine is None:
            return out
        if y is None:
            y = x.new_zeros(x.shape[0], self.affine.in_features)  # "no label"
        scale, shift = self.affine(y)[:, :, None, None].chunk(2, dim=1)  # [B, C, 1, 1] each
        return out * scale + shift


class ResBlock(nn.Module):
    """Pre-activation residual block (GroupNorm → SiLU → 3×3 conv, twice); starts as identity."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(groups_for(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(groups_for(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SLE(nn.Module):
    """Skip-layer excitation (Liu et al. 2021): low-res features gate high-res channels."""

    def __init__(self, c_low: int, c_high: int):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Conv2d(c_low, c_high, 4),  # [B, c_high, 1, 1]
            nn.LeakyReLU(0.1),
            nn.Conv2d(c_high, c_high, 1),
            nn.Sigmoid(),
        )

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        return high * self.gate(low)


class SelfAttention(nn.Module):
    """SAGAN self-attention (Zhang et al. 2019): every position reads every other, so distant
    parts of a shape can agree; residual, with a gain that starts at 0 (the identity)."""

    def __init__(self, channels: int):
        super().__init__()
        keys = max(4, channels // 8)
        self.qk = nn.Conv2d(channels, 2 * keys, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.gain = nn.Parameter(torch.zeros(()))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, c, s, t = h.shape
        q, k = self.qk(h).flatten(2).transpose(1, 2).chunk(2, dim=2)  # [B, s·t, keys] each
        v = self.v(h).flatten(2).transpose(1, 2)  # [B, s·t, C]
        out = F.scaled_dot_product_attention(q, k, v)  # [B, s·t, C]
        return h + self.gain * out.transpose(1, 2).reshape(b, c, s, t)


def minibatch_std(h: torch.Tensor, group: int) -> torch.Tensor:
    """[N, c, b, b] → [N, 1, b, b]: the features' standard deviation across a group of samples
    (Karras et al. 2018), so the discriminator can see a batch of fakes lacking variety.

    Groups are runs of consecutive samples, the largest size ≤ `group` dividing N: a batch that
    stacks reals then fakes keeps them apart whenever each half is a multiple of the size."""
    n = h.shape[0]
    g = max(s for s in range(1, min(group, n) + 1) if n % s == 0)
    if g < 2:
        return h.new_zeros(n, 1, *h.shape[2:])
    grouped = h.float().view(n // g, g, *h.shape[1:])  # [N/g, g, c, b, b]
    std = (grouped.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # [N/g]
    return std.to(h.dtype).repeat_interleave(g)[:, None, None, None].expand(n, 1, *h.shape[2:])


class DiscriminatorHead(nn.Module):
    """Features [B, c, b, b] → logits [B]: a linear map of the features plus, when `mbstd_group`
    ≥ 2, their minibatch standard deviation; with labels adds a projection term (Miyato &
    Koyama 2018): <embed(y), Σ_hw features>, embed a linear map of the multi-hot labels."""

    def __init__(
        self, channels: int, base: int, n_classes: int = 0, sn: bool = True, mbstd_group: int = 0
    ):
        super().__init__()
        self.mbstd_group = mbstd_group
        extra = 1 if mbstd_group >= 2 else 0
        self.out = maybe_sn(nn.Linear((channels + extra) * base * base, 1), sn)
        self.embed = maybe_sn(nn.Linear(n_classes, channels, bias=False), sn) if n_classes else None

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        feats = h
        if self.mbstd_group >= 2:
            feats = torch.cat([h, minibatch_std(h, self.mbstd_group)], dim=1)  # [B, c+1, b, b]
        logits = self.out(feats.flatten(1)).squeeze(1)  # [B, (c+1)·b·b] → [B]
        if self.embed is not None and y is not None:
            logits = logits + (self.embed(y.to(h.dtype)) * h.sum(dim=(2, 3))).sum(1)
        return logits


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average (or nearest, when enlarging) resize of [B, C, H, W] to size×size."""
    if x.shape[-1] == size:
        return x
    mode = "area" if size < x.shape[-1] else "nearest"
    return F.interpolate(x, size=(size, size), mode=mode)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2016): conv N(0, 0.02), norm scale N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            sn = is_parametrized(m, "weight")
            nn.init.normal_(m.parametrizations.weight.original if sn else m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
