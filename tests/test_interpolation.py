"""Latent walks: slerp's endpoints and norms, and the public API's `interpolate`."""

import torch

import pokegen
from pokegen.interpolation import interpolate, slerp


def test_slerp_ends_at_both_latents_and_keeps_a_shared_norm():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 16, generator=g), torch.randn(5, 16, generator=g)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)  # equal norms per row
    torch.testing.assert_close(slerp(a, b, 0.0), a)
    torch.testing.assert_close(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    torch.testing.assert_close(mid.norm(dim=1), a.norm(dim=1))  # a straight line would shrink
    assert ((a + b) / 2).norm(dim=1).lt(a.norm(dim=1)).all()
    torch.testing.assert_close(mid, slerp(b, a, 0.5))  # symmetric halfway


def test_slerp_of_identical_latents_stays_finite():
    a = torch.randn(3, 8, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(slerp(a, a.clone(), 0.3), a, atol=1e-4, rtol=1e-4)


def test_public_api_interpolate_is_the_walk():
    assert pokegen.interpolate is interpolate
