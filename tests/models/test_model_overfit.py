"""Each family/arch can fit one fixed batch: the loss falls clearly within a few dozen steps."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from pokegen.config import ModelConfig
from pokegen.models import build_models
from pokegen.training import losses

SIZE, B, L = 16, 4, 8


def batch() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(B, 3, SIZE, SIZE, generator=g) * 2 - 1
    return F.avg_pool2d(x, 3, 1, 1).clamp(-0.95, 0.95)  # smooth-ish, inside tanh's range


def fit(params, loss_fn, steps: int = 40, lr: float = 3e-3) -> tuple[float, float]:
    opt = torch.optim.Adam(params, lr=lr)
    first = last = None
    for _ in range(steps):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
        last = float(loss.detach())
    return first, last


def build(family: str, arch: str):
    torch.manual_seed(0)
    return build_models(
        ModelConfig(family=family, arch=arch, latent_dim=L, width=8, max_width=32), SIZE, 3
    )


@pytest.mark.parametrize("arch", ["conv", "resnet"])
def test_autoencoder_overfits(arch):
    ae, x = build("ae", arch)["ae"], batch()
    first, last = fit(ae.parameters(), lambda: F.mse_loss(ae(x), x))
    assert last < 0.5 * first


@pytest.mark.parametrize("arch", ["conv", "resnet"])
def test_vae_overfits(arch):
    vae, x = build("vae", arch)["vae"], batch()
    g = torch.Generator().manual_seed(0)

    def loss():
        x_mean, mu, logvar = vae(x, noise=torch.randn(B, L, generator=g))
        nll = losses.reconstruction_nll(x, x_mean, vae.log_sigma, "gaussian_learned")
        return (nll + 0.1 * losses.kl_normal(mu, logvar)).mean() / x[0].numel()

    first, last = fit(vae.parameters(), loss)
    assert last < first - 0.3  # nats per dimension


@pytest.mark.parametrize("arch", ["dcgan", "fastgan"])
def test_generator_fits_fixed_targets(arch):
    gen, x = build("gan", arch)["generator"], batch()
    z = torch.randn(B, L, generator=torch.Generator().manual_seed(0))
    first, last = fit(gen.parameters(), lambda: F.l1_loss(gen(z), x), lr=1e-2)
    assert last < 0.6 * first


@pytest.mark.parametrize("arch", ["dcgan", "fastgan"])
def test_discriminator_separates_fixed_batches(arch):
    disc, real = build("gan", arch)["discriminator"], batch()
    fake = torch.rand(B, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(2)) * 2 - 1

    def loss():
        logits, recons, targets = disc(torch.cat([real, fake]), with_recon=True)
        return losses.d_loss(logits[:B], logits[B:], "hinge") + losses.recon_loss_ssl(
            [r[:B] for r in recons], [t[:B] for t in targets]
        )

    first, last = fit(disc.parameters(), loss)
    assert last < 0.5 * first


def test_fastgan_reconstruction_decoders_learn():
    disc, real = build("gan", "fastgan")["discriminator"], batch()

    def loss():
        _, recons, targets = disc(real, with_recon=True)
        return losses.recon_loss_ssl(recons, targets)

    first, last = fit(disc.parameters(), loss, steps=60)
    assert last < 0.7 * first


def test_vae_gan_generator_learns_to_reconstruct_through_its_encoder():
    torch.manual_seed(0)
    cfg = ModelConfig("gan", "fastgan", latent_dim=L, width=8, max_width=32, encoder=True)
    gen, x = build_models(cfg, SIZE, 3)["generator"], batch()
    g = torch.Generator().manual_seed(0)

    def loss():
        z, noise = torch.randn(B, L, generator=g), torch.randn(B, L, generator=g)
        _, recon, mu, logvar = gen(z, x=x, noise=noise)
        return F.l1_loss(recon, x) + 1e-3 * losses.kl_normal(mu, logvar).mean()

    first, last = fit(gen.parameters(), loss, steps=60)
    assert last < 0.6 * first
