"""Loss functions as pure tensor maps: no state, no randomness, no module calls.

Likelihoods are densities over pixels in [-1, 1] and return nats per image (summed over
C·S·S dimensions); `bits_per_dim` converts them to the usual 8-bit discretised bits per dimension.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pokegen.config import GAN_LOSSES, LIKELIHOODS

FIXED_SIGMA = 0.1  # "gaussian": σ on the [-1, 1] scale (≈ 13 of 255 levels); loss = SSE/0.02 + c
BERNOULLI_EPS = 1e-6  # probability clamp for "bernoulli"
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _per_image(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).sum(1)  # [B, ...] → [B]


def reconstruction_nll(
    x: torch.Tensor, x_mean: torch.Tensor, log_sigma: torch.Tensor | float, likelihood: str
) -> torch.Tensor:
    """−log p(x | x_mean) in nats per image [B], summed over pixels.

    gaussian_learned: N(x_mean, σ²), σ = exp(log_sigma) learned (σ-VAE, Rybkin et al. 2021).
    gaussian: N(x_mean, FIXED_SIGMA²) — a scaled MSE; log_sigma is ignored.
    laplace: Laplace(x_mean, b), b = exp(log_sigma) learned; sharper than a Gaussian (L1).
    bernoulli: cross-entropy of targets (x+1)/2 against p = (x_mean+1)/2 (the decoder's tanh is
    then a sigmoid of twice its logit); the "continuous Bernoulli" without its normaliser, so its
    nats are not a density and its bits/dim are not comparable with the others.
    """
    if likelihood == "gaussian_learned" or likelihood == "gaussian":
        log_s = torch.as_tensor(
            log_sigma if likelihood == "gaussian_learned" else math.log(FIXED_SIGMA),
            dtype=x.dtype,
            device=x.device,
        )
        z = (x - x_mean) * torch.exp(-log_s)
        return _per_image(0.5 * z.square() + log_s + HALF_LOG_2PI)
    if likelihood == "laplace":
        log_b = torch.as_tensor(log_sigma, dtype=x.dtype, device=x.device)
        return _per_image((x - x_mean).abs() * torch.exp(-log_b) + log_b + math.log(2.0))
    if likelihood == "bernoulli":
        p = ((x_mean + 1) / 2).clamp(BERNOULLI_EPS, 1 - BERNOULLI_EPS)
        target = ((x + 1) / 2).clamp(0, 1)
        return _per_image(F.binary_cross_entropy(p, target, reduction="none"))
    raise ValueError(f"unknown likelihood {likelihood!r}; choose from {', '.join(LIKELIHOODS)}")


def scaled_l1(x: torch.Tensor, x_mean: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """Σ|x − x_mean| / σ per image [B]: an L1 pull towards the median, in the units of a
    learned Gaussian's scale σ = exp(log_sigma), so its weight keeps its meaning as σ shrinks."""
    return _per_image((x - x_mean).abs()) * torch.exp(-log_sigma)


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor, free_bits: float = 0.0) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) in nats per sample [B]; free bits stop pushing small dimensions.

    With free_bits λ > 0 (Kingma et al. 2016), a dimension whose batch-averaged KL is below λ
    contributes the constant λ (no gradient), so the batch mean is Σ_d max(λ, E_batch KL_d).
    """
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)  # [B, L]
    if free_bits > 0:
        active = kl.mean(0, keepdim=True).detach() >= free_bits  # [1, L]
        kl = torch.where(active, kl, torch.full_like(kl, free_bits))
    return kl.sum(1)


def bits_per_dim(nats: torch.Tensor, num_dims: int) -> torch.Tensor:
    """Nats per image over [-1, 1] → bits per dimension on the 8-bit grid [0, 255].

    Rescaling [-1, 1] to [0, 255] multiplies a density by 1/127.5 per dimension, and a bin of
    width 1 there has probability ≈ density, so bpd = nats / (D·ln 2) + log2(127.5).
    """
    return nats / (num_dims * math.log(2)) + math.log2(127.5)


def kl_weight(step: int, warmup_steps: int, beta: float) -> float:
    """β times a linear warm-up from 0 over warmup_steps (lets the decoder learn first)."""
    if warmup_steps <= 0:
        return float(beta)
    return float(beta) * min(1.0, step / warmup_steps)


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Discriminator loss: hinge (Lim & Ye 2017) or non-saturating logistic (Goodfellow 2014)."""
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if kind == "ns":
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    raise ValueError(f"unknown GAN loss {kind!r}; choose from {', '.join(GAN_LOSSES)}")


def g_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Generator loss: −D(G(z)) for hinge, softplus(−D(G(z))) (non-saturating) for ns."""
    if kind == "hinge":
        return -fake_logits.mean()
    if kind == "ns":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"unknown GAN loss {kind!r}; choose from {', '.join(GAN_LOSSES)}")


def mode_seeking(fake: torch.Tensor, z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """MSGAN's term (Mao et al. 2019) to minimise: 1 / (mean |G(z1) − G(z2)| / mean |z1 − z2|)
    over the two halves of a batch, which grows when different latents give alike images."""
    half = fake.shape[0] // 2
    if half == 0:
        return fake.new_zeros(())
    image_gap = (fake[:half] - fake[half : 2 * half]).abs().mean()
    latent_gap = (z[:half] - z[half : 2 * half]).abs().mean()
    return 1.0 / (image_gap / latent_gap + eps)


def r1_penalty(
    real_logits: torch.Tensor, real_images: torch.Tensor, rows: int | None = None
) -> torch.Tensor:
    """E‖∇ₓD(x)‖² on reals (Mescheder et al. 2018); the caller multiplies by γ/2. With `rows`,
    only the first rows of `real_images` are reals (a real+fake batch judged in one pass)."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad[:rows].square().flatten(1).sum(1).mean()


def feature_matching(fake: list[torch.Tensor], real: list[torch.Tensor]) -> torch.Tensor:
    """Mean over layers of the L1 between D's features of fakes and of their paired reals
    (pix2pixHD): a reconstruction measured where the discriminator looks, not per pixel."""
    if len(fake) != len(real) or not fake:
        raise ValueError(f"got {len(fake)} fake and {len(real)} real feature maps")
    return _mean_l1(fake, [r.detach() for r in real])


def recon_loss_ssl(recons: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    """Mean L1 of FastGAN's discriminator decoders against their targets (0 when there are none)."""
    if len(recons) != len(targets):
        raise ValueError(f"got {len(recons)} reconstructions for {len(targets)} targets")
    if not recons:
        return torch.zeros(())
    return _mean_l1(recons, targets)


def _mean_l1(outputs: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    """Mean over pairs of each pair's L1, so every map weighs alike whatever its size."""
    terms = [F.l1_loss(o, t.to(o.dtype)) for o, t in zip(outputs, targets, strict=True)]
    return torch.stack(terms).mean()
