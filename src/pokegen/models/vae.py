"""Variational autoencoder (Kingma & Welling 2014) with a learned observation scale."""

from __future__ import annotations

import math

import torch
from torch import nn

from pokegen.models.codec import Decoder, Encoder
from pokegen.models.prior import LatentPrior

LOG_SIGMA_INIT = math.log(0.1)  # ≈ 13/255: near where σ ends up, so early KL balance is sane
LOGVAR_RANGE = (-30.0, 20.0)  # keeps exp(logvar) finite in fp16/fp32


def gaussian_posterior(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An encoder's [B, 2L] output → (μ, clamped log-variance), each [B, L]."""
    mu, logvar = h.chunk(2, dim=1)
    return mu, logvar.clamp(*LOGVAR_RANGE)


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """z = μ + σ·noise: a posterior sample that gradients flow through."""
    return mu + (0.5 * logvar).exp() * noise


class VAE(nn.Module):
    """q(z|x) = N(μ, diag σ²); p(x|z) has mean `decode(z)` and scale exp(log_sigma)."""

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
        self.encoder = Encoder(
            image_size, channels, 2 * latent_dim, width, max_width, arch, n_classes
        )
        self.decoder = Decoder(
            image_size, channels, latent_dim, width, max_width, arch, n_classes, decoder_top
        )
        # Read by the learned-scale likelihoods (gaussian_learned, laplace); shared by all pixels.
        self.log_sigma = nn.Parameter(torch.tensor(LOG_SIGMA_INIT))
        # Standard normal until fitted; a "gmm" fitted on posterior means may sharpen samples.
        self.prior = LatentPrior(latent_dim, prior, prior_components, n_classes=n_classes)

    def encode(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Images [B, C, S, S] → posterior (mean, log-variance), each [B, L]."""
        return gaussian_posterior(self.encoder(x, y))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Codes [B, L] → likelihood mean [B, C, S, S] in [-1, 1]."""
        return self.decoder(z, y)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_mean, μ, logvar) with z = μ + σ·noise (reparameterised; noise None → z = μ)."""
        mu, logvar = self.encode(x, y)
        z = mu if noise is None else reparameterise(mu, logvar, noise)
        return self.decode(z, y), mu, logvar
