"""Loss functions on small hand-checked inputs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from pokegen.training import losses


def test_hinge_and_ns_known_values():
    real, fake = torch.tensor([2.0, -2.0]), torch.tensor([-2.0, 2.0])
    # hinge: relu(1 - r) = [0, 3] → 1.5; relu(1 + f) = [0, 3] → 1.5
    assert losses.d_loss(real, fake, "hinge").item() == pytest.approx(3.0)
    assert losses.g_loss(fake, "hinge").item() == pytest.approx(0.0)
    assert losses.g_loss(torch.tensor([2.0, 2.0]), "hinge").item() == pytest.approx(-2.0)
    sp = math.log1p(math.exp(-2)), math.log1p(math.exp(2))  # softplus(−2), softplus(2)
    assert losses.d_loss(real, fake, "ns").item() == pytest.approx(sum(sp))
    assert losses.g_loss(torch.tensor([2.0]), "ns").item() == pytest.approx(sp[0])
    with pytest.raises(ValueError, match="unknown GAN loss"):
        losses.d_loss(real, fake, "wgan")


def test_kl_of_standard_normal_is_zero():
    mu, logvar = torch.zeros(3, 5), torch.zeros(3, 5)
    assert torch.equal(losses.kl_normal(mu, logvar), torch.zeros(3))


def test_kl_known_value():
    # KL(N(1, e²) ‖ N(0, 1)) = ½(1 + e² − 1 − 2) per dimension
    kl = losses.kl_normal(torch.ones(1, 2), torch.full((1, 2), 2.0))
    assert kl.item() == pytest.approx(2 * 0.5 * (1 + math.exp(2) - 3))


def test_free_bits_floor_and_gradient():
    mu = torch.tensor([[0.1, 3.0], [-0.1, 3.0]], requires_grad=True)
    logvar = torch.zeros(2, 2)
    kl = losses.kl_normal(mu, logvar, free_bits=0.5)
    # dim 0: mean KL 0.005 < 0.5 → counted as 0.5; dim 1: 4.5 ≥ 0.5 → kept
    torch.testing.assert_close(kl, torch.tensor([5.0, 5.0]))
    kl.mean().backward()
    assert mu.grad[:, 0].abs().sum() == 0 and mu.grad[:, 1].abs().sum() > 0
    plain = losses.kl_normal(mu, logvar, free_bits=0.0)
    torch.testing.assert_close(plain, torch.tensor([0.005 + 4.5, 0.005 + 4.5]))


def test_gaussian_nll_known_value_and_learned_sigma():
    x, m = torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.1)
    nll = losses.reconstruction_nll(x, m, torch.tensor(0.0), "gaussian_learned")
    assert nll.item() == pytest.approx(4 * (0.5 * 0.01 + 0.5 * math.log(2 * math.pi)), rel=1e-5)
    # fixed σ = 0.1: each pixel (0.1/0.1)²/2 + log 0.1 + ½ log 2π, whatever log_sigma says
    fixed = losses.reconstruction_nll(x, m, torch.tensor(5.0), "gaussian")
    expected = 4 * (0.5 + math.log(0.1) + 0.5 * math.log(2 * math.pi))
    assert fixed.item() == pytest.approx(expected, rel=1e-5)


def test_laplace_and_bernoulli():
    x, m = torch.zeros(1, 3), torch.full((1, 3), 0.2)
    lap = losses.reconstruction_nll(x, m, math.log(0.5), "laplace")
    assert lap.item() == pytest.approx(3 * (0.2 / 0.5 + math.log(2 * 0.5)), rel=1e-5)
    # x = 0 → target ½; x_mean = 0.2 → p = 0.6: −½ log 0.6 − ½ log 0.4 per pixel
    ber = losses.reconstruction_nll(x, m, 0.0, "bernoulli")
    assert ber.item() == pytest.approx(3 * -0.5 * (math.log(0.6) + math.log(0.4)), rel=1e-5)
    with pytest.raises(ValueError, match="unknown likelihood"):
        losses.reconstruction_nll(x, m, 0.0, "poisson")


def test_learned_sigma_gets_a_gradient():
    log_sigma = nn.Parameter(torch.tensor(0.0))
    x, m = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.1)
    losses.reconstruction_nll(x, m, log_sigma, "gaussian_learned").sum().backward()
    assert log_sigma.grad is not None and log_sigma.grad > 0  # σ = 1 ≫ error: shrink it


def test_scaled_l1_is_the_l1_in_units_of_sigma_and_pulls_sigma_up():
    x, m = torch.zeros(2, 1, 2, 2), torch.tensor([0.1, -0.3]).view(2, 1, 1, 1).expand(2, 1, 2, 2)
    log_sigma = nn.Parameter(torch.tensor(math.log(0.5)))
    l1 = losses.scaled_l1(x, m, log_sigma)
    torch.testing.assert_close(l1, torch.tensor([4 * 0.1 / 0.5, 4 * 0.3 / 0.5]))
    l1.sum().backward()
    assert log_sigma.grad < 0  # a larger σ shrinks the term: the Gaussian's log σ must hold it


def test_bits_per_dim_of_perfect_fit_gaussian():
    x = torch.rand(2, 3, 4, 4) * 2 - 1
    dims = x[0].numel()
    # σ = one 8-bit level (1/127.5): bpd = ½ log2(2π) for a perfect mean, independent of x
    nll = losses.reconstruction_nll(x, x, torch.tensor(math.log(1 / 127.5)), "gaussian_learned")
    torch.testing.assert_close(
        losses.bits_per_dim(nll, dims), torch.full((2,), 0.5 * math.log2(2 * math.pi))
    )
    # a wider σ costs exactly log2(ratio) more bits per dimension
    wide = losses.reconstruction_nll(x, x, torch.tensor(math.log(4 / 127.5)), "gaussian_learned")
    torch.testing.assert_close(
        losses.bits_per_dim(wide, dims) - losses.bits_per_dim(nll, dims), torch.full((2,), 2.0)
    )


def test_kl_weight_warmup():
    assert losses.kl_weight(0, 100, 2.0) == 0.0
    assert losses.kl_weight(50, 100, 2.0) == pytest.approx(1.0)
    assert losses.kl_weight(500, 100, 2.0) == 2.0
    assert losses.kl_weight(0, 0, 0.5) == 0.5


def test_r1_of_linear_discriminator_is_weight_norm_squared():
    lin = nn.Linear(12, 1)
    x = torch.randn(5, 3, 2, 2, requires_grad=True)
    logits = lin(x.flatten(1)).squeeze(1)
    r1 = losses.r1_penalty(logits, x)
    assert r1.item() == pytest.approx(lin.weight.square().sum().item(), rel=1e-5)
    r1.backward()  # create_graph=True: differentiable w.r.t. the weights
    assert lin.weight.grad is not None
    both = torch.cat([x.detach(), torch.randn(5, 3, 2, 2)]).requires_grad_(True)
    real_logits = lin(both[:5].flatten(1)).squeeze(1)  # a real+fake batch, reals first
    r1_rows = losses.r1_penalty(real_logits, both, rows=5)
    assert r1_rows.item() == pytest.approx(r1.item(), rel=1e-5)  # averaged over the reals only


def test_recon_loss_ssl():
    a, b = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
    assert losses.recon_loss_ssl([a, a], [b, a]).item() == pytest.approx(0.5)
    assert losses.recon_loss_ssl([], []).item() == 0.0


def test_feature_matching_is_the_mean_l1_per_layer_and_only_moves_the_fakes():
    real = [torch.zeros(2, 4, 8, 8).requires_grad_(True), torch.zeros(2, 8, 4, 4)]
    fake = [torch.ones(2, 4, 8, 8).requires_grad_(True), torch.full((2, 8, 4, 4), 3.0)]
    fm = losses.feature_matching(fake, real)
    assert fm.item() == pytest.approx((1.0 + 3.0) / 2)  # layers weigh alike whatever their size
    fm.backward()
    assert fake[0].grad is not None and real[0].grad is None  # the reals are the target
    assert losses.feature_matching(real, real).item() == 0.0
    with pytest.raises(ValueError, match="feature maps"):
        losses.feature_matching(fake, real[:1])


def test_mode_seeking_punishes_latents_that_give_alike_images():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(8, 4, generator=g)
    same = torch.zeros(8, 3, 6, 6).requires_grad_(True)
    varied = torch.randn(8, 3, 6, 6, generator=g)
    assert losses.mode_seeking(same, z) > 1e3 * losses.mode_seeking(varied, z)
    fake = (0.01 * torch.randn(8, 3, 6, 6, generator=g)).requires_grad_(True)
    losses.mode_seeking(fake, z).backward()
    stepped = fake - 1e-3 * fake.grad  # one descent step moves the two halves apart
    gap = lambda x: (x[:4] - x[4:]).abs().mean()  # noqa: E731
    assert gap(stepped) > gap(fake)
    assert losses.mode_seeking(torch.zeros(1, 3, 6, 6), z[:1]) == 0  # no pair: nothing
