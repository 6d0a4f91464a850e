"""Networks (weights only) and the registry that builds a family's modules from a ModelConfig."""

from __future__ import annotations

from torch import nn

from pokegen.config import ModelConfig
from pokegen.models.ae import AutoEncoder
from pokegen.models.codec import CODEC_ARCHS
from pokegen.models.gan import GAN_ARCHS, Discriminator, Generator
from pokegen.models.prior import LatentPrior
from pokegen.models.vae import VAE

__all__ = ["VAE", "AutoEncoder", "Discriminator", "Generator", "LatentPrior", "build_models"]

ARCHS = {"ae": CODEC_ARCHS, "vae": CODEC_ARCHS, "gan": GAN_ARCHS}


def build_models(cfg: ModelConfig, image_size: int, channels: int) -> nn.ModuleDict:
    """The family's modules: {"ae"}, {"vae"} or {"generator", "discriminator"}."""
    if cfg.family not in ARCHS:
        raise ValueError(f"unknown family {cfg.family!r}; choose from {', '.join(ARCHS)}")
    if cfg.arch not in ARCHS[cfg.family]:
        choices = ", ".join(ARCHS[cfg.family])
        raise ValueError(f"unknown {cfg.family} arch {cfg.arch!r}; choose from {choices}")
    if image_size % 8 or not 16 <= image_size <= 256:
        raise ValueError(f"image size must be a multiple of 8 from 16 to 256, got {image_size}")
    if cfg.conditional and cfg.n_classes < 1:
        raise ValueError("conditional models need n_classes ≥ 1 (labels from the data)")
    k = cfg.n_classes if cfg.conditional else 0
    shared = dict(
        image_size=image_size,
        channels=channels,
        width=cfg.width,
        max_width=cfg.max_width,
        arch=cfg.arch,
        n_classes=k,
    )
    if cfg.family == "gan":
        generator = Generator(
            **shared,
            latent_dim=cfg.latent_dim,
            norm=cfg.g_norm,
            encoder=cfg.encoder,
            convs=cfg.g_convs,
            rgb_kernel=cfg.rgb_kernel,
            attention=cfg.g_attention,
        )
        d_width = cfg.width if cfg.d_width is None else cfg.d_width
        discriminator = Discriminator(
            **{**shared, "width": d_width},
            spectral_norm=cfg.spectral_norm,
            mbstd_group=cfg.mbstd_group,
            rgb_kernel=cfg.rgb_kernel,
            decoders=cfg.d_decoders,
        )
        return nn.ModuleDict({"generator": generator, "discriminator": discriminator})
    cls = AutoEncoder if cfg.family == "ae" else VAE
    net = cls(
        **shared,
        latent_dim=cfg.latent_dim,
        prior=cfg.prior,
        prior_components=cfg.prior_components,
        decoder_top=cfg.decoder_top,
    )
    return nn.ModuleDict({cfg.family: net})
