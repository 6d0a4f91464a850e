import pytest

from pokegen import config as C
from pokegen.presets import preset_overrides


@pytest.mark.parametrize("name", C.PRESETS)
@pytest.mark.parametrize(
    ("family", "encoder"), [("ae", False), ("vae", False), ("gan", True), ("gan", False)]
)
def test_every_preset_names_only_known_settings_and_validates(name, family, encoder):
    # a misspelt key in a preset dict would otherwise surface only when someone picks it
    overrides = preset_overrides(family, name, encoder)
    model = overrides.setdefault("model", {})
    model["family"] = family
    if family == "gan":
        model["encoder"] = encoder
    cfg = C.validate(C.merge(C.TrainConfig(), overrides))  # merge raises on unknown keys
    assert cfg.family == family


def test_quick_presets_fit_the_five_minute_main_job():
    # `pokegen run --preset quick` trains all three families in turn within 5 minutes
    assert sum(C.preset(f, "quick").minutes for f in C.FAMILIES) <= 3.0


def test_only_the_vae_gan_trains_longer_by_default():
    # the VAE-GAN kept improving past 8 minutes; the plain GAN (no encoder) began to memorise
    vae_gan, plain = C.preset("gan"), C.preset("gan", model={"encoder": False})
    assert vae_gan.minutes > plain.minutes == C.preset("ae").minutes == C.preset("vae").minutes
