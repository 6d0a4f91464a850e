"""DiffAugment and ADA: identity when off, differentiable, seeded, shape-preserving, alpha-safe."""

from __future__ import annotations

import math

import pytest
import torch

from pokegen.training.augment import (
    adapt_probability,
    adaptive_augment,
    diff_augment,
    gaussian_blur,
)

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


@pytest.mark.parametrize("strength", [1.0, 0.5])
def test_color_is_brightness_then_saturation_then_contrast(strength):
    x = images(3, 8)
    out = diff_augment(x, "color", gen(4), color_strength=strength)
    g = gen(4)  # the op's draws, in its order: brightness, saturation, contrast
    b, s, c = (torch.rand(4, 1, 1, 1, generator=g) for _ in range(3))
    # DiffAugment's ranges at strength 1 (±0.5, ×[0, 2], ×[0.5, 1.5]), narrowed about the identity
    ref = x + (b - 0.5) * strength
    grey = ref.mean(dim=1, keepdim=True)
    ref = (ref - grey) * (1 + (s * 2 - 1) * strength) + grey
    mean = ref.mean(dim=(1, 2, 3), keepdim=True)
    ref = (ref - mean) * (1 + (c - 0.5) * strength) + mean
    torch.testing.assert_close(out, ref)


def test_color_at_strength_zero_is_identity():
    x = images(3, 8)
    torch.testing.assert_close(diff_augment(x, "color", gen(4), color_strength=0.0), x)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_translation_moves_each_image_by_its_own_shift(layout):
    x = images(3, 16)
    out = diff_augment(x.contiguous(memory_format=layout), "translation", gen(5))
    g = gen(5)  # the op's draws: vertical shifts, then horizontal, in [-2, 2] at 16 px
    ty, tx = (torch.randint(-2, 3, (4, 1, 1), generator=g).flatten().tolist() for _ in range(2))
    for i in range(4):
        ref = torch.zeros(3, 16, 16)  # out[y, x] = x[y + ty, x + tx], zero outside
        ys, xs = (
            slice(max(0, -ty[i]), min(16, 16 - ty[i])),
            slice(max(0, -tx[i]), min(16, 16 - tx[i])),
        )
        src_y = slice(ys.start + ty[i], ys.stop + ty[i])
        src_x = slice(xs.start + tx[i], xs.stop + tx[i])
        ref[:, ys, xs] = x[i, :, src_y, src_x]
        assert torch.equal(out[i], ref), (i, ty[i], tx[i])


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


def test_adaptive_augment_is_identity_at_p_zero():
    x = images()
    assert adaptive_augment(x, 0.0, gen(0)) is x


@pytest.mark.parametrize("channels", [3, 4])
def test_adaptive_augment_moves_every_image_at_p_one_differentiably_and_seeded(channels):
    x = images(channels, 24).requires_grad_(True)
    out = adaptive_augment(x, 1.0, gen(1))
    assert out.shape == x.shape
    moved = (out.detach() - x.detach()).abs().flatten(1).amax(1)  # [B]
    assert (moved > 0.1).all()
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    torch.testing.assert_close(adaptive_augment(x.detach(), 1.0, gen(1)), out.detach())
    assert not torch.equal(adaptive_augment(x.detach(), 1.0, gen(2)), out.detach())


def test_adaptive_augment_applies_each_op_with_probability_p():
    x = torch.linspace(-1, 1, 16).expand(400, 1, 16, 16)  # a horizontal ramp
    out = adaptive_augment(x, 0.2, gen(0))
    untouched = ((out - x).abs().flatten(1).amax(1) < 1e-4).float().mean()
    # Six coins (the shift draws one per axis, and a vertical one leaves this ramp as it is);
    # a 90° turn by 0 quarters is no turn.
    assert abs(untouched - (1 - 0.2 * 3 / 4) * 0.8**4) < 0.06


def test_adaptive_augment_reflects_instead_of_adding_a_frame():
    x = torch.full((64, 3, 16, 16), 0.7)  # a plain background stays plain under any transform
    torch.testing.assert_close(adaptive_augment(x, 1.0, gen(0)), x)


def test_ada_controller_follows_the_overfitting_sign_and_stays_in_0_1():
    assert adapt_probability(0.5, 0.7, 0.6, 0.1) == pytest.approx(0.6)  # D too sure: more
    assert adapt_probability(0.5, 0.5, 0.6, 0.1) == pytest.approx(0.4)  # less
    assert adapt_probability(0.95, 0.9, 0.6, 0.1) == 1.0
    assert adapt_probability(0.05, 0.1, 0.6, 0.1) == 0.0


def test_blur_off_is_identity_and_keeps_flat_images():
    x = images()
    assert gaussian_blur(x, 0.0) is x
    flat = torch.full((2, 3, 12, 12), 0.7)  # replicate padding: no dark frame at the border
    assert torch.allclose(gaussian_blur(flat, 1.5), flat, atol=1e-6)


@pytest.mark.parametrize("channels", [3, 4])
def test_blur_removes_pixel_stripes_but_keeps_coarse_shapes(channels):
    cols = torch.arange(32, dtype=torch.float32)
    stripes = ((cols % 2) * 2 - 1).expand(1, channels, 32, 32)  # period 2 px, ±1
    coarse = torch.sin(2 * math.pi * cols / 32).expand(1, channels, 32, 32)  # one period
    inner = (..., slice(4, -4), slice(4, -4))  # away from the padded border
    # the sampled σ-0.5 kernel (.11, .79, .11) passes 1 − 2 · 0.21 of the finest stripes
    assert gaussian_blur(stripes, 0.5)[inner].abs().max() < 0.6
    assert gaussian_blur(stripes, 1.0)[inner].abs().max() < 0.05
    assert (gaussian_blur(coarse, 0.5)[inner] - coarse[inner]).abs().max() < 0.02


def test_blur_is_differentiable_and_keeps_shape_and_layout():
    x = images(3, 20).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    out = gaussian_blur(x, 0.8)
    assert out.shape == x.shape
    out[:, :, 10, 10].sum().backward()
    grad = x.grad[0, 0]
    assert grad[10, 10] > grad[10, 11] > grad[10, 13] > 0  # a Gaussian footprint of radius 3
    assert grad[10, 14] == 0 and grad[14, 10] == 0


def test_the_discriminator_view_is_blurred_only_when_asked():
    from pokegen import config as C
    from pokegen.training.steps import StepContext

    x = images(3, 16)
    views = []
    for sigma in (0.0, 0.7):
        cfg = C.preset("gan", loss={"augment": "", "d_blur": sigma})
        ctx = StepContext(cfg, {}, {}, {}, gen(0), torch.device("cpu"))
        views.append(ctx.augment(x))
    assert views[0] is x
    assert torch.allclose(views[1], gaussian_blur(x, 0.7))
    assert not torch.allclose(views[1], x)


def test_color_probability_recolours_only_some_images():
    x = torch.rand(64, 3, 4, 4, generator=gen(0)) * 2 - 1
    assert torch.equal(diff_augment(x, "color", gen(5), color_p=0.0), x)
    out = diff_augment(x, "color", gen(5), color_p=0.5)
    kept = (out == x).flatten(1).all(1)  # [B]: images the coin left alone, bit for bit
    assert 16 < kept.sum() < 48
    # the recoloured ones got exactly the colour op's draws at full probability
    full = diff_augment(x, "color", gen(5))
    torch.testing.assert_close(out[~kept], full[~kept])
