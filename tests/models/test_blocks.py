"""Building blocks: smooth transposed-conv init, norms, quadrant crops."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pokegen.models.blocks import (
    CondNorm,
    DiscriminatorHead,
    SelfAttention,
    UpConv,
    groups_for,
    init_as_upsample_conv,
    minibatch_std,
)
from pokegen.models.fastgan import _quadrant


def test_smooth_init_equals_nearest_upsample_then_conv():
    conv_t = nn.ConvTranspose2d(5, 7, 4, stride=2, padding=1)
    torch.manual_seed(3)
    init_as_upsample_conv(conv_t)
    torch.manual_seed(3)
    ref = nn.Conv2d(5, 7, 3, padding=1)  # the conv the init drew
    x = torch.randn(2, 5, 6, 6)
    expected = ref(F.interpolate(x, scale_factor=2, mode="nearest"))
    torch.testing.assert_close(conv_t(x), expected, atol=1e-5, rtol=1e-5)


def test_upconv_reaches_odd_sizes():
    assert UpConv(4, 2, 15)(torch.zeros(1, 4, 8, 8)).shape == (1, 2, 15, 15)


def test_groups_divide_channels():
    for c in (4, 6, 8, 20, 24, 32, 96, 256):
        g = groups_for(c)
        assert c % g == 0 and (c // g >= 4 or g == 1) and g <= 32


def test_cond_norm_starts_unconditional():
    norm = CondNorm(8, n_classes=3, kind="group")
    x = torch.randn(2, 8, 4, 4)
    torch.testing.assert_close(norm(x, torch.eye(3)[:2]), norm(x, None))


def test_quadrants():
    x = torch.arange(16.0).reshape(1, 1, 4, 4).repeat(4, 1, 1, 1)
    q = _quadrant(x, torch.tensor([0, 1, 2, 3]))
    assert q[:, 0, 0, 0].tolist() == [0.0, 2.0, 8.0, 10.0]


def test_minibatch_std_sees_missing_variety_and_keeps_reals_apart_from_fakes():
    g = torch.Generator().manual_seed(0)
    reals = torch.randn(8, 5, 4, 4, generator=g)
    fakes = torch.randn(1, 5, 4, 4, generator=g).expand(8, -1, -1, -1)  # collapsed: all equal
    std = minibatch_std(torch.cat([reals, fakes]), group=4)  # [16, 1, 4, 4]
    assert std.shape == (16, 1, 4, 4)
    assert (std[:8] > 0.5).all() and (std[8:] < 1e-3).all()  # groups never mix the halves
    assert (std[:4] == std[0, 0, 0, 0]).all()  # one value per group, broadcast over space
    assert torch.equal(minibatch_std(reals[:3], group=4), minibatch_std(reals[:3], group=3))
    assert torch.equal(minibatch_std(reals[:1], group=4), torch.zeros(1, 1, 4, 4))


def test_minibatch_std_changes_the_discriminator_head_only_when_enabled():
    h = torch.randn(8, 6, 4, 4, generator=torch.Generator().manual_seed(1))
    plain, with_std = (
        DiscriminatorHead(6, 4, sn=False),
        DiscriminatorHead(6, 4, mbstd_group=4, sn=False),
    )
    assert plain.out.in_features == 6 * 16 and with_std.out.in_features == 7 * 16
    assert with_std(h).shape == plain(h).shape == (8,)


def test_self_attention_starts_as_identity_and_then_reads_far_positions():
    torch.manual_seed(0)
    attn = SelfAttention(16)
    h = torch.randn(2, 16, 6, 6)
    assert torch.equal(attn(h), h)  # gain 0: an added layer leaves a net's function unchanged
    with torch.no_grad():
        attn.gain.fill_(1.0)
    far = h.clone()
    far[:, :, 5, 5] += 3.0  # change one corner only
    delta = (attn(far) - attn(h))[:, :, 0, 0]  # the opposite corner
    assert delta.abs().max() > 1e-3  # a 1×1 conv stack could not see it; attention does
    attn(h).sum().backward()
    assert attn.gain.grad is not None and attn.gain.grad.abs() > 0
