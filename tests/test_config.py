import pytest

from pokegen import config as C


def test_preset_sets_family_and_overrides_nested_values():
    cfg = C.preset("gan", "quick", data={"image_size": 32}, model={"latent_dim": 16}, epochs=3)
    assert cfg.family == "gan"
    assert cfg.model.arch == "fastgan"
    assert (cfg.data.image_size, cfg.model.latent_dim, cfg.epochs, cfg.preset) == (
        32,
        16,
        3,
        "quick",
    )
    # untouched knobs keep their single default
    assert cfg.data.background == C.DataConfig().background


def test_config_round_trips_through_json_dict():
    cfg = C.preset("vae", "default", data={"path": "x", "crop": True}, minutes=2.5)
    assert C.from_dict(C.to_dict(cfg)) == cfg


def test_from_dict_ignores_keys_of_newer_versions():
    data = C.to_dict(C.preset("ae"))
    data["model"]["future_knob"] = 1
    data["future_top"] = 2
    assert C.from_dict(data) == C.preset("ae")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data": {"image_size": 60}}, "multiple of 8"),
        ({"data": {"image_size": 264}}, "multiple of 8"),
        ({"data": {"background": "green"}}, "background"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 1}, "batch size"),
        ({"lr": -1.0}, "learning rates"),
        ({"device": "tpu"}, "device"),
        ({"loss": {"likelihood": "poisson"}}, "likelihood"),
        ({"lr_schedule": "step"}, "lr schedule"),
        ({"model": {"g_norm": "layer"}}, "generator norm"),
        ({"model": {"mbstd_group": -1}}, "minibatch-std"),
        ({"loss": {"mode_seeking": -0.5}}, "mode-seeking"),
        ({"loss": {"vae_weight": -1.0}}, "VAE weight"),
        ({"loss": {"ada_target": 1.0}}, "ADA target"),
        ({"loss": {"ada_images": 0}}, "ADA images"),
        ({"model": {"g_convs": 0}}, "convs per block"),
        ({"model": {"rgb_kernel": 2}}, "RGB conv kernel"),
        ({"model": {"d_width": 2}}, "discriminator width"),
        ({"model": {"decoder_top": -1}}, "decoder top"),
        ({"model": {"encoder": True}}, "encoder is a gan option"),
        ({"loss": {"adversarial": "both"}}, "adversarial input"),
        ({"loss": {"adversarial": "recons"}}, "needs the gan's encoder"),
        ({"loss": {"feature_matching": -1.0}}, "feature matching must be"),
        ({"loss": {"feature_matching": 1.0}}, "feature matching needs the gan's encoder"),
        ({"loss": {"d_blur": -0.5}}, "discriminator blur"),
        ({"loss": {"d_blur": 5.0}}, "discriminator blur"),
        ({"loss": {"recon_blur": -1.0}}, "reconstruction blur"),
        ({"loss": {"recon_blur": 4.5}}, "reconstruction blur"),
        ({"loss": {"recon_blur": 0.5}}, "reconstruction blur needs the gan's encoder"),
        ({"loss": {"color_strength": 1.5}}, "colour strength"),
        ({"loss": {"color_strength": -0.1}}, "colour strength"),
        ({"loss": {"color_p": 1.2}}, "colour probability"),
        ({"loss": {"color_p": -0.5}}, "colour probability"),
        ({"model": {"g_attention": 16}}, "generator attention"),  # the vae preset: no fastgan
        ({"loss": {"l1_weight": -1.0}}, "L1 weight must be"),
        ({"loss": {"l1_weight": 1.0, "likelihood": "laplace"}}, "needs the gaussian_learned"),
        ({"model": {"family": "ae"}, "loss": {"l1_weight": 1.0}}, "L1 weight is a vae option"),
        ({"model": {"refine_steps": -1}}, "refine steps must be 0 to 32"),
        ({"model": {"refine_steps": 33}}, "refine steps must be 0 to 32"),
        ({"model": {"family": "gan", "refine_steps": 1}}, "refine steps need an encoder"),
    ],
)
def test_validate_rejects_unusable_settings_with_one_line(changes, message):
    with pytest.raises(ValueError, match=message) as info:
        C.validate(C.merge(C.preset("vae"), changes))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("size", "bad"), [(64, 3), (64, 65), (24, 32), (16, -8)])
def test_generator_attention_needs_a_size_between_4_and_the_image(size, bad):
    cfg = C.preset("gan", data={"image_size": size})
    assert C.validate(C.merge(cfg, {"model": {"g_attention": size}})).model.g_attention == size
    with pytest.raises(ValueError, match="generator attention"):
        C.validate(C.merge(cfg, {"model": {"g_attention": bad}}))


@pytest.mark.parametrize("device", [*C.DEVICES, "cuda:1"])
def test_validate_accepts_every_device_the_cli_offers(device):
    assert C.validate(C.preset("vae", device=device)).device == device


def test_validate_rejects_an_unknown_device_naming_the_choices():
    with pytest.raises(ValueError, match="auto, cpu, cuda, mps or cuda:N, got 'tpu'"):
        C.validate(C.preset("vae", device="tpu"))


@pytest.mark.parametrize("size", [16, 24, 120, 256])
def test_validate_accepts_every_multiple_of_8(size):
    assert C.validate(C.preset("gan", data={"image_size": size})).data.image_size == size


def test_unknown_setting_is_an_error_not_silently_ignored():
    with pytest.raises(ValueError, match="unknown setting"):
        C.preset("ae", model={"latnt_dim": 3})
    with pytest.raises(ValueError, match="unknown family"):
        C.preset("diffusion")


def test_gan_preset_loss_follows_the_encoder_choice():
    vae_gan = C.validate(C.preset("gan"))
    assert (vae_gan.loss.adversarial, vae_gan.loss.mode_seeking) == ("recons", 0.0)
    assert vae_gan.loss.d_blur == 0.5
    assert (vae_gan.loss.gan_loss, vae_gan.loss.color_strength) == ("ns", 0.25)
    assert vae_gan.loss.augment == "color,translation"  # no cutout with D on reconstructions
    assert not vae_gan.model.d_decoders  # a discriminator at chance needs no decoders
    assert vae_gan.model.g_attention == 8  # measured with the encoder only
    model = C.ModelConfig(family="gan", arch="fastgan", encoder=False)  # dataclasses work too
    plain = C.validate(C.preset("gan", model=model))
    assert (plain.loss.adversarial, plain.loss.mode_seeking) == ("samples", 0.2)
    assert plain.loss.d_blur == 0  # the blur was measured with D on reconstructions only
    assert (plain.loss.gan_loss, plain.loss.color_strength) == ("hinge", 1.0)
    assert plain.loss.augment == "color,translation,cutout"  # as measured for the plain GAN
    assert plain.model.d_decoders  # a plain GAN's discriminator on prior samples keeps them
    assert plain.model.g_attention == 0
    dcgan = C.validate(C.preset("gan", model={"arch": "dcgan"}))  # attention is fastgan's only
    assert (dcgan.model.encoder, dcgan.model.g_attention) == (True, 0)
    assert C.validate(C.preset("gan", model={"encoder": False})).model.d_decoders  # as a dict
    with pytest.raises(ValueError, match="no mode seeking"):  # recons has no samples to spread
        C.validate(C.preset("gan", loss={"mode_seeking": 0.1}))


def test_conditional_autoencoder_is_rejected():
    with pytest.raises(ValueError, match="conditional"):
        C.validate(C.preset("ae", model={"conditional": True}))


def test_channels_follow_background():
    assert C.DataConfig(background="alpha").channels == 4
    assert C.DataConfig(background="black").channels == 3
