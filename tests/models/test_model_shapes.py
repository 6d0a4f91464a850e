"""Every family and arch builds and maps shapes correctly at awkward sizes and channel counts."""

from __future__ import annotations

from dataclasses import replace

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


@pytest.mark.parametrize("conditional", [False, True])
def test_gan_encoder_reconstructs_in_the_same_pass_and_leaves_sampling_alone(conditional):
    cfg = tiny("gan", "fastgan", conditional)
    torch.manual_seed(0)
    plain = build_models(cfg, 24, 3)["generator"]
    torch.manual_seed(0)
    with_enc = build_models(replace(cfg, encoder=True), 24, 3)["generator"]
    with_enc.net.load_state_dict(plain.net.state_dict())
    z, x, noise = torch.randn(3, L), torch.rand(3, 3, 24, 24) * 2 - 1, torch.randn(3, L)
    y = labels(3) if conditional else None
    assert torch.equal(with_enc(z, y), plain(z, y))  # sampling never touches the encoder
    fakes, recons, mu, logvar = with_enc(z, y, x=x, noise=noise)
    assert fakes.shape == recons.shape == x.shape and mu.shape == logvar.shape == (3, L)
    assert torch.allclose(fakes, plain(z, y), atol=1e-6)  # group norm: batch-independent
    with pytest.raises(ValueError, match="encoder=True"):
        plain(z, y, x=x, noise=noise)
    none, alone, mu2, _ = with_enc(None, y, x=x, noise=noise)  # reconstructions only
    assert none is None and torch.equal(mu2, mu)
    assert torch.allclose(alone, recons, atol=1e-6)  # the same images, without the prior half
    with pytest.raises(ValueError, match="latents z or images x"):
        with_enc(None, y)


@pytest.mark.parametrize("conditional", [False, True])
def test_deeper_fastgan_generator_adds_a_full_resolution_level(conditional):
    cfg = replace(tiny("gan", "fastgan", conditional), g_convs=2)
    gen = build_models(cfg, 24, 4)["generator"]
    seen = []
    gen.net.top[0].register_forward_hook(lambda m, i, out: seen.append(out.shape))
    out = gen(torch.randn(2, L), labels(2) if conditional else None)
    assert out.shape == (2, 4, 24, 24) and out.abs().max() <= 1
    assert seen == [(2, 8, 24, 24)]  # width 8 features at the full 24 px before RGB
    one = build_models(tiny("gan", "fastgan", conditional), 24, 4)["generator"]
    names = {k for k, _ in one.named_parameters()}
    assert {k for k, _ in gen.named_parameters()} > {k for k in names if "to_rgb" not in k}
    assert "net.to_rgb.1.weight" in names  # g_convs 1 keeps the parameter names of old runs


@pytest.mark.parametrize("size", [24, 120])
def test_rgb_kernel_sets_the_last_convs_of_generator_and_discriminator_decoders(size):
    cfg = replace(tiny("gan", "fastgan", False), g_convs=2, rgb_kernel=1)
    models = build_models(cfg, size, 3)
    gen, disc = models["generator"], models["discriminator"]
    decoders = [disc.net.decode_full.body[-2], disc.net.decode_part.body[-2]]
    assert [c.kernel_size for c in [gen.net.to_rgb, *decoders]] == [(1, 1)] * 3
    out = gen(torch.randn(2, L))
    assert out.shape == (2, 3, size, size)
    logits, recons, targets = disc(out, with_recon=True)
    assert logits.shape == (2,)
    assert [r.shape for r in recons] == [t.shape for t in targets]
    three = build_models(replace(cfg, rgb_kernel=3), size, 3)["generator"]
    assert three.net.to_rgb.kernel_size == (3, 3)  # the default keeps the 3×3 head


@pytest.mark.parametrize(
    ("size", "asked", "at"), [(64, 16, 16), (64, 8, 8), (120, 8, 8), (40, 8, 10), (48, 9, 6)]
)
def test_generator_attention_runs_at_the_feature_level_nearest_the_size_asked(size, asked, at):
    cfg = replace(tiny("gan", "fastgan", False), g_attention=asked)
    gen = build_models(cfg, size, 3)["generator"]
    seen = []
    gen.net.attention.register_forward_hook(lambda m, i, out: seen.append(out.shape[-2:]))
    out = gen(torch.randn(2, L))
    assert out.shape == (2, 3, size, size) and seen == [(at, at)]
    plain = build_models(tiny("gan", "fastgan", False), size, 3)["generator"]
    assert plain.net.attention is None


@pytest.mark.parametrize(("family", "arch"), FAMILY_ARCHS[:4])
@pytest.mark.parametrize("size", [24, 120])
def test_decoder_top_level_runs_at_full_resolution(family, arch, size):
    net = build_models(replace(tiny(family, arch, False), decoder_top=6), size, 3)[family]
    seen = []
    last_conv = net.decoder.body[-2]
    assert isinstance(last_conv, torch.nn.Conv2d) and last_conv.in_channels == 6
    last_conv.register_forward_hook(lambda m, i, out: seen.append(i[0].shape))
    x = torch.rand(2, 3, size, size) * 2 - 1
    out = net(x) if family == "ae" else net(x)[0]
    assert out.shape == x.shape and out.abs().max() <= 1
    assert seen == [(2, 6, size, size)]  # 6 feature channels at full size feed the pixels


def test_discriminator_reconstructs_only_the_rows_asked_for():
    torch.manual_seed(0)
    d = build_models(tiny("gan", "fastgan", False), 32, 3)["discriminator"].eval()
    x = torch.rand(6, 3, 32, 32) * 2 - 1
    logits, recons, targets = d(x, with_recon=True)
    logits_2, recons_2, targets_2 = d(x, with_recon=True, recon_rows=2)
    torch.testing.assert_close(logits_2, logits)  # every row is still judged
    for full, part in zip([*recons, *targets], [*recons_2, *targets_2], strict=True):
        assert part.shape[0] == 2
        torch.testing.assert_close(part, full[:2])


def test_discriminator_without_decoders_judges_alike_and_decodes_nothing():
    torch.manual_seed(0)
    full = build_models(tiny("gan", "fastgan", False), 32, 3)["discriminator"].eval()
    bare = build_models(replace(tiny("gan", "fastgan", False), d_decoders=False), 32, 3)
    bare = bare["discriminator"].eval()
    names = {k for k, _ in bare.named_parameters()}
    assert not any("decode" in k for k in names)
    assert names < {k for k, _ in full.named_parameters()}
    bare.load_state_dict({k: v for k, v in full.state_dict().items() if "decode" not in k})
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    logits, recons, targets = bare(x, with_recon=True)
    assert recons == [] and targets == []
    torch.testing.assert_close(logits, full(x))  # the same weights judge the same


def test_discriminator_features_are_the_stem_and_each_block_feeding_the_head():
    torch.manual_seed(0)
    d = build_models(tiny("gan", "fastgan", False), 32, 3)["discriminator"].eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    feats = d.features(x)
    assert [f.shape[-1] for f in feats] == [16, 8, 4]  # stride-2 stem, then each down-block
    assert [f.shape[1] for f in feats] == [8, 16, 32]
    torch.testing.assert_close(d.net.head(feats[-1], None), d(x))  # the maps D judges from
    dcgan = build_models(tiny("gan", "dcgan", False), 32, 3)["discriminator"]
    with pytest.raises(ValueError, match="fastgan"):
        dcgan.features(x)


@pytest.mark.parametrize("arch", ["dcgan", "fastgan"])
def test_generator_temperature_narrows_samples_towards_one_image(arch):
    torch.manual_seed(0)
    g = build_models(tiny("gan", arch, False), 16, 3)["generator"].eval()
    z = torch.randn(3, L)
    with torch.no_grad():
        warm, cool, frozen = (g(z, temperature=t) for t in (1.0, 0.5, 0.0))
        torch.testing.assert_close(warm, g(z))  # T = 1 is the plain forward
    assert not torch.allclose(cool, warm, atol=1e-4)  # FastGAN normalises z: T acts after that
    assert (cool - cool.mean(0)).abs().mean() < (warm - warm.mean(0)).abs().mean()
    torch.testing.assert_close(frozen, frozen[:1].expand_as(frozen))  # T = 0: one image
