"""Cheap signals during training: fixed-latent grids, SWD on a small fixed subset, fitted priors."""

from __future__ import annotations

import torch
from torch import nn

from pokegen.config import TrainConfig
from pokegen.sampling import generate_images


@torch.no_grad()
def encode_codes(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Codes [N, L] of uint8 images [N, C, S, S] on the CPU (a VAE's posterior means): what
    a latent density is fitted to."""
    codes = []
    for i in range(0, len(images), 256):
        x = images[i : i + 256].float() / 127.5 - 1  # uint8 → [-1, 1]
        out = model.encode(x, None if labels is None else labels[i : i + 256])
        codes.append((out[0] if isinstance(out, tuple) else out).float().cpu())  # VAE: the mean
    return torch.cat(codes)


@torch.no_grad()
def fit_latent_prior(
    cfg: TrainConfig, model: nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> None:
    """Fit the AE's latent density (or a VAE's optional GMM) to the encoded training images."""
    if cfg.family == "gan" or (cfg.family == "vae" and cfg.model.prior != "gmm"):
        return
    was_training = model.training
    model.eval()
    cond = cfg.model.conditional
    model.prior.fit(
        encode_codes(model, images, labels if cond else None),
        torch.Generator().manual_seed(cfg.seed),
        labels[: len(images)].float() if cond else None,
    )
    model.train(was_training)


class HealthProbe:
    """Fixed latents and a fixed real subset, so numbers and grids compare across epochs."""

    def __init__(
        self,
        cfg: TrainConfig,
        images: torch.Tensor,
        labels: torch.Tensor,
        device: torch.device,
        n_grid: int = 64,
        n_swd: int = 256,
    ):
        self.cfg, self.device = cfg, device
        pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(cfg.seed))[
            :n_swd
        ]
        self.reals = images[pick].cpu()
        self.swd_reference = None  # the reals' half of SWD, built at the first measure()
        self.n_grid, self.n_swd = n_grid, min(n_swd, len(images))
        self.grid_labels = self._labels(labels, n_grid)
        self.swd_labels = self._labels(labels, self.n_swd, pick)

    def _labels(
        self, labels: torch.Tensor, n: int, pick: torch.Tensor | None = None
    ) -> torch.Tensor | None:
        if not self.cfg.model.conditional:
            return None
        if pick is not None:
            return labels[pick].cpu()
        # One label per row of the grid: cycle through the vocabulary as single types.
        eye = torch.eye(labels.shape[1])
        return eye[torch.arange(n) // max(1, n // labels.shape[1]) % labels.shape[1]]

    def _generate(
        self, samplers: dict[str, nn.Module], n: int, seed: int, labels, refine: int = 0
    ) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return generate_images(
            self.cfg.family, samplers, n, gen, labels, self.device, refine=refine
        )

    def fixed_samples(self, samplers: dict[str, nn.Module]) -> torch.Tensor:
        """The same latents every time, refined as `sample` will: grids show how one set of
        samples evolves."""
        refine = self.cfg.model.refine_steps
        return self._generate(samplers, self.n_grid, self.cfg.seed + 1, self.grid_labels, refine)

    def measure(
        self, samplers: dict[str, nn.Module], train_means: dict[str, float]
    ) -> dict[str, float]:
        """SWD of samples against the fixed real subset; the GAN's E[sign D(real)] from training."""
        from pokegen.evaluation.swd import SWDReference

        if self.swd_reference is None:  # once per run: the reals never change
            self.swd_reference = SWDReference(self.reals, seed=self.cfg.seed)
        # raw draws: refining 256 of them every check would cost ~3% of the budget
        fakes = self._generate(samplers, self.n_swd, self.cfg.seed + 2, self.swd_labels)
        out = {"swd_mean": self.swd_reference(fakes)["swd_mean"]}
        if "d_real_sign" in train_means:
            out["d_real_sign"] = train_means["d_real_sign"]
        return out
