"""GAN networks: the public Generator / Discriminator, and the DCGAN pair (Radford et al. 2016).

`arch` picks the body: "dcgan" (transposed convs + BatchNorm in G; strided convs + LeakyReLU in D,
spectral norm replacing D's BatchNorm when enabled) or "fastgan" (see fastgan.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pokegen.models.blocks import (
    CondNorm,
    DiscriminatorHead,
    UpConv,
    dcgan_init,
    down_conv,
    level_sizes,
    level_widths,
    maybe_sn,
)
from pokegen.models.codec import Encoder
from pokegen.models.fastgan import FastGANDiscriminator, FastGANGenerator
from pokegen.models.vae import gaussian_posterior, reparameterise

GAN_ARCHS = ("dcgan", "fastgan")
Recon = tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]


def _check_arch(arch: str) -> None:
    if arch not in GAN_ARCHS:
        raise ValueError(f"unknown gan arch {arch!r}; choose from {', '.join(GAN_ARCHS)}")


class Generator(nn.Module):
    """Latents z [B, L] (+ multi-hot labels [B, K]) → images [B, C, S, S] in [-1, 1].

    With `encoder=True` it also holds q(z|x), a small conv encoder, so the generator doubles as a
    VAE decoder (VAE-GAN, Larsen et al. 2016): every training image has a latent that must decode
    back to it, so the GAN cannot drop modes. The presets use it, with the discriminator judging
    the reconstructions G(E(x)) rather than prior samples (BENCHMARKS.md, seventh to tenth GAN
    rounds). Sampling never uses the encoder (latents come from N(0, I)); `pokegen reconstruct`
    decodes its posterior mean.
    """

    def __init__(
        self,
        image_size: int,
        channels: int,
        latent_dim: int,
        width: int = 32,
        max_width: int = 256,
        arch: str = "fastgan",
        n_classes: int = 0,
        norm: str = "group",
        encoder: bool = False,
        convs: int = 1,
        rgb_kernel: int = 3,
        attention: int = 0,
    ):
        super().__init__()
        _check_arch(arch)
        if attention and arch != "fastgan":
            raise ValueError("generator attention is a fastgan option")
        self.latent_dim, self.arch = latent_dim, arch
        self.encoder = (
            Encoder(image_size, channels, 2 * latent_dim, width, max_width, "conv", n_classes)
            if encoder
            else None
        )
        if arch == "dcgan":  # batch norm, as the DCGAN paper
            self.net = DCGANGenerator(image_size, channels, latent_dim, width, max_width, n_classes)
        else:
            self.net = FastGANGenerator(
                image_size,
                channels,
                latent_dim,
                width,
                max_width,
                n_classes,
                norm,
                convs,
                rgb_kernel,
                attention,
            )

    def forward(
        self,
        z: torch.Tensor | None,
        y: torch.Tensor | None = None,
        x: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
        temperature: float = 1.0,
    ) -> torch.Tensor | tuple[torch.Tensor | None, ...]:
        """G(z); given reals x and noise [B, L] also their reconstructions, in one pass:
        (fakes, reconstructions, μ, logvar) with z_x = μ + σ·noise (reparameterised); with
        z None only the reconstructions are decoded (fakes is None). `temperature` < 1 pulls
        samples towards G(0), the image of the mean latent (BigGAN's truncation; see each
        body's forward)."""
        if x is None:
            if z is None:
                raise ValueError("the generator needs latents z or images x to reconstruct")
            return self.net(z, y, temperature)
        if self.encoder is None or noise is None:
            raise ValueError("reconstructing needs a generator built with encoder=True and noise")
        mu, logvar = gaussian_posterior(self.encoder(x, y))  # [B, 2L] → 2 × [B, L]
        z_x = reparameterise(mu, logvar, noise)
        if z is None:
            return None, self.net(z_x, y), mu, logvar
        both = self.net(torch.cat([z, z_x]), None if y is None else torch.cat([y, y]))  # [2B, …]
        fakes, recons = both.chunk(2, dim=0)
        return fakes, recons, mu, logvar


class Discriminator(nn.Module):
    """Images [B, C, S, S] (+ labels) → realness logits [B].

    `with_recon=True` also returns (recons, targets) from FastGAN's self-supervised decoders
    (empty lists for "dcgan" or `decoders=False`) for the first `recon_rows` images (default:
    all); `generator` picks their crop quadrants (default: index mod 4).
    """

    def __init__(
        self,
        image_size: int,
        channels: int,
        width: int = 32,
        max_width: int = 256,
        arch: str = "fastgan",
        spectral_norm: bool = True,
        n_classes: int = 0,
        mbstd_group: int = 0,
        rgb_kernel: int = 3,
        decoders: bool = True,
    ):
        super().__init__()
        _check_arch(arch)
        self.arch = arch
        args = (image_size, channels, width, max_width, spectral_norm, n_classes, mbstd_group)
        if arch == "dcgan":
            self.net = DCGANDiscriminator(*args)
        else:
            self.net = FastGANDiscriminator(*args, rgb_kernel=rgb_kernel, decoders=decoders)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """FastGAN's intermediate activations, coarser with each entry (feature matching)."""
        if self.arch != "fastgan":
            raise ValueError("discriminator features are a fastgan option")
        return self.net.features(x)

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        with_recon: bool = False,
        generator: torch.Generator | None = None,
        recon_rows: int | None = None,
    ) -> torch.Tensor | Recon:
        if self.arch == "fastgan":
            return self.net(x, y, with_recon, generator, recon_rows)
        logits = self.net(x, y)
        return (logits, [], []) if with_recon else logits


class DCGANGenerator(nn.Module):
    """z as a 1×1 map → transposed conv to the base → 2× transposed convs + BN + ReLU → tanh."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        latent_dim: int,
        width: int,
        max_width: int,
        n_classes: int = 0,
    ):
        super().__init__()
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        self.stem = nn.ConvTranspose2d(latent_dim, widths[-1], sizes[-1], bias=False)
        self.norms = nn.ModuleList([CondNorm(widths[-1], n_classes, "batch")])
        self.ups = nn.ModuleList()
        for i in reversed(range(1, len(widths))):  # widths[i] at sizes[i+1] → widths[i-1]
            self.ups.append(UpConv(widths[i], widths[i - 1], sizes[i], False, smooth_init=False))
            self.norms.append(CondNorm(widths[i - 1], n_classes, "batch"))
        self.to_rgb = UpConv(widths[0], channels, sizes[0], False, smooth_init=False)
        dcgan_init(self)

    def forward(
        self, z: torch.Tensor, y: torch.Tensor | None = None, temperature: float = 1.0
    ) -> torch.Tensor:
        z = z * temperature  # a narrower N(0, T²I) draw, as Glow's temperature
        h = F.relu(self.norms[0](self.stem(z[:, :, None, None]), y))  # [B, c, b, b]
        for up, norm in zip(self.ups, self.norms[1:], strict=True):
            h = F.relu(norm(up(h), y))
        return torch.tanh(self.to_rgb(h))


class DCGANDiscriminator(nn.Module):
    """Stride-2 convs + LeakyReLU(0.2) (BatchNorm after the first unless spectral norm)."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        width: int,
        max_width: int,
        sn: bool = True,
        n_classes: int = 0,
        mbstd_group: int = 0,
    ):
        super().__init__()
        sizes = level_sizes(image_size)
        widths = level_widths(len(sizes) - 1, width, max_width)
        layers: list[nn.Module] = []
        c_in = channels
        for i, c in enumerate(widths):
            layers.append(maybe_sn(down_conv(c_in, c, sizes[i], bias=sn or i == 0), sn))
            layers += [nn.BatchNorm2d(c)] if i > 0 and not sn else []
            layers.append(nn.LeakyReLU(0.2))
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = DiscriminatorHead(c_in, sizes[-1], n_classes, sn, mbstd_group)
        dcgan_init(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), y)
