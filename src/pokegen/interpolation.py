"""Latent walks of a trained run: between random latents (GAN), between holdout codes (AE, VAE),
or, for conditional runs, from one type's label to another's with the latent held fixed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch

from pokegen import viz
from pokegen.errors import RunError
from pokegen.sampling import Run, holdout_images, labels_for, load_run, type_index


@torch.no_grad()
def type_walk(
    run: Run, type_a: str, type_b: str, rows: int, steps: int, seed: int = 0
) -> list[torch.Tensor]:
    """Frames [rows, C, S, S] of a label walk from one-hot A to one-hot B, one latent per row."""
    if not run.cfg.model.conditional:
        raise RunError(
            f"{run.path} was not trained with --conditional; --between needs a conditional run"
        )
    ia, ib = type_index(run, type_a), type_index(run, type_b)
    g = torch.Generator().manual_seed(seed)
    if run.family == "gan":
        decode = run.models["generator"]
        z = torch.randn(rows, decode.latent_dim, generator=g).to(run.device)  # [rows, L]
    else:
        net = run.models[run.family]
        z = net.prior.sample(rows, g).to(run.device)

        def decode(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return net.decode(z + net.prior.shift(y), y)  # the label moves the code too

    frames = []
    for t in torch.linspace(0, 1, steps).tolist():
        y = torch.zeros(rows, len(run.label_names))  # [rows, K]: (1 - t)·A + t·B
        y[:, ia] += 1 - t
        y[:, ib] += t
        frames.append(decode(z, y.to(run.device)).float().cpu())
    return frames


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation, which keeps Gaussian latents at a typical norm; (nearly)
    parallel pairs, where the sine weights are 0/0, fall back to a straight line."""
    cos = (a / a.norm(dim=-1, keepdim=True) * b / b.norm(dim=-1, keepdim=True)).sum(-1)
    omega = torch.acos(cos.clamp(-1, 1))[..., None]  # [..., 1]
    so = torch.sin(omega)
    parallel = so < 1e-4
    so = torch.where(parallel, torch.ones_like(so), so)
    wa = torch.where(parallel, torch.full_like(so, 1 - t), torch.sin((1 - t) * omega) / so)
    wb = torch.where(parallel, torch.full_like(so, t), torch.sin(t * omega) / so)
    return wa * a + wb * b


@torch.no_grad()
def interpolate(
    run_dir: str | Path,
    out: str | Path | None = None,
    rows: int = 6,
    steps: int = 10,
    seed: int = 0,
    data: str | None = None,
    device: str = "cpu",
    between: tuple[str, str] | None = None,
    checkpoint: str = "last",
) -> Path:
    """A latent-walk grid (rows × steps) and a GIF: GANs walk between random latents, AE/VAE
    between the codes of two holdout images. `between=(A, B)` (conditional runs) keeps each
    row's latent fixed and walks the label from type A to type B instead, into
    interpolation_A_to_B.{png,gif}."""
    run = load_run(run_dir, device, checkpoint)
    out = Path(out) if out else run.path
    if between is not None:
        frames = type_walk(run, *between, rows, steps, seed)
        a, b = (run.label_names[type_index(run, t)] for t in between)  # as the run spells them
        return _save_walk(frames, rows, steps, out, f"interpolation_{_slug(a)}_to_{_slug(b)}")
    g = torch.Generator().manual_seed(seed)
    y = labels_for(run, rows, None) if run.cfg.model.conditional else None
    if run.family == "gan":
        net = run.models["generator"]
        a, b = (torch.randn(rows, net.latent_dim, generator=g) for _ in range(2))
        decode = net
        spherical = True
    else:
        net = run.models[run.family]
        x, _ = holdout_images(run, 2 * rows, data)
        codes = net.encode(
            x.to(run.device), None if y is None else torch.cat([y, y]).to(run.device)
        )
        codes = (codes[0] if isinstance(codes, tuple) else codes).cpu()
        if len(codes) < 2 * rows:  # too few holdout images: pair them with prior draws
            codes = torch.cat([codes, net.prior.sample(2 * rows - len(codes), g).cpu()])
        a, b = codes[:rows], codes[rows : 2 * rows]
        decode = net.decode
        spherical = run.family == "vae"
    yd = None if y is None else y.to(run.device)
    frames = []
    for t in torch.linspace(0, 1, steps).tolist():
        z = slerp(a, b, t) if spherical else (1 - t) * a + t * b
        frames.append(decode(z.to(run.device), yd).float().cpu())
    return _save_walk(frames, rows, steps, out, "interpolation")


def _slug(name: str) -> str:
    """A type name made safe for a file name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "type"


def _save_walk(frames: list[torch.Tensor], rows: int, steps: int, out: Path, stem: str) -> Path:
    """STEM.png (one walk per row) and STEM.gif (all rows, frame by frame); returns the GIF."""
    walk = torch.stack(frames, dim=1).flatten(0, 1)  # [rows·steps, C, S, S], one walk per row
    viz.save_grid(walk, out / f"{stem}.png", nrow=steps)
    viz.save_gif(
        [viz.make_grid(f, nrow=math.ceil(math.sqrt(rows))) for f in frames], out / f"{stem}.gif"
    )
    return out / f"{stem}.gif"
