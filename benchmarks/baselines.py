"""Textbook DCGAN, conv VAE and conv AE on pokegen's data layer: the bar pokegen has to clear.

Written the way a practitioner would from the PyTorch examples / tutorials, with no tuning:

- DCGAN (pytorch/examples `dcgan`, 64 px): nz 100, ngf = ndf = 64, BatchNorm, ConvTranspose
  generator with tanh, strided-conv discriminator with LeakyReLU 0.2 and a sigmoid, BCE loss,
  Adam 2e-4 (β 0.5, 0.999), batch 128, weights N(0, 0.02) (BatchNorm weights N(1, 0.02)).
  Samples are drawn in train mode (batch statistics), as the example draws its fixed-noise grids.
- Conv VAE: encoder convs 32-64-128-256 (4×4, stride 2, ReLU), z 128, mirrored ConvTranspose
  decoder with tanh output (data in [-1, 1]); loss = MSE summed over pixels + KL; Adam 1e-3;
  batch 64. Samples decode z ~ N(0, I); reconstructions decode the posterior mean.
- Conv AE: the same network without the variance head, loss = MSE; it generates by decoding
  draws from a full-covariance Gaussian fitted to its (unflipped) training latents.

nELBO in bits/dim (VAE only): an MSE-sum objective is exactly the negative log-likelihood of a
per-pixel Gaussian with fixed σ² = 0.5 in [-1, 1] units (since (x - x̂)² / (2σ²) = (x - x̂)²),
up to the constant ½·log(2πσ²) per dimension. We report that density plus the KL term, from
one posterior sample, converted with pokegen's own `losses.bits_per_dim` (nats / (D·ln 2) +
log2(127.5): bits on the 8-bit grid), exactly as `pokegen.sampling.negative_elbo_bpd` does.

Every model trains on CPU for a wall-clock budget, batches come from `pokegen.data`
(`epoch_indices` + `iterate_batches` with horizontal flips), initialisation runs under
`fork_rng`, and all other randomness goes through one `torch.Generator`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pokegen.data import epoch_indices, iterate_batches
from pokegen.training.losses import bits_per_dim

NZ, NGF, NDF, NC = 100, 64, 64, 3  # DCGAN sizes from the PyTorch example
Z_DIM = 128  # VAE / AE latent size
WIDTHS = (32, 64, 128, 256)  # VAE / AE encoder channels at 32, 16, 8, 4 px
VAE_SIGMA2 = 0.5  # the fixed Gaussian variance an MSE-sum loss implies, in [-1, 1] units


# ----------------------------------------------------------------------------- networks
def _up(c_in: int, c_out: int, stride: int = 2, pad: int = 1) -> list[nn.Module]:
    conv = nn.ConvTranspose2d(c_in, c_out, 4, stride, pad, bias=False)
    return [conv, nn.BatchNorm2d(c_out), nn.ReLU(True)]


def _down(c_in: int, c_out: int, bn: bool = True) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)
    return [conv, *([nn.BatchNorm2d(c_out)] if bn else []), nn.LeakyReLU(0.2, True)]


def dcgan_generator() -> nn.Module:
    """z [B, nz, 1, 1] → 4 → 8 → 16 → 32 → 64 px, tanh."""
    return nn.Sequential(
        *_up(NZ, NGF * 8, 1, 0), *_up(NGF * 8, NGF * 4), *_up(NGF * 4, NGF * 2), *_up(NGF * 2, NGF),
        nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh(),
    )  # fmt: skip


def dcgan_discriminator() -> nn.Module:
    """64 → 32 → 16 → 8 → 4 px → probability [B, 1, 1, 1]; no BatchNorm on the input layer."""
    return nn.Sequential(
        *_down(NC, NDF, bn=False), *_down(NDF, NDF * 2), *_down(NDF * 2, NDF * 4),
        *_down(NDF * 4, NDF * 8), nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    )  # fmt: skip


def dcgan_init(m: nn.Module) -> None:
    """The example's `weights_init`: conv weights N(0, 0.02), BatchNorm N(1, 0.02) and bias 0."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class ConvAutoEncoder(nn.Module):
    """Plain conv encoder/decoder; `variational` adds the log-variance head of a VAE."""

    def __init__(self, variational: bool, z_dim: int = Z_DIM, size: int = 64):
        super().__init__()
        self.variational, self.z_dim, self.s = variational, z_dim, size // 2 ** len(WIDTHS)
        enc, c = [], NC
        for w in WIDTHS:
            enc += [nn.Conv2d(c, w, 4, 2, 1), nn.ReLU(True)]
            c = w
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        flat = WIDTHS[-1] * self.s * self.s
        self.fc_mu = nn.Linear(flat, z_dim)
        self.fc_logvar = nn.Linear(flat, z_dim) if variational else None
        self.fc_dec = nn.Linear(z_dim, flat)
        dec = []
        for w_in, w_out in zip(WIDTHS[::-1], [*WIDTHS[::-1][1:], NC], strict=True):
            dec += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1), nn.ReLU(True)]
        self.decoder = nn.Sequential(*dec[:-1], nn.Tanh())  # tanh output: data in [-1, 1]

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        h = self.encoder(x)
        return self.fc_mu(h), (self.fc_logvar(h) if self.variational else None)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(self.fc_dec(z).view(-1, WIDTHS[-1], self.s, self.s))


def kl_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, σ²) ‖ N(0, I)) per example, in nats."""
    return -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(dim=1)


# ----------------------------------------------------------------------------- training steps
StepFn = Callable[[Tensor, torch.Generator], dict[str, Tensor]]


@dataclass
class Trainer:
    """A model's networks and one optimisation step on a batch in [-1, 1]."""

    name: str  # dcgan | vae | ae
    family: str  # the pokegen family it is compared with
    nets: dict[str, nn.Module]
    batch_size: int
    step: StepFn


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seeded initialisation inside a forked global RNG (nn.init takes no generator)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def make_dcgan(seed: int) -> Trainer:
    """The PyTorch-examples DCGAN loop: D on real then fake, G with flipped labels."""
    with _seeded(seed):
        G, D = dcgan_generator().apply(dcgan_init), dcgan_discriminator().apply(dcgan_init)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()

    def step(x: Tensor, gen: torch.Generator) -> dict[str, Tensor]:
        b = x.shape[0]
        ones, zeros = torch.ones(b), torch.zeros(b)
        D.zero_grad()
        err_real = bce(D(x).view(-1), ones)
        err_real.backward()
        fake = G(torch.randn(b, NZ, 1, 1, generator=gen))
        err_fake = bce(D(fake.detach()).view(-1), zeros)
        err_fake.backward()
        opt_d.step()
        G.zero_grad()
        err_g = bce(D(fake).view(-1), ones)  # fake labels are real for the generator cost
        err_g.backward()
        opt_g.step()
        return {"loss_d": (err_real + err_fake).detach(), "loss_g": err_g.detach()}

    return Trainer("dcgan", "gan", {"G": G, "D": D}, 128, step)


def make_vae(seed: int) -> Trainer:
    """Conv VAE: MSE summed over pixels + KL, averaged over the batch."""
    with _seeded(seed):
        net = ConvAutoEncoder(variational=True)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(x: Tensor, gen: torch.Generator) -> dict[str, Tensor]:
        mu, logvar = net.encode(x)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)
        mse = (net.decode(z) - x).square().sum(dim=(1, 2, 3))
        loss = (mse + kl_normal(mu, logvar)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    return Trainer("vae", "vae", {"vae": net}, 64, step)


def make_ae(seed: int) -> Trainer:
    """The VAE's architecture as a deterministic autoencoder trained on pixel MSE."""
    with _seeded(seed):
        net = ConvAutoEncoder(variational=False)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(x: Tensor, gen: torch.Generator) -> dict[str, Tensor]:
        loss = F.mse_loss(net.decode(net.encode(x)[0]), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    return Trainer("ae", "ae", {"ae": net}, 64, step)


def fit(trainer: Trainer, images: Tensor, minutes: float, seed: int) -> tuple[int, float]:
    """Run the trainer's step over shuffled, flipped epochs until `minutes` of wall clock pass."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.zeros(len(images), 0)
    for net in trainer.nets.values():
        net.train()
    steps, epoch, budget, start = 0, 0, minutes * 60, time.perf_counter()
    while time.perf_counter() - start < budget:
        order = epoch_indices(len(images), epoch, seed)
        for x, _ in iterate_batches(images, labels, order, trainer.batch_size, True, gen):
            stats = trainer.step(x, gen)
            steps += 1
            if not all(bool(torch.isfinite(v)) for v in stats.values()):
                raise FloatingPointError(f"{trainer.name}: non-finite loss at step {steps}")
            if time.perf_counter() - start >= budget:
                break
        epoch += 1
    return steps, time.perf_counter() - start


# ----------------------------------------------------------------------------- trained models
@dataclass
class Baseline:
    """A trained textbook model behind the interface quality.py measures."""

    name: str
    family: str
    nets: dict[str, nn.Module]
    steps: int
    seconds: float
    batch_size: int
    prior: tuple[Tensor, Tensor] | None = None  # AE: latent mean and Cholesky factor

    @property
    def images_per_sec(self) -> float:
        return self.steps * self.batch_size / max(self.seconds, 1e-9)

    @torch.no_grad()
    def generate(self, n: int, seed: int) -> Tensor:
        """n samples [n, 3, 64, 64] in [-1, 1], the same for the same seed."""
        gen, out = torch.Generator().manual_seed(seed), []
        for i in range(0, n, 128):
            m = min(128, n - i)
            if self.family == "gan":
                out.append(self.nets["G"](torch.randn(m, NZ, 1, 1, generator=gen)))
                continue
            net = self.nets[self.family]
            z = torch.randn(m, net.z_dim, generator=gen)
            if self.prior is not None:
                mean, chol = self.prior
                z = mean + z @ chol.T
            out.append(net.decode(z))
        return torch.cat(out).clamp(-1, 1)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """Encode and decode (the VAE uses its posterior mean)."""
        net = self.nets[self.family]
        return torch.cat([net.decode(net.encode(c)[0]) for c in x.split(128)])

    @torch.no_grad()
    def nelbo_bpd(self, x: Tensor, seed: int = 0) -> Tensor | None:
        """Per-image negative ELBO in bits/dim (fixed σ² = 0.5 Gaussian, see module doc)."""
        if self.family != "vae":
            return None
        net, gen, out = self.nets["vae"], torch.Generator().manual_seed(seed), []
        dims = x[0].numel()
        for c in x.split(128):
            mu, logvar = net.encode(c)
            z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)
            sq = (net.decode(z) - c).square().sum(dim=(1, 2, 3))
            nll = sq / (2 * VAE_SIGMA2) + 0.5 * dims * math.log(2 * math.pi * VAE_SIGMA2)
            out.append(bits_per_dim(nll + kl_normal(mu, logvar), dims))
        return torch.cat(out)


@torch.no_grad()
def fit_gaussian(net: ConvAutoEncoder, images: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and Cholesky factor of a full-covariance Gaussian over the training latents."""
    x = images.float() / 127.5 - 1
    z = torch.cat([net.encode(c)[0] for c in x.split(256)]).double()
    cov = torch.cov(z.T) + 1e-5 * torch.eye(z.shape[1], dtype=z.dtype)
    return z.mean(0).float(), torch.linalg.cholesky(cov).float()


def _train(make: Callable[[int], Trainer], images: Tensor, minutes: float, seed: int) -> Baseline:
    trainer = make(seed)
    steps, seconds = fit(trainer, images, minutes, seed)
    for net in trainer.nets.values():  # DCGAN keeps train mode: samples use batch statistics
        net.train(trainer.family == "gan")
    prior = fit_gaussian(trainer.nets["ae"], images) if trainer.family == "ae" else None
    return Baseline(trainer.name, trainer.family, trainer.nets, steps, seconds, trainer.batch_size,
                    prior)  # fmt: skip


def train_dcgan(images_uint8: Tensor, minutes: float, seed: int) -> Baseline:
    return _train(make_dcgan, images_uint8, minutes, seed)


def train_vae(images_uint8: Tensor, minutes: float, seed: int) -> Baseline:
    return _train(make_vae, images_uint8, minutes, seed)


def train_ae(images_uint8: Tensor, minutes: float, seed: int) -> Baseline:
    return _train(make_ae, images_uint8, minutes, seed)


BASELINES: dict[str, Callable[[Tensor, float, int], Baseline]] = {
    "gan": train_dcgan,
    "vae": train_vae,
    "ae": train_ae,
}
MAKERS: dict[str, Callable[[int], Trainer]] = {"gan": make_dcgan, "vae": make_vae, "ae": make_ae}
