"""LatentPrior: deterministic fits and draws, GMM cluster recovery, buffers that round-trip."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from pokegen.models import LatentPrior


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def clusters(n_per: int = 100, dim: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    centres = torch.tensor([[8.0] * dim, [-8.0] * dim, [8.0, -8.0] * (dim // 2)])
    z = torch.cat(
        [c + 0.5 * torch.randn(n_per, dim, generator=gen(i)) for i, c in enumerate(centres)]
    )
    return z, centres


@pytest.mark.parametrize("kind", ["gaussian", "gmm", "standard"])
def test_unfitted_prior_is_standard_normal(kind):
    prior = LatentPrior(4, kind, components=3)
    assert not prior.fitted
    torch.testing.assert_close(prior.sample(5, gen(3)), torch.randn(5, 4, generator=gen(3)))


def test_gaussian_fit_matches_mean_and_covariance():
    a = torch.tensor([[2.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.3, 0.2]])
    z = torch.randn(4000, 3, generator=gen(1)) @ a.T + torch.tensor([1.0, -2.0, 3.0])
    prior = LatentPrior(3, "gaussian")
    prior.fit(z, gen())
    assert prior.fitted
    s = prior.sample(20000, gen(2))
    torch.testing.assert_close(s.mean(0), z.mean(0), atol=0.06, rtol=0)
    torch.testing.assert_close(torch.cov(s.T), torch.cov(z.T), atol=0.08, rtol=0)


def test_gmm_recovers_separated_clusters():
    z, centres = clusters()
    prior = LatentPrior(6, "gmm", components=3)
    prior.fit(z, gen())
    found = prior.means[prior.weights.argsort(descending=True)]
    for c in centres:
        assert (found - c).norm(dim=1).min() < 0.3
    torch.testing.assert_close(prior.weights, torch.full((3,), 1 / 3), atol=1e-3, rtol=0)
    draws = prior.sample(300, gen(1))
    assert torch.cdist(draws, centres).min(dim=1).values.max() < 4  # every draw near a cluster


def test_temperature_scales_each_draw_about_its_component_mean():
    z, _ = clusters()
    prior = LatentPrior(6, "gmm", components=3)
    prior.fit(z, gen())
    full, cool = prior.sample(200, gen(4)), prior.sample(200, gen(4), temperature=0.25)
    near = torch.cdist(full, prior.means).argmin(dim=1)  # the same component for both draws
    torch.testing.assert_close(cool - prior.means[near], 0.25 * (full - prior.means[near]))
    torch.testing.assert_close(prior.sample(7, gen(5), temperature=1.0), prior.sample(7, gen(5)))


@pytest.mark.parametrize("kind", ["gaussian", "gmm"])
def test_fit_and_sample_are_deterministic(kind):
    z, _ = clusters(30)
    a, b = LatentPrior(6, kind, 4), LatentPrior(6, kind, 4)
    a.fit(z, gen(5))
    b.fit(z, gen(5))
    for key, value in a.state_dict().items():
        torch.testing.assert_close(value, b.state_dict()[key])
    torch.testing.assert_close(a.sample(7, gen(9)), b.sample(7, gen(9)))
    assert not torch.equal(a.sample(7, gen(9)), a.sample(7, gen(10)))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_gmm_with_fewer_points_than_components(n):
    z = torch.randn(n, 4, generator=gen())
    prior = LatentPrior(4, "gmm", components=10)
    prior.fit(z, gen())
    assert (prior.weights > 0).sum() <= n
    assert torch.isclose(prior.weights.sum(), torch.tensor(1.0))
    s = prior.sample(50, gen())
    assert s.shape == (50, 4) and torch.isfinite(s).all()


def test_gmm_with_duplicate_points():
    prior = LatentPrior(3, "gmm", components=4)
    prior.fit(torch.ones(20, 3), gen())
    assert torch.isfinite(prior.sample(10, gen())).all()


def test_state_dict_round_trip_through_safetensors(tmp_path):
    z, _ = clusters(40)
    prior = LatentPrior(6, "gmm", 3)
    prior.fit(z, gen())
    save_file(prior.state_dict(), tmp_path / "prior.safetensors")
    fresh = LatentPrior(6, "gmm", 3)
    fresh.load_state_dict(load_file(tmp_path / "prior.safetensors"))
    assert fresh.fitted
    torch.testing.assert_close(fresh.sample(8, gen(4)), prior.sample(8, gen(4)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown prior"):
        LatentPrior(4, "flow")
    with pytest.raises(ValueError, match="expected codes"):
        LatentPrior(4).fit(torch.zeros(5, 3), gen())


def test_conditional_prior_moves_draws_towards_each_labels_codes():
    g = gen(0)
    labels = torch.zeros(400, 3)
    labels[:200, 0] = 1
    labels[200:, 1] = 1  # class 2 never seen
    z = torch.randn(400, 4, generator=g)
    z[:200, 0] += 4.0  # class 0 sits at +4 on the first axis, class 1 at 0
    prior = LatentPrior(4, "gmm", components=2, n_classes=3)
    prior.fit(z, gen(1), labels)
    y0 = torch.zeros(2000, 3)
    y0[:, 0] = 1
    y1 = torch.zeros(2000, 3)
    y1[:, 1] = 1
    mean0 = prior.sample(2000, gen(2), y0)[:, 0].mean()
    mean1 = prior.sample(2000, gen(2), y1)[:, 0].mean()
    assert float(mean0 - mean1) > 3.0  # 4 apart, shrunk by 200/205 and blurred by the GMM
    torch.testing.assert_close(prior.class_shift[2], torch.zeros(4))  # unseen: no shift
    both = y0 + y1  # a dual type averages the two shifts
    torch.testing.assert_close(
        prior.shift(both[:1]), (prior.shift(y0[:1]) + prior.shift(y1[:1])) / 2
    )


def test_rare_labels_are_shrunk_towards_the_unconditional_density():
    z = torch.randn(100, 2, generator=gen(0))
    labels = torch.zeros(100, 2)
    labels[:50, 0] = 1
    labels[50, 1] = 1  # one image only
    z[:50] += 1.0
    z[50] += 10.0
    prior = LatentPrior(2, "gaussian", n_classes=2)
    prior.fit(z, gen(), labels)
    offset = z[50] - z.mean(0)
    torch.testing.assert_close(prior.class_shift[1], offset / 6)  # n / (n + 5) with n = 1


def test_conditional_prior_survives_a_state_dict_round_trip():
    z, labels = torch.randn(60, 5, generator=gen(0)), torch.eye(3).repeat(20, 1)
    prior = LatentPrior(5, "gmm", 2, n_classes=3)
    prior.fit(z, gen(), labels)
    fresh = LatentPrior(5, "gmm", 2, n_classes=3)
    fresh.load_state_dict(prior.state_dict())
    torch.testing.assert_close(
        fresh.sample(8, gen(4), labels[:8]), prior.sample(8, gen(4), labels[:8])
    )
