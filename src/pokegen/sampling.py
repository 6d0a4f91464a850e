"""Use a trained run: rebuild it from its folder alone, then sample or reconstruct
(latent walks are in pokegen.interpolation)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from pokegen import config as C
from pokegen import viz
from pokegen.errors import RunError


@torch.no_grad()
def generate_images(
    family: str,
    models: Mapping[str, nn.Module],
    n: int,
    generator: torch.Generator,
    labels: torch.Tensor | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 128,
    temperature: float = 1.0,
    refine: int = 0,
) -> torch.Tensor:
    """Draw n new images [n, C, S, S] in [-1, 1] on the CPU from a family's sampling modules;
    `temperature` scales the latent draws' spread (Glow's temperature, BigGAN's truncation),
    `refine` re-encodes and decodes each draw that many times (ModelConfig.refine_steps)."""
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        y = None if labels is None else labels[i : i + m].to(device)
        if family == "gan":
            g = models["generator"]
            z = torch.randn(m, g.latent_dim, generator=generator).to(device)
            x = g(z, y, temperature=temperature)
        else:
            net = models[family]
            x = net.decode(net.prior.sample(m, generator, y, temperature).to(device), y)
        for _ in range(refine):
            x = autoencode(family, models, x.clamp(-1, 1), y)
        out.append(x.float().cpu())
    return torch.cat(out)


def autoencode(
    family: str, models: Mapping[str, nn.Module], x: torch.Tensor, y: torch.Tensor | None = None
) -> torch.Tensor:
    """D(E(x)) for images [B, C, S, S] in [-1, 1], through the posterior mean where there is
    one: a reconstruction, and one step of the autoencoder's chain that refines samples."""
    if family == "gan":
        from pokegen.models.vae import gaussian_posterior

        g = models["generator"]
        mu, _ = gaussian_posterior(g.encoder(x, y))  # [B, 2L] → μ [B, L]
        return g(mu, y)
    net = models[family]
    z = net.encode(x, y)
    return net.decode(z[0] if isinstance(z, tuple) else z, y)  # a VAE's (μ, logvar) → μ


@dataclass
class Run:
    """A trained run rebuilt from its folder: config, sampling weights and the data it saw."""

    path: Path
    cfg: C.TrainConfig
    models: nn.ModuleDict  # EMA weights where the run kept them; eval mode
    device: torch.device
    info: dict

    @property
    def family(self) -> str:
        return self.cfg.family

    @property
    def label_names(self) -> list[str]:
        return list(self.info.get("label_names", []))

    def load_data(self, path: str | None = None):
        """The run's dataset, preprocessed exactly as in training (`path` relocates it)."""
        from pokegen.data import load_dataset

        return load_dataset(replace(self.cfg.data, path=path or self.cfg.data.path))

    def split(self, data=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(train, holdout) indices into `load_data()`, the split the run trained with."""
        from pokegen.data import split_indices

        data = data if data is not None else self.load_data()
        return split_indices(len(data), self.cfg.data.holdout, self.cfg.data.split_seed)


def load_run(
    run_dir: str | Path,
    device: str = "cpu",
    checkpoint: str = "last",
    refine_steps: int | None = None,
) -> Run:
    """Rebuild a run's models from config.json and a checkpoint ("last", or "best" by the
    training-time SWD probe); never unpickles anything. `refine_steps` overrides the run's
    sampling refinement (None: as trained)."""
    from pokegen.models import build_models
    from pokegen.training.checkpoint import load_checkpoint, module_state
    from pokegen.training.distributed import resolve_device

    path = Path(run_dir)
    if not (path / "config.json").is_file():
        raise RunError(f"{path} is not a run folder (no config.json)")
    doc = json.loads((path / "config.json").read_text())
    cfg = C.from_dict(doc["config"])
    if refine_steps is not None:
        cfg = C.merge(cfg, {"model": {"refine_steps": refine_steps}})
        C.validate_refine(cfg.model)
    if checkpoint not in C.CHECKPOINTS:
        raise RunError(f"checkpoint must be one of {', '.join(C.CHECKPOINTS)}, got {checkpoint!r}")
    tensors, _ = load_checkpoint(path / "checkpoints" / f"{checkpoint}.json")
    dev = resolve_device(device)
    models = build_models(cfg.model, cfg.data.image_size, cfg.data.channels)
    for name, module in models.items():
        saved = module_state(tensors, f"ema.{name}") or module_state(tensors, f"model.{name}")
        module.load_state_dict(saved)
    return Run(path, cfg, models.to(dev).eval(), dev, doc.get("data", {}))


def type_index(run: Run, name: str) -> int:
    """Index of a type (any case) in the run's vocabulary; an unknown name lists the valid ones."""
    match = [i for i, known in enumerate(run.label_names) if known.lower() == name.lower()]
    if not match:
        raise RunError(f"unknown type {name!r}; valid types: {', '.join(run.label_names)}")
    return match[0]


def labels_for(
    run: Run, n: int, type1: str | None, type2: str | None = None
) -> torch.Tensor | None:
    """Multi-hot labels for `--type/--type2`; an unknown name lists the valid ones."""
    if not run.cfg.model.conditional:
        if type1 or type2:
            raise RunError(
                f"{run.path} was not trained with --conditional; --type needs a conditional run"
            )
        return None
    names = run.label_names
    y = torch.zeros(n, len(names))
    if type1 is None:  # no type asked for: cycle through every single type
        y[torch.arange(n), torch.arange(n) % len(names)] = 1
        return y
    for t in (type1, type2):
        if t is not None:
            y[:, type_index(run, t)] = 1
    return y


def generate(
    run: Run,
    n: int,
    seed: int = 0,
    labels: torch.Tensor | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """n new images [n, C, S, S] in [-1, 1], the same for the same seed and temperature."""
    gen = torch.Generator().manual_seed(seed)
    refine = run.cfg.model.refine_steps
    return generate_images(
        run.family, run.models, n, gen, labels, run.device, temperature=temperature, refine=refine
    )


def sample(
    run_dir: str | Path,
    n: int = 64,
    out: str | Path | None = None,
    seed: int = 0,
    type1: str | None = None,
    type2: str | None = None,
    device: str = "cpu",
    checkpoint: str = "last",
    temperature: float = 1.0,
    refine_steps: int | None = None,
) -> Path:
    """Write n numbered PNGs and grid.png into `out` (default RUN/samples)."""
    run = load_run(run_dir, device, checkpoint, refine_steps)
    out = Path(out) if out is not None else run.path / "samples"
    images = generate(run, n, seed, labels_for(run, n, type1, type2), temperature)
    out.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        viz.atomic_save(viz.to_pil(image), out / f"{i:04d}.png")
    viz.save_grid(images, out / "grid.png")
    return out


def can_reconstruct(run: Run) -> bool:
    """AE and VAE always encode; a GAN only when trained with an encoder (VAE-GAN)."""
    return run.family != "gan" or run.cfg.model.encoder


@torch.no_grad()
def reconstruct(run: Run, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Encode and decode images [B, C, S, S] in [-1, 1] (VAE and VAE-GAN use the posterior mean)."""
    y = labels.to(run.device) if labels is not None and run.cfg.model.conditional else None
    if not can_reconstruct(run):
        raise RunError("a GAN trained with --no-encoder has no encoder to reconstruct with")
    return autoencode(run.family, run.models, x.to(run.device), y).float().cpu()


def holdout_images(
    run: Run, n: int, data_path: str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n holdout images [n, C, S, S] in [-1, 1] and their labels, split as in training."""
    data = run.load_data(data_path)
    _, holdout = run.split(data)
    pick = holdout[:n] if len(holdout) else torch.arange(min(n, len(data)))
    return data.images[pick].float() / 127.5 - 1, data.labels[pick]


def write_reconstructions(
    run_dir: str | Path,
    out: str | Path | None = None,
    n: int = 16,
    data: str | None = None,
    device: str = "cpu",
    checkpoint: str = "last",
) -> Path:
    """Holdout originals (odd columns) beside their reconstructions (even columns)."""
    run = load_run(run_dir, device, checkpoint)
    x, y = holdout_images(run, n, data)
    x_hat = reconstruct(run, x, y)
    pairs = torch.stack([x, x_hat], dim=1).flatten(0, 1)  # [2n, C, S, S]: original, recon, …
    return viz.save_grid(pairs, Path(out) if out else run.path / "reconstructions.png", nrow=8)


@torch.no_grad()
def negative_elbo_bpd(
    run: Run, x: torch.Tensor, labels: torch.Tensor | None = None, seed: int = 0
) -> torch.Tensor:
    """Holdout negative ELBO of a VAE in bits per dimension [B] (one posterior sample)."""
    from pokegen.models.vae import reparameterise
    from pokegen.training import losses

    if run.family != "vae":
        raise RunError("negative ELBO is defined for vae runs only")
    net = run.models["vae"]
    y = labels.to(run.device) if labels is not None and run.cfg.model.conditional else None
    mu, logvar = net.encode(x.to(run.device), y)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed)).to(run.device)
    x_mean = net.decode(reparameterise(mu, logvar, eps), y)
    nll = losses.reconstruction_nll(
        x.to(run.device), x_mean, net.log_sigma, run.cfg.loss.likelihood
    )
    kl = losses.kl_normal(mu, logvar, 0.0)
    return losses.bits_per_dim(nll + kl, x[0].numel()).cpu()
