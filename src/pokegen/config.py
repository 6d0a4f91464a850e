"""Frozen configuration dataclasses, the preset builder and validation: every knob is declared
once, here (the presets' measured values and their reasons are in presets.py)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from pokegen.presets import preset_overrides

FAMILIES = ("ae", "vae", "gan")
PRESETS = ("quick", "default")
BACKGROUNDS = ("white", "black", "alpha")
LIKELIHOODS = ("gaussian_learned", "gaussian", "laplace", "bernoulli")
GAN_LOSSES = ("hinge", "ns")
ADVERSARIAL_INPUTS = ("samples", "recons")
PRIORS = ("gaussian", "gmm")
G_NORMS = ("group", "batch")
LR_SCHEDULES = ("constant", "cosine")
MAX_REFINE_STEPS = 32  # sampling refinement rounds; the chain drifts well before this
CHECKPOINTS = ("last", "best")  # every run saves both; "best" has the lowest health SWD
DEVICES = ("auto", "cpu", "cuda", "mps")  # and "cuda:N" in the config


@dataclass(frozen=True)
class DataConfig:
    """Where the images come from and how they are turned into tensors."""

    path: str | None = None  # None: $POKEGEN_DATA, else the Kaggle dataset via kagglehub
    image_size: int = 64  # any multiple of 8 from 16 to 256
    background: str = "white"  # white | black | alpha (keep transparency as a 4th channel)
    crop: bool = False  # crop each image to its content (plus margin) before resizing
    crop_margin: float = 0.05  # fraction of the content box added on each side
    holdout: float = 0.1  # fraction held out for evaluation, split deterministically
    split_seed: int = 0
    flip: bool = True  # random horizontal flips while training
    cache_dir: str | None = None  # None: $POKEGEN_CACHE, else ~/.cache/pokegen
    label_column: str | None = None  # None: Type1/Type2 of a Kaggle-style CSV

    @property
    def channels(self) -> int:
        return 4 if self.background == "alpha" else 3


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a family's networks: weights only, no training knobs."""

    family: str = "vae"  # ae | vae | gan
    arch: str = "resnet"  # ae/vae: conv | resnet; gan: dcgan | fastgan
    latent_dim: int = 128
    width: int = 32  # channels at the highest resolution; doubles per halving
    d_width: int | None = None  # gan discriminator's width (None: width), as DCGAN's ndf vs ngf
    max_width: int = 256
    spectral_norm: bool = True  # discriminator only
    g_norm: str = "group"  # fastgan generator: group (batch-independent) | batch
    g_convs: int = 1  # fastgan generator: 3×3 convs per up-block; ≥ 2 adds a full-size level
    rgb_kernel: int = 3  # fastgan: kernel of the convs to RGB (G's full-size head, D's decoders)
    g_attention: int = 0  # fastgan G: SAGAN self-attention at the level nearest this size; 0 off
    mbstd_group: int = 0  # discriminator minibatch-std group size (0: off; 4 lost in BENCHMARKS)
    d_decoders: bool = True  # fastgan discriminator: FastGAN's self-supervised decoders
    encoder: bool = False  # gan: add q(z|x) so the generator is also a VAE decoder (VAE-GAN)
    prior: str = "gaussian"  # latent density fitted for AE generation: gaussian | gmm
    prior_components: int = 10
    # Sampling: rounds of x ← D(E(x)) after decoding each prior draw, the autoencoder's own
    # Markov chain (Arulkumaran et al. 2016) pulling draws that land between training codes back
    # to where the decoder is sharp (0: off; a gan needs its encoder). Latent walks skip it.
    refine_steps: int = 0
    decoder_top: int = 0  # ae/vae: channels of a full-resolution decoder level (0: none)
    conditional: bool = False
    n_classes: int = 0  # filled in from the data's label vocabulary when conditional


@dataclass(frozen=True)
class LossConfig:
    """Objective knobs; the loss functions in training/losses.py read these."""

    likelihood: str = "gaussian_learned"  # VAE reconstruction likelihood
    beta: float = 1.0  # VAE KL weight after warm-up
    kl_warmup_steps: int = 500
    free_bits: float = 0.0  # nats per latent dimension below which KL is not penalised
    # VAE with gaussian_learned: weight of Σ|x − x̂|/σ added to the Gaussian NLL (0: off). The
    # L1 pulls the mean towards the median (solid fills, clean backgrounds); the reported NLL
    # and bits/dim stay the Gaussian's. Off: over seeds 0–2, SWD 5–13 lower but holdout PSNR
    # 0.10–0.48 dB lower at weight 1, 0.04–0.19 at 0.5, for a small visual change
    # (BENCHMARKS.md, an L1 term beside the VAE's Gaussian).
    l1_weight: float = 0.0
    gan_loss: str = "hinge"  # hinge | ns (non-saturating)
    r1_gamma: float = 0.0  # R1 penalty weight on real images (0 disables)
    r1_every: int = 4  # lazy R1: apply every N discriminator steps
    augment: str = "color,translation,cutout"  # DiffAugment policy for GANs ('' disables)
    color_strength: float = 1.0  # scale of the colour op's ranges (1: DiffAugment's, 0: off)
    # probability that the colour op recolours an image (1: DiffAugment's). 0.5 let D see true
    # colours half the time; no recall gain over three seeds (BENCHMARKS.md, twentieth GAN round).
    color_p: float = 1.0
    # ADA: E[sign D(real)] to hold by adapting p (0 disables; ADA uses 0.6). Off: it lost at 8 and
    # 14 minutes on top of DiffAugment (BENCHMARKS.md, fifth GAN round).
    ada_target: float = 0.0
    ada_images: int = 20_000  # ADA: images over which p can move from 0 to 1
    recon_weight: float = 1.0  # FastGAN discriminator's decoders' loss (needs model.d_decoders)
    mode_seeking: float = 0.0  # weight of MSGAN's diversity term in the generator loss
    vae_weight: float = 1.0  # gan with an encoder: weight of the generator's negative ELBO
    # gan with an encoder: what the discriminator judges as fake — decoded prior samples G(z),
    # or reconstructions G(E(x)) (a VAE sharpened adversarially; samples then come from N(0, I))
    adversarial: str = "samples"
    # gan with an encoder: weight of the L1 between D's features of the reals and of their
    # reconstructions (pix2pixHD). Off: it buys precision with recall (fourteenth GAN round).
    feature_matching: float = 0.0
    # σ in px of a Gaussian blur on everything the discriminator sees, reals and fakes alike
    # (0: off): D then cannot ask for the high-frequency stripes it otherwise pulls out of G.
    d_blur: float = 0.0
    # gan with an encoder: σ in px of a Gaussian blur on both sides of the generator's
    # reconstruction term (0: off), leaving pixel-scale structure to the discriminator. σ 0.5
    # bought recall with SWD over three seeds (0.396 vs 0.362, SWD 34.1 vs 30.9; BENCHMARKS.md,
    # twenty-first GAN round), so it stays off.
    recon_blur: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """One training run: data, model, loss and the loop's own settings."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    out: str | None = None  # run folder; None: runs/NNNNN-family-zD-Spx
    preset: str = "default"
    epochs: int = 100
    minutes: float | None = None  # wall-clock budget; stops at whichever comes first
    batch_size: int = 64  # per process; global batch = batch_size × world size
    lr: float = 2e-4
    d_lr: float | None = None  # GAN discriminator learning rate (None: lr)
    lr_schedule: str = "constant"  # constant | cosine (to 0 at the end of the epochs or minutes)
    beta1: float = 0.5
    beta2: float = 0.99
    ema_decay: float = 0.999  # 0 disables the EMA copy of the weights
    balance_labels: bool = True  # conditional runs: draw rare labels as often as common ones
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | mps
    amp: bool = False  # mixed precision on CUDA
    sample_every: int = 5  # epochs between fixed-latent progress grids
    eval_every: int = 10  # epochs between cheap health metrics (SWD)
    checkpoint_every: int = 10  # epochs between checkpoints

    @property
    def family(self) -> str:
        return self.model.family


def preset(family: str, name: str = "default", **overrides: Any) -> TrainConfig:
    """Build a TrainConfig from a family preset plus nested overrides (dicts or dataclasses)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    model = overrides.get("model", {})
    model = model if isinstance(model, dict) else dataclasses.asdict(model)
    base = preset_overrides(family, name, model.get("encoder") is not False, model.get("arch"))
    base.setdefault("model", {})["family"] = family
    base["preset"] = name
    return merge(TrainConfig(), _deep_update(base, overrides))


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def merge(cfg: Any, changes: dict[str, Any]) -> Any:
    """Return a copy of a (nested) config dataclass with `changes` applied; unknown keys fail."""
    names = {f.name: f for f in fields(cfg)}
    kwargs: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in names:
            raise ValueError(f"unknown setting {key!r} for {type(cfg).__name__}")
        current = getattr(cfg, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            value = merge(current, value)
        kwargs[key] = value
    return replace(cfg, **kwargs)


def validate(cfg: TrainConfig) -> TrainConfig:
    """Raise ValueError with a one-line message for settings no run can use."""
    d, m, lo = cfg.data, cfg.model, cfg.loss
    checks = [
        (m.family in FAMILIES, f"family must be one of {', '.join(FAMILIES)}"),
        (
            16 <= d.image_size <= 256 and d.image_size % 8 == 0,
            f"image size must be a multiple of 8 from 16 to 256, got {d.image_size}",
        ),
        (d.background in BACKGROUNDS, f"background must be one of {', '.join(BACKGROUNDS)}"),
        (0.0 <= d.holdout < 0.9, f"holdout must be in [0, 0.9), got {d.holdout}"),
        (0.0 <= d.crop_margin <= 1.0, f"crop margin must be in [0, 1], got {d.crop_margin}"),
        (1 <= m.latent_dim <= 4096, f"latent dim must be in [1, 4096], got {m.latent_dim}"),
        (4 <= m.width <= m.max_width, f"width must be in [4, max_width], got {m.width}"),
        (
            m.d_width is None or 4 <= m.d_width <= m.max_width,
            f"discriminator width must be in [4, max_width], got {m.d_width}",
        ),
        (m.prior in PRIORS, f"prior must be one of {', '.join(PRIORS)}"),
        (m.g_norm in G_NORMS, f"generator norm must be one of {', '.join(G_NORMS)}"),
        (0 <= m.decoder_top <= 256, f"decoder top must be 0 to 256, got {m.decoder_top}"),
        (1 <= m.g_convs <= 4, f"generator convs per block must be 1 to 4, got {m.g_convs}"),
        (m.rgb_kernel in (1, 3), f"RGB conv kernel must be 1 or 3, got {m.rgb_kernel}"),
        (
            not m.g_attention or (m.arch == "fastgan" and 4 <= m.g_attention <= d.image_size),
            f"generator attention must be 0 (off) or a fastgan feature size from 4 to the image "
            f"size, got {m.g_attention}",
        ),
        (m.mbstd_group >= 0, f"minibatch-std group must be ≥ 0, got {m.mbstd_group}"),
        (lo.mode_seeking >= 0, f"mode-seeking weight must be ≥ 0, got {lo.mode_seeking}"),
        (0 <= lo.ada_target < 1, f"ADA target must be in [0, 1), got {lo.ada_target}"),
        (lo.ada_images >= 1, f"ADA images must be at least 1, got {lo.ada_images}"),
        (lo.vae_weight >= 0, f"VAE weight must be ≥ 0, got {lo.vae_weight}"),
        (
            lo.adversarial in ADVERSARIAL_INPUTS,
            f"adversarial input must be one of {', '.join(ADVERSARIAL_INPUTS)}",
        ),
        (
            lo.adversarial == "samples" or (m.encoder and not lo.mode_seeking),
            "adversarial recons needs the gan's encoder and no mode seeking (it has no samples)",
        ),
        (lo.feature_matching >= 0, f"feature matching must be ≥ 0, got {lo.feature_matching}"),
        (0 <= lo.d_blur <= 4, f"discriminator blur σ must be 0 to 4 px, got {lo.d_blur}"),
        (0 <= lo.recon_blur <= 4, f"reconstruction blur σ must be 0 to 4 px, got {lo.recon_blur}"),
        (not lo.recon_blur or m.encoder, "reconstruction blur needs the gan's encoder"),
        (0 <= lo.color_strength <= 1, f"colour strength must be 0 to 1, got {lo.color_strength}"),
        (0 <= lo.color_p <= 1, f"colour probability must be 0 to 1, got {lo.color_p}"),
        (
            not lo.feature_matching or (m.encoder and m.arch == "fastgan"),
            "feature matching needs the gan's encoder (reconstructions) and the fastgan arch",
        ),
        (not (m.encoder and m.family != "gan"), "an encoder is a gan option (ae/vae have one)"),
        (lo.likelihood in LIKELIHOODS, f"likelihood must be one of {', '.join(LIKELIHOODS)}"),
        (lo.l1_weight >= 0, f"L1 weight must be ≥ 0, got {lo.l1_weight}"),
        (
            not lo.l1_weight or (m.family == "vae" and lo.likelihood == "gaussian_learned"),
            "an L1 weight is a vae option and needs the gaussian_learned likelihood (its scale)",
        ),
        (lo.gan_loss in GAN_LOSSES, f"GAN loss must be one of {', '.join(GAN_LOSSES)}"),
        (cfg.epochs >= 1, f"epochs must be at least 1, got {cfg.epochs}"),
        (cfg.minutes is None or cfg.minutes > 0, f"minutes must be positive, got {cfg.minutes}"),
        (cfg.batch_size >= 2, f"batch size must be at least 2, got {cfg.batch_size}"),
        (cfg.lr > 0 and (cfg.d_lr is None or cfg.d_lr > 0), "learning rates must be positive"),
        (0.0 <= cfg.ema_decay < 1.0, f"EMA decay must be in [0, 1), got {cfg.ema_decay}"),
        (
            cfg.lr_schedule in LR_SCHEDULES,
            f"lr schedule must be one of {', '.join(LR_SCHEDULES)}, got {cfg.lr_schedule!r}",
        ),
        (
            cfg.device in DEVICES or cfg.device.startswith("cuda:"),
            f"device must be one of {', '.join(DEVICES)} or cuda:N, got {cfg.device!r}",
        ),
        (
            min(cfg.sample_every, cfg.eval_every, cfg.checkpoint_every) >= 1,
            "sample/eval/checkpoint intervals must be at least 1 epoch",
        ),
        (not (m.conditional and m.family == "ae"), "conditional training is for vae and gan"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    validate_refine(m)
    return cfg


def validate_refine(m: ModelConfig) -> None:
    """Sampling refinement needs an encoder; `sample --refine-steps` checks it on a saved run."""
    if not 0 <= m.refine_steps <= MAX_REFINE_STEPS:
        raise ValueError(f"refine steps must be 0 to {MAX_REFINE_STEPS}, got {m.refine_steps}")
    if m.refine_steps and m.family == "gan" and not m.encoder:
        raise ValueError("refine steps need an encoder: a gan trained with --no-encoder has none")


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass."""
    return dataclasses.asdict(cfg)


def from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a TrainConfig from `to_dict` output, ignoring keys a newer version added."""

    def build(cls: Any, values: dict[str, Any]) -> Any:
        kwargs = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            value = values[f.name]
            sub = {"data": DataConfig, "model": ModelConfig, "loss": LossConfig}.get(f.name)
            kwargs[f.name] = build(sub, value) if sub and cls is TrainConfig else value
        return cls(**kwargs)

    return build(TrainConfig, data)


def dumps(cfg: Any) -> str:
    return json.dumps(to_dict(cfg), indent=2, sort_keys=True)
