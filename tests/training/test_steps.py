"""The per-family steps' pieces that are pure functions of a context and tensors."""

from __future__ import annotations

import pytest
import torch

from pokegen import config as C
from pokegen.training.augment import gaussian_blur
from pokegen.training.steps import StepContext, reconstruction_nelbo


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
