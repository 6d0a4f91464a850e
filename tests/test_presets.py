import pytest

from pokegen import config as C


@pytest.mark.parametrize("name", C.PRESETS)
@pytest.mark.parametrize(
    ("family", "model"), [("ae", {}), ("vae", {}), ("gan", {}), ("gan", {"encoder": False})]
)
def test_every_preset_names_only_known_settings_and_validates(name, family, model):
    # a misspelt key in a preset dict would otherwise surface only when someone picks it:
    # preset() merges the dict into TrainConfig, which rejects unknown keys
    cfg = C.validate(C.preset(family, name, model=model))
    assert (cfg.family, cfg.preset) == (family, name)


def test_quick_presets_fit_the_five_minute_main_job():
    # `pokegen run --preset quick` trains all three families in turn within 5 minutes
    assert sum(C.preset(f, "quick").minutes for f in C.FAMILIES) <= 3.0


def test_the_ae_vae_and_vae_gan_train_longer_by_default():
    # their samples kept improving past 8 minutes; the plain GAN (no encoder) began to memorise
    vae_gan, plain = C.preset("gan"), C.preset("gan", model={"encoder": False})
    assert vae_gan.minutes == C.preset("ae").minutes == C.preset("vae").minutes > plain.minutes
