"""A light FastGAN (Liu et al. 2021) sized for CPU training on a few hundred images.

Generator: z → base map (linear + GLU), 2× up-blocks (bilinear upsampling + 3×3 conv, a norm,
LeakyReLU, and `convs` − 1 more 3×3 conv/norm/LeakyReLU), skip-layer excitation from three
levels below, optionally self-attention at the level nearest a given size; then with convs ≥ 2
a feature level at full size and a 3×3 conv to RGB, with convs = 1 bilinear upsampling + one
3×3 conv to RGB.
The norm is group norm by default (label-conditional when conditional): it keeps samples
independent of the batch, so the EMA copy and single-image sampling behave exactly like
training; "batch" is FastGAN's own choice.
Discriminator: spectral-norm residual down-blocks, and two small decoders that reconstruct the
whole image and one quadrant from an 8×8-ish feature map — the self-supervised signal that keeps
a small-data discriminator from memorising.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pokegen.models.blocks import (
    SLE,
    CondNorm,
    DiscriminatorHead,
    SelfAttention,
    UpConv,
    down_conv,
    level_sizes,
    level_widths,
    maybe_sn,
    resize,
)

SLE_SPAN = 3  # a level is gated by the features this many doublings below it
RECON_MIN = 8  # reconstruct from the smallest discriminator map at least this large


def upsample_conv(c_in: int, c_out: int, size_out: int) -> nn.Module:
    """Bilinear upsampling then a 3×3 conv. Measured here (BENCHMARKS.md): transposed convs
    drifted into dotted grids and FastGAN's nearest upsampling into striped, dotted textures
    within a few minutes; bilinear's built-in low-pass keeps shapes smooth and clean."""
    return nn.Sequential(
        nn.Upsample(size=(size_out, size_out), mode="bilinear", align_corners=False),
        nn.Conv2d(c_in, c_out, 3, padding=1),
    )


class FastGANGenerator(nn.Module):
    """z [B, L] (+ labels) → [B, C, S, S]: up-blocks with skip-layer excitation."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        latent_dim: int,
        width: int,
        max_width: int,
        n_classes: int = 0,
        norm: str = "group",
        convs: int = 1,
        rgb_kernel: int = 3,
        attention: int = 0,
    ):
        super().__init__()
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        c_base, base = widths[-1], sizes[-1]
        extra = convs - 1  # 3×3 convs after each up-block's first (FastGAN itself has 2 in all)
        self.base_shape = (2 * c_base, base, base)
        self.stem = nn.Linear(latent_dim, 2 * c_base * base * base)
        self.stem_norm = CondNorm(2 * c_base, n_classes, norm)
        self.ups, self.norms = nn.ModuleList(), nn.ModuleList()
        feats = [c_base]  # channels of each hidden level, base first
        for i in reversed(range(1, len(widths))):  # widths[i] at sizes[i+1] → widths[i-1]
            self.ups.append(upsample_conv(widths[i], widths[i - 1], sizes[i]))
            self.norms.append(CondNorm(widths[i - 1], n_classes, norm))
            feats.append(widths[i - 1])
        self.sle = nn.ModuleDict(
            {str(j): SLE(feats[j - SLE_SPAN], feats[j]) for j in range(SLE_SPAN, len(feats))}
        )
        self.extra = nn.ModuleList(
            nn.ModuleList(ConvNorm(c, c, n_classes, norm) for _ in range(extra)) for c in feats[1:]
        )
        hidden = sizes[:0:-1]  # feats' sizes, base first
        # the level nearest the size asked for (ties: the smaller, cheaper one), so one setting
        # serves every image size: 8 is 8 px at 64 and 120, 6 px at 24 and 48, 10 px at 40
        self.attention_level, self.attention = -1, None
        if attention:
            at = min(range(len(hidden)), key=lambda i: (abs(hidden[i] - attention), hidden[i]))
            self.attention_level, self.attention = at, SelfAttention(feats[at])
        if extra:  # a feature level at full resolution, so details are not bilinear blur
            top = ConvNorm(widths[0], widths[0], n_classes, norm, up_to=sizes[0])
            more = [ConvNorm(widths[0], widths[0], n_classes, norm) for _ in range(extra - 1)]
            self.top = nn.ModuleList([top, *more])
            # oneDNN runs a conv to 3 channels at a fraction of its speed (BENCHMARKS.md)
            self.to_rgb = nn.Conv2d(widths[0], channels, rgb_kernel, padding=rgb_kernel // 2)
        else:  # the original light head: bilinear 2× and one conv straight to RGB
            self.top = nn.ModuleList()
            self.to_rgb = upsample_conv(widths[0], channels, sizes[0])

    def forward(
        self, z: torch.Tensor, y: torch.Tensor | None = None, temperature: float = 1.0
    ) -> torch.Tensor:
        # z is projected onto the sphere of radius √L (unit-RMS latents), so scaling z would
        # change nothing; a temperature scales the projection instead, which shrinks the
        # latent's part of the stem against its bias: T → 0 gives the one image G(0).
        h = self.stem(F.normalize(z, dim=1) * (z.shape[1] ** 0.5 * temperature))
        h = F.glu(self.stem_norm(h.view(-1, *self.base_shape), y), dim=1)  # [B, c, b, b]
        if self.attention_level == 0:
            h = self.attention(h)
        feats = [h]
        levels = zip(self.ups, self.norms, self.extra, strict=True)
        for j, (up, norm, extra) in enumerate(levels, start=1):
            h = F.leaky_relu(norm(up(h), y), 0.2)
            for block in extra:
                h = block(h, y)
            if str(j) in self.sle:
                h = self.sle[str(j)](feats[j - SLE_SPAN], h)
            if j == self.attention_level:
                h = self.attention(h)
            feats.append(h)
        for block in self.top:
            h = block(h, y)  # [B, w0, S, S]
        return torch.tanh(self.to_rgb(h))


class ConvNorm(nn.Module):
    """3×3 conv (after bilinear upsampling to `up_to` px if given), a norm, LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int, n_classes: int, norm: str, up_to: int | None = None):
        super().__init__()
        self.conv = (
            nn.Conv2d(c_in, c_out, 3, padding=1)
            if up_to is None
            else upsample_conv(c_in, c_out, up_to)
        )
        self.norm = CondNorm(c_out, n_classes, norm)

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return F.leaky_relu(self.norm(self.conv(h), y), 0.2)


class DownBlock(nn.Module):
    """Residual 2× down-block: (stride-2 conv → LReLU) averaged with (avg-pool → 1×1 conv)."""

    def __init__(self, c_in: int, c_out: int, size_in: int, sn: bool = True):
        super().__init__()
        self.main = nn.Sequential(maybe_sn(down_conv(c_in, c_out, size_in), sn), nn.LeakyReLU(0.2))
        self.skip = nn.Sequential(
            nn.AvgPool2d(2, ceil_mode=True),
            maybe_sn(nn.Conv2d(c_in, c_out, 1), sn),
            nn.LeakyReLU(0.2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.main(x) + self.skip(x))


class ReconDecoder(nn.Module):
    """Feature map [B, c, r, r] → image [B, C, r·2^n_up, r·2^n_up] in [-1, 1]."""

    def __init__(
        self, c_in: int, channels: int, size_in: int, n_up: int, width: int, rgb_kernel: int = 3
    ):
        super().__init__()
        c = max(8, width)
        layers: list[nn.Module] = [nn.Conv2d(c_in, c, 1), nn.LeakyReLU(0.2)]
        size = size_in
        for _ in range(n_up):
            size *= 2
            layers += [UpConv(c, max(8, c // 2), size), nn.LeakyReLU(0.2)]
            c = max(8, c // 2)
        layers += [nn.Conv2d(c, channels, rgb_kernel, padding=rgb_kernel // 2), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.body(h)


class FastGANDiscriminator(nn.Module):
    """Stride-2 stem + residual down-blocks (spectral norm) + reconstruction decoders (optional)."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        width: int,
        max_width: int,
        sn: bool = True,
        n_classes: int = 0,
        mbstd_group: int = 0,
        rgb_kernel: int = 3,
        decoders: bool = True,
    ):
        super().__init__()
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        self.image_size = image_size
        self.stem = nn.Sequential(
            maybe_sn(down_conv(channels, widths[0], sizes[0]), sn), nn.LeakyReLU(0.2)
        )
        self.blocks = nn.ModuleList(
            DownBlock(widths[i - 1], widths[i], sizes[i], sn) for i in range(1, len(widths))
        )
        self.head = DiscriminatorHead(widths[-1], sizes[-1], n_classes, sn, mbstd_group)
        self.decoders = decoders
        if not decoders:
            return
        # Stage i outputs widths[i] channels at sizes[i+1]; decode the last one ≥ RECON_MIN px.
        self.recon_stage = max([0] + [i for i in range(len(widths)) if sizes[i + 1] >= RECON_MIN])
        r = sizes[self.recon_stage + 1]
        n_up = 0
        while n_up < 2 and r * 2 ** (n_up + 1) <= image_size // 2:
            n_up += 1
        c_f = widths[self.recon_stage]
        self.full_size, self.part_size = r * 2**n_up, (r // 2) * 2 ** (n_up + 1)
        self.decode_full = ReconDecoder(c_f, channels, r, n_up, width, rgb_kernel)
        self.decode_part = ReconDecoder(c_f, channels, r // 2, n_up + 1, width, rgb_kernel)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The stem's and each down-block's activations [B, c_i, s_i, s_i], for feature matching."""
        feats = [self.stem(x)]
        for block in self.blocks:
            feats.append(block(feats[-1]))
        return feats

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        with_recon: bool = False,
        generator: torch.Generator | None = None,
        recon_rows: int | None = None,
    ):
        feats = self.features(x)
        logits = self.head(feats[-1], y)
        if not with_recon:
            return logits
        if not self.decoders:
            return logits, [], []
        # Only the first `recon_rows` images (the reals of a real+fake batch) are decoded: the
        # loss ignores the rest, and the small decoders are the least efficient convs of the step.
        b = x.shape[0] if recon_rows is None else recon_rows
        feat, x = feats[self.recon_stage][:b], x[:b]  # what the decoders read
        if generator is None:
            quad = torch.arange(b) % 4
        else:
            quad = torch.randint(4, (b,), generator=generator, device=generator.device).cpu()
        quad = quad.to(x.device)
        target_x = x.detach()
        recons = [self.decode_full(feat), self.decode_part(_quadrant(feat, quad))]
        targets = [
            resize(target_x, self.full_size),
            resize(_quadrant(target_x, quad), self.part_size),
        ]
        return logits, recons, targets


def _quadrant(x: torch.Tensor, quad: torch.Tensor) -> torch.Tensor:
    """Per-sample quadrant (0 TL, 1 TR, 2 BL, 3 BR) of [B, C, r, r] → [B, C, r//2, r//2]."""
    r = x.shape[-1]
    h, far = r // 2, r - r // 2  # odd r: the far quadrants start one pixel late
    crops = torch.stack(
        [x[..., oy : oy + h, ox : ox + h] for oy in (0, far) for ox in (0, far)]
    )  # [4, B, C, h, h]
    return crops[quad, torch.arange(x.shape[0], device=x.device)]
