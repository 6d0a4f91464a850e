"""Every family and arch builds and maps shapes correctly at awkward sizes and channel counts."""

from __future__ import annotations

import pytest
import torch

from pokegen.config import ModelConfig
from pokegen.models import build_models
from pokegen.models.blocks import level_sizes, level_widths

FAMILY_ARCHS = [
    ("ae", "conv"),
    ("ae", "resnet"),
    ("vae", "conv"),
    ("vae", "resnet"),
    ("gan", "dcgan"),
    ("gan", "fastgan"),
]
K, L = 5, 16


def tiny(family: str, arch: str, conditional: bool) -> ModelConfig:
    return ModelConfig(
        family=family,
        arch=arch,
        latent_dim=L,
        width=8,
        max_width=32,
        conditional=conditional,
        n_classes=K if conditional else 0,
    )


def labels(b: int) -> torch.Tensor:
    return (torch.arange(b * K).reshape(b, K) % 3 == 0).float()  # multi-hot, row 0 and 1 differ


@pytest.mark.parametrize(("family", "arch"), FAMILY_ARCHS)
@pytest.mark.parametrize("size", [16, 24, 64, 120])
@pytest.mark.parametrize(
    ("channels", "conditional"), [(3, False), (4, False), (3, True), (4, True)]
)
def test_shapes_and_range(family, arch, size, channels, conditional):
    torch.manual_seed(0)
    models = build_models(tiny(family, arch, conditional), size, channels)
    b = 2
    x = torch.rand(b, channels, size, size) * 2 - 1
    y = labels(b) if conditional else None
    if family == "gan":
        g, d = models["generator"], models["discriminator"]
        assert g.latent_dim == L
        fake = g(torch.randn(b, L), y)
        assert fake.shape == x.shape
        assert fake.abs().max() <= 1
        assert d(x, y).shape == (b,)
        logits, recons, targets = d(x, y, with_recon=True)
        assert logits.shape == (b,)
        assert len(recons) == len(targets) == (2 if arch == "fastgan" else 0)
        for r, t in zip(recons, targets, strict=True):
            assert r.shape == t.shape and r.shape[:2] == (b, channels)
            assert not t.requires_grad
        return
    net = models[family]
    if family == "ae":
        z = net.encode(x, y)
        assert z.shape == (b, L)
        assert net(x, y).shape == x.shape
    else:
        mu, logvar = net.encode(x, y)
        assert mu.shape == logvar.shape == (b, L)
        x_mean, mu2, _ = net(x, y, noise=torch.randn(b, L))
        assert x_mean.shape == x.shape
        torch.testing.assert_close(mu, mu2)
        z = mu
        assert net.log_sigma.ndim == 0
    out = net.decode(z, y)
    assert out.shape == x.shape
    assert out.abs().max() <= 1


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (16, [16, 8, 4]),
        (24, [24, 12, 6]),
        (40, [40, 20, 10, 5]),
        (64, [64, 32, 16, 8, 4]),
        (120, [120, 60, 30, 15, 8, 4]),
        (200, [200, 100, 50, 25, 13, 7]),
    ],
)
def test_level_sizes(size, expected):
    assert level_sizes(size) == expected


def test_level_widths_double_and_cap():
    assert level_widths(5, 32, 256) == [32, 64, 128, 256, 256]


@pytest.mark.parametrize("size", [40, 200])
def test_odd_ladders_build(size):
    for family, arch in FAMILY_ARCHS:
        models = build_models(tiny(family, arch, False), size, 3)
        if family == "gan":
            assert models["generator"](torch.randn(1, L)).shape == (1, 3, size, size)
            _, recons, targets = models["discriminator"](
                torch.zeros(1, 3, size, size), with_recon=True
            )
            assert [r.shape for r in recons] == [t.shape for t in targets]
        else:
            assert models[family].decode(torch.randn(1, L)).shape == (1, 3, size, size)


def test_conditioning_changes_outputs():
    torch.manual_seed(0)
    for family, arch in FAMILY_ARCHS:
        models = build_models(tiny(family, arch, True), 16, 3)
        for p in models.parameters():  # label weights start at zero: make them matter
            p.data.add_(torch.randn_like(p) * 0.05)
        models.eval()
        z, y = torch.randn(1, L).repeat(2, 1), labels(2)
        net = models["generator"] if family == "gan" else models[family].decode
        out = net(z, y)
        assert not torch.allclose(out[0], out[1]), (family, arch)
