"""build_models: the family → modules contract, one-line errors, and checkpoint round trips."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from pokegen.config import ModelConfig
from pokegen.models import VAE, AutoEncoder, Discriminator, Generator, build_models


def cfg(**kw) -> ModelConfig:
    return ModelConfig(**{"latent_dim": 8, "width": 8, "max_width": 32, **kw})


def test_registry_keys_and_types():
    assert isinstance(build_models(cfg(family="ae"), 16, 3)["ae"], AutoEncoder)
    assert isinstance(build_models(cfg(family="vae"), 16, 3)["vae"], VAE)
    gan = build_models(cfg(family="gan", arch="fastgan"), 16, 3)
    assert set(gan) == {"generator", "discriminator"}
    assert isinstance(gan["generator"], Generator)
    assert isinstance(gan["discriminator"], Discriminator)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"family": "gan", "arch": "resnet"}, "unknown gan arch 'resnet'"),
        ({"family": "vae", "arch": "fastgan"}, "unknown vae arch 'fastgan'"),
        ({"family": "flow"}, "unknown family 'flow'"),
        ({"family": "vae", "conditional": True, "n_classes": 0}, "n_classes"),
    ],
)
def test_registry_errors_are_one_line(kw, message):
    with pytest.raises(ValueError, match=message) as info:
        build_models(cfg(**kw), 16, 3)
    assert "\n" not in str(info.value)


def test_discriminator_width_is_its_own_knob():
    gan = build_models(cfg(family="gan", arch="fastgan", d_width=16), 16, 3)
    same = build_models(cfg(family="gan", arch="fastgan"), 16, 3)

    def stem_width(models: torch.nn.ModuleDict) -> int:  # D's first conv's output channels
        return next(models["discriminator"].parameters()).shape[0]

    assert (stem_width(gan), stem_width(same)) == (16, 8)
    assert [p.shape for p in gan["generator"].parameters()] == [
        p.shape for p in same["generator"].parameters()
    ]


def test_bad_image_size():
    with pytest.raises(ValueError, match="multiple of 8"):
        build_models(cfg(family="ae"), 20, 3)


def test_direct_constructors_reject_unknown_arch():
    with pytest.raises(ValueError, match="unknown gan arch"):
        Generator(16, 3, 8, arch="stylegan")
    with pytest.raises(ValueError, match="unknown ae/vae arch"):
        AutoEncoder(16, 3, 8, arch="unet")


@pytest.mark.parametrize(
    ("family", "arch"), [("ae", "conv"), ("vae", "resnet"), ("gan", "dcgan"), ("gan", "fastgan")]
)
def test_safetensors_round_trip_gives_identical_outputs(tmp_path, family, arch):
    torch.manual_seed(0)
    c = cfg(
        family=family, arch=arch, prior="gmm", prior_components=2, conditional=True, n_classes=3
    )
    models = build_models(c, 24, 4)
    x, y = torch.rand(3, 4, 24, 24) * 2 - 1, torch.eye(3)
    if family != "gan":  # fit the prior so its buffers carry information
        models[family].prior.fit(torch.randn(20, 8), torch.Generator().manual_seed(0))
    models.train()
    for _ in range(2):  # update BatchNorm statistics and spectral-norm vectors
        models["discriminator"](x, y) if family == "gan" else models[family](x, y)
    for name, module in models.items():
        save_file(module.state_dict(), tmp_path / f"{name}.safetensors")
    fresh = build_models(c, 24, 4)
    for name, module in fresh.items():
        module.load_state_dict(load_file(tmp_path / f"{name}.safetensors"))
    models.eval()
    fresh.eval()
    z = torch.randn(3, 8)
    if family == "gan":
        torch.testing.assert_close(fresh["generator"](z, y), models["generator"](z, y))
        torch.testing.assert_close(fresh["discriminator"](x, y), models["discriminator"](x, y))
    else:
        a, b = models[family], fresh[family]
        torch.testing.assert_close(b.decode(z, y), a.decode(z, y))
        torch.testing.assert_close(b.encode(x, y), a.encode(x, y))
        g = torch.Generator
        torch.testing.assert_close(
            b.prior.sample(4, g().manual_seed(1)), a.prior.sample(4, g().manual_seed(1))
        )
