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
