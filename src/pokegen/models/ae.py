"""Deterministic autoencoder, sampled through a latent density fitted to its codes."""

from __future__ import annotations

import torch
from torch import nn

from pokegen.models.codec import Decoder, Encoder
from pokegen.models.prior import LatentPrior


class AutoEncoder(nn.Module):
    """x → z [B, L] → x̂; new images come from decoding `prior.sample` (a fitted density)."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        latent_dim: int,
        width: int = 32,
        max_width: int = 256,
        arch: str = "resnet",
        n_classes: int = 0,
        prior: str = "gaussian",
        prior_components: int = 10,
        decoder_top: int = 0,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = Encoder(image_size, channels, latent_dim, width, max_width, arch, n_classes)
        self.decoder = Decoder(
            image_size, channels, latent_dim, width, max_width, arch, n_classes, decoder_top
        )
        self.prior = LatentPrior(latent_dim, prior, prior_components, n_classes=n_classes)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images [B, C, S, S] in [-1, 1] → codes [B, L]."""
        return self.encoder(x, y)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Codes [B, L] → images [B, C, S, S] in [-1, 1]."""
        return self.decoder(z, y)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, y), y)
