"""DiffAugment: identity when empty, differentiable, seeded, shape-preserving, alpha-safe."""

from __future__ import annotations

import pytest
import torch

from pokegen.training.augment import diff_augment

POLICY = "color,translation,cutout"


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images(c: int = 3, size: int = 16) -> torch.Tensor:
    return torch.rand(4, c, size, size, generator=gen(0)) * 2 - 1


def test_empty_policy_is_identity():
    x = images()
    assert diff_augment(x, "", gen(0)) is x
    assert diff_augment(x, " , ", gen(0)) is x


def test_unknown_policy():
    with pytest.raises(ValueError, match="unknown augmentation 'zoom'"):
        diff_augment(images(), "color,zoom", gen(0))


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", POLICY])
@pytest.mark.parametrize("channels", [3, 4])
def test_shape_gradient_and_determinism(policy, channels):
    x = images(channels, 24).requires_grad_(True)
    out = diff_augment(x, policy, gen(1))
    assert out.shape == x.shape
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    same = diff_augment(x.detach(), policy, gen(1))
    torch.testing.assert_close(out.detach(), same)
    assert not torch.equal(same, diff_augment(x.detach(), policy, gen(2)))


def test_color_leaves_alpha_alone():
    x = images(4)
    out = diff_augment(x, "color", gen(3))
    assert torch.equal(out[:, 3], x[:, 3])
    assert not torch.equal(out[:, :3], x[:, :3])


def test_translation_shifts_with_zero_fill():
    x = torch.ones(64, 1, 8, 8)
    out = diff_augment(x, "translation", gen(0))
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    zeros = (out == 0).flatten(1).sum(1)
    assert zeros.max() > 0 and (zeros <= 8 * 8 - 7 * 7).all()  # shifts of at most 1 px


def test_cutout_zeroes_a_half_size_square():
    out = diff_augment(torch.ones(32, 3, 16, 16), "cutout", gen(0))
    zeroed = (out[:, 0] == 0).flatten(1).sum(1)
    assert (zeroed > 0).all() and (zeroed <= 64).all() and (zeroed == 64).any()


def test_does_not_touch_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    diff_augment(images(), POLICY, gen(0))
    assert torch.equal(torch.rand(1), expected)
