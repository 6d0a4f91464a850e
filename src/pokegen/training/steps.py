"""One optimisation step per family, plugged into the single training loop in engine.py."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from pokegen.config import TrainConfig
from pokegen.training import losses
from pokegen.training.augment import adaptive_augment, diff_augment, gaussian_blur


@dataclass
class StepContext:
    """What a step needs: networks (maybe DDP-wrapped), optimisers, randomness, the step count."""

    cfg: TrainConfig
    nets: dict[str, nn.Module]  # what forward passes go through (DDP wrappers in a job)
    raw: dict[str, nn.Module]  # the plain modules
    opts: dict[str, torch.optim.Optimizer]
    generator: torch.Generator  # CPU generator: noise, flips, augmentation
    device: torch.device
    step: int = 0
    amp_dtype: torch.dtype | None = None
    scalers: dict[str, torch.amp.GradScaler] = field(default_factory=dict)
    aug_p: float = 0.0  # ADA's augmentation probability, adapted by the loop

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's view of a batch: ADA's geometric ops at p, DiffAugment, a blur."""
        x = adaptive_augment(x, self.aug_p, self.generator)
        lo = self.cfg.loss
        x = diff_augment(x, lo.augment, self.generator, lo.color_strength, lo.color_p)
        return gaussian_blur(x, lo.d_blur)

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision on CUDA when asked for; a no-op elsewhere."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def randn(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.generator).to(self.device)

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        """Backward and update one optimiser (through a gradient scaler for fp16)."""
        opt = self.opts[name]
        opt.zero_grad(set_to_none=True)
        scaler = self.scalers.get(name)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()


LOG_FIXED_SIGMA = math.log(losses.FIXED_SIGMA)  # the VAE-GAN generator's Laplace scale, 0.1

StepFn = Callable[[StepContext, torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]


def _cond(ctx: StepContext, y: torch.Tensor) -> torch.Tensor | None:
    return y if ctx.cfg.model.conditional else None


def ae_step(ctx: StepContext, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Autoencoder: minimise pixel MSE (maximises PSNR directly)."""
    with ctx.autocast():
        x_hat = ctx.nets["ae"](x, _cond(ctx, y))
    loss = F.mse_loss(x_hat.float(), x)
    ctx.optimize("ae", loss)
    return {"loss": loss.detach()}


def vae_step(ctx: StepContext, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """VAE: negative ELBO = reconstruction NLL + warmed-up β·KL, reported per dimension, plus
    `loss.l1_weight` × the L1 in units of σ (the reported NLL stays the likelihood's)."""
    lo = ctx.cfg.loss
    noise = ctx.randn(x.shape[0], ctx.cfg.model.latent_dim)
    with ctx.autocast():
        x_mean, mu, logvar = ctx.nets["vae"](x, _cond(ctx, y), noise=noise)
    x_mean, log_sigma = x_mean.float(), ctx.raw["vae"].log_sigma  # losses in fp32
    loss, nll, kl = negative_elbo(
        ctx, x, x_mean, mu.float(), logvar.float(), log_sigma, lo.likelihood
    )
    dims = x[0].numel()
    if lo.l1_weight:
        loss = loss + lo.l1_weight * losses.scaled_l1(x, x_mean, log_sigma).mean() / dims
    ctx.optimize("vae", loss)
    return {
        "loss": loss.detach(),
        "loss_nll_bpd": losses.bits_per_dim(nll.detach(), dims).mean(),
        "loss_kl_bpd": (kl.detach() / (dims * math.log(2))).mean(),
        "sigma": log_sigma.detach().exp(),
    }


def gan_step(ctx: StepContext, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """GAN: one discriminator update on augmented real+fake, then one generator update."""
    cfg, lo = ctx.cfg, ctx.cfg.loss
    G, D = ctx.nets["generator"], ctx.nets["discriminator"]
    raw_d = ctx.raw["discriminator"]
    fastgan = cfg.model.arch == "fastgan"
    b, cond = x.shape[0], _cond(ctx, y)

    # One batch of fakes serves both updates (as the PyTorch DCGAN example does): the
    # discriminator sees it detached, the generator then backpropagates through it.
    vae = cfg.model.encoder  # VAE-GAN: the same pass also reconstructs the reals
    on_recons = lo.adversarial == "recons"  # D judges G(E(x)); no prior samples are decoded
    z = None if vae and on_recons else ctx.randn(b, cfg.model.latent_dim)
    with ctx.autocast():
        if vae:
            noise = ctx.randn(b, cfg.model.latent_dim)
            fake, recon, mu, logvar = G(z, cond, x=x, noise=noise)
            if on_recons:
                fake = recon
        else:
            fake = G(z, cond)  # [B, C, S, S]

    # Discriminator: real and fake in one forward pass, so DDP all-reduces its gradients once.
    both = torch.cat([x, fake.detach().float()])
    both = ctx.augment(both)  # [2B, C, S, S]
    labels = None if cond is None else torch.cat([cond, cond])
    use_r1 = lo.r1_gamma > 0 and ctx.step % lo.r1_every == 0
    if use_r1:
        both = both.detach().requires_grad_(True)
    with ctx.autocast():
        out = D(both, labels, with_recon=True, recon_rows=b) if fastgan else D(both, labels)
    logits, recons, targets = out if fastgan else (out, [], [])
    real_logits, fake_logits = logits[:b].float(), logits[b:].float()
    loss_d = losses.d_loss(real_logits, fake_logits, lo.gan_loss)
    stats = {"loss_d": loss_d.detach()}
    if recons:  # FastGAN's self-supervised decoders, unless model.d_decoders is off
        ssl = losses.recon_loss_ssl(recons, targets)  # the reals' reconstructions only
        loss_d = loss_d + lo.recon_weight * ssl
        stats["loss_d_recon"] = ssl.detach()
    if use_r1:
        r1 = losses.r1_penalty(real_logits, both, rows=b)  # only the real half has a gradient
        loss_d = loss_d + lo.r1_gamma / 2 * lo.r1_every * r1
        stats["loss_r1"] = r1.detach()
    ctx.optimize("discriminator", loss_d)

    # Generator: D is frozen and called unwrapped, so no gradient reaches (or syncs) its weights.
    raw_d.requires_grad_(False)
    try:
        with ctx.autocast():
            aug = ctx.augment(fake)
            loss_g = losses.g_loss(raw_d(aug, cond).float(), lo.gan_loss)
        if lo.mode_seeking > 0:
            ms = losses.mode_seeking(fake.float(), z)
            loss_g = loss_g + lo.mode_seeking * ms
            stats["loss_g_ms"] = ms.detach()
        if vae:
            nelbo = reconstruction_nelbo(ctx, x, recon.float(), mu.float(), logvar.float())
            loss_g = loss_g + lo.vae_weight * nelbo
            stats["loss_g_nelbo"] = nelbo.detach()
            if lo.feature_matching > 0:  # un-augmented: both sides must see the same view
                with ctx.autocast():
                    with torch.no_grad():
                        real_feats = [f.float() for f in raw_d.features(x)]
                    fake_feats = [f.float() for f in raw_d.features(recon)]
                fm = losses.feature_matching(fake_feats, real_feats)
                loss_g = loss_g + lo.feature_matching * fm
                stats["loss_g_fm"] = fm.detach()
        ctx.optimize("generator", loss_g)
    finally:
        raw_d.requires_grad_(True)
    stats["loss_g"] = loss_g.detach()
    stats["d_real_sign"] = real_logits.detach().sign().mean()  # E[sign D(real)]: overfit signal
    return stats


def negative_elbo(
    ctx: StepContext,
    x: torch.Tensor,
    x_mean: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    log_sigma: torch.Tensor | float,
    likelihood: str,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss per dimension, NLL [B], KL [B]) of the VAE and of the VAE-GAN's generator alike:
    reconstruction NLL + warmed-up β·KL, divided by C·S·S so it is comparable across sizes."""
    lo = ctx.cfg.loss
    nll = losses.reconstruction_nll(x, x_mean, log_sigma, likelihood)
    kl = losses.kl_normal(mu, logvar, lo.free_bits)
    weight = losses.kl_weight(ctx.step, lo.kl_warmup_steps, lo.beta)
    return (nll + weight * kl).mean() / x[0].numel(), nll, kl


def reconstruction_nelbo(
    ctx: StepContext, x: torch.Tensor, recon: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> torch.Tensor:
    """The VAE-GAN generator's negative ELBO per dimension: Laplace at the fixed scale 0.1 (sharp,
    and no learned scale to push around); with `loss.recon_blur`, both sides blurred, so detail
    finer than the blur is left to the discriminator."""
    sigma = ctx.cfg.loss.recon_blur
    target, rebuilt = gaussian_blur(x, sigma), gaussian_blur(recon, sigma)
    loss, _, _ = negative_elbo(ctx, target, rebuilt, mu, logvar, LOG_FIXED_SIGMA, "laplace")
    return loss


@dataclass(frozen=True)
class FamilySpec:
    """How the loop trains one family: which modules are optimised and averaged, and the step."""

    optimized: tuple[str, ...]
    averaged: tuple[str, ...]  # EMA copies; sampling and evaluation use these
    step: StepFn
    # NHWC on the CPU too: the GAN's narrow convolutions ran 1.45× faster in oneDNN's
    # channels-last layout, the AE's and VAE's not at all (BENCHMARKS.md, step throughput).
    channels_last_on_cpu: bool = False

    def channels_last(self, device: torch.device) -> bool:
        """Whether models and batches use NHWC: always on CUDA (tensor cores), on CPU by family."""
        return device.type == "cuda" or self.channels_last_on_cpu


FAMILY_SPECS: dict[str, FamilySpec] = {
    "ae": FamilySpec(("ae",), ("ae",), ae_step),
    "vae": FamilySpec(("vae",), ("vae",), vae_step),
    "gan": FamilySpec(("generator", "discriminator"), ("generator",), gan_step, True),
}


def learning_rate(cfg: TrainConfig, module: str) -> float:
    return cfg.d_lr if module == "discriminator" and cfg.d_lr is not None else cfg.lr


def make_optimizers(
    cfg: TrainConfig, models: Mapping[str, nn.Module]
) -> dict[str, torch.optim.Optimizer]:
    """One Adam per optimised module of the family, as the engine and the benchmarks build them."""
    return {
        k: torch.optim.Adam(
            models[k].parameters(),
            lr=learning_rate(cfg, k),
            betas=(cfg.beta1, cfg.beta2),
            foreach=True,
        )
        for k in FAMILY_SPECS[cfg.family].optimized
    }
