"""The per-family steps' pieces that are pure functions of a context and tensors."""

from __future__ import annotations

import pytest
import torch

from pokegen import config as C
from pokegen.models import build_models
from pokegen.training import losses
from pokegen.training.augment import gaussian_blur
from pokegen.training.steps import StepContext, make_optimizers, reconstruction_nelbo, vae_step

CPU = torch.device("cpu")


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_reconstruction_term_forgives_only_what_its_blur_removes():
    x = gaussian_blur(torch.rand(4, 3, 16, 16, generator=gen(0)) * 2 - 1, 2.0)  # smooth
    checker = (torch.arange(16).view(1, 16) + torch.arange(16).view(16, 1)) % 2 * 0.6 - 0.3
    mu, logvar = torch.zeros(4, 8), torch.zeros(4, 8)  # the posterior is the prior: KL 0

    def term(sigma: float, recon: torch.Tensor) -> float:
        cfg = C.preset("gan", loss={"recon_blur": sigma, "kl_warmup_steps": 0})
        ctx = StepContext(cfg, {}, {}, {}, gen(0), torch.device("cpu"))
        return float(reconstruction_nelbo(ctx, x, recon, mu, logvar))

    exact = term(0.0, x)
    assert term(1.0, x) == pytest.approx(exact)  # both sides blurred: a perfect match stays one
    # a pixel-scale pattern, which the blur removes, costs far less ...
    assert term(1.0, x + checker) - exact < 0.1 * (term(0.0, x + checker) - exact)
    # ... a coarse one (a wrong colour) the same
    assert term(1.0, x + 0.3) == pytest.approx(term(0.0, x + 0.3), rel=1e-4)


def test_the_vae_l1_term_adds_its_weight_times_the_scaled_l1_and_leaves_the_nll_alone():
    x = torch.rand(4, 3, 16, 16, generator=gen(1)) * 2 - 1

    def setup(weight: float):
        cfg = C.preset(
            "vae",
            "quick",
            data={"image_size": 16},
            model={"width": 8, "latent_dim": 8},
            loss={"l1_weight": weight},
        )
        torch.manual_seed(0)
        return cfg, build_models(cfg.model, 16, 3)

    def step(weight: float) -> dict[str, torch.Tensor]:
        cfg, models = setup(weight)
        opts = make_optimizers(cfg, models)
        ctx = StepContext(cfg, dict(models.items()), dict(models.items()), opts, gen(0), CPU)
        return vae_step(ctx, x, torch.zeros(4, 0))

    plain, one, two = step(0.0), step(1.0), step(2.0)
    assert plain["loss_nll_bpd"] == one["loss_nll_bpd"] == two["loss_nll_bpd"]
    # the same net and noise outside the step: the term added is the scaled L1 per dimension
    vae = setup(0.0)[1]["vae"]
    with torch.no_grad():
        x_mean = vae(x, None, noise=torch.randn(4, 8, generator=gen(0)))[0]
        expected = losses.scaled_l1(x, x_mean, vae.log_sigma).mean() / x[0].numel()
    torch.testing.assert_close(one["loss"] - plain["loss"], expected)
    torch.testing.assert_close(two["loss"] - plain["loss"], 2 * expected)
