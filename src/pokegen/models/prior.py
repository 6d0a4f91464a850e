"""Latent densities for sampling autoencoders: standard normal, a full Gaussian, or a GMM.

Everything lives in buffers, so a checkpoint's state_dict (safetensors) carries the fitted
density. Until `fit` is called every kind samples a standard normal. Fitting runs on the CPU in
float64; draws use only the passed `torch.Generator`.

Conditional models (n_classes > 0) also keep one mean shift per label, p(z | y) = p(z) shifted by
the labelled codes' mean offset: a conditional encoder still puts colour and shape into z, so
drawing z from the unconditional density would fight the label the decoder is given.
"""

from __future__ import annotations

import torch
from torch import nn

PRIOR_KINDS = ("gaussian", "gmm", "standard")
RIDGE = 1e-3  # covariance ridge, relative to the codes' mean per-dimension variance
SHIFT_PSEUDOCOUNT = 5.0  # a label seen n times keeps n / (n + 5) of its codes' mean offset


class LatentPrior(nn.Module):
    """A density over codes [N, L] fitted after training (Ghosh et al. 2020, "ex-post" density)."""

    def __init__(
        self,
        latent_dim: int,
        kind: str = "gaussian",
        components: int = 10,
        iterations: int = 50,
        n_classes: int = 0,
    ):
        super().__init__()
        if kind not in PRIOR_KINDS:
            raise ValueError(f"unknown prior {kind!r}; choose from {', '.join(PRIOR_KINDS)}")
        if components < 1:
            raise ValueError(f"prior components must be at least 1, got {components}")
        self.latent_dim, self.kind, self.iterations = latent_dim, kind, iterations
        self.components = components if kind == "gmm" else 1
        k, dim = self.components, latent_dim
        self.register_buffer("fitted", torch.tensor(False))
        if kind != "standard":
            self.register_buffer("weights", torch.full((k,), 1.0 / k))
            self.register_buffer("means", torch.zeros(k, dim))
            self.register_buffer("scale_trils", torch.eye(dim).repeat(k, 1, 1))  # [K, L, L]
        if n_classes > 0:
            self.register_buffer("class_shift", torch.zeros(n_classes, dim))  # [classes, L]

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, kind={self.kind!r}, components={self.components}"

    @torch.no_grad()
    def fit(
        self, z: torch.Tensor, generator: torch.Generator, labels: torch.Tensor | None = None
    ) -> None:
        """Fit to codes z [N, L]: mean + covariance, or EM from a k-means++ start for "gmm";
        with multi-hot labels [N, classes], also each label's shrunk mean offset."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(f"expected codes [N, {self.latent_dim}], got {list(z.shape)}")
        if hasattr(self, "class_shift") and labels is not None:
            self.class_shift.copy_(_class_shift(z.detach().cpu().double(), labels.cpu().double()))
        if self.kind == "standard":
            self.fitted.fill_(True)
            return
        data = z.detach().to("cpu", torch.float64)
        ridge = RIDGE * max(float(data.var(0, unbiased=False).mean()), 1e-6)
        if self.kind == "gaussian":
            resp = torch.ones(len(data), 1, dtype=data.dtype)
        else:
            k = min(self.components, len(data))
            resp = _hard_assign(data, _kmeans_pp(data, k, generator))  # [N, k]
        weights, means, trils = _m_step(data, resp, ridge)
        for _ in range(self.iterations if self.kind == "gmm" else 0):
            resp = _log_density(data, weights, means, trils).softmax(dim=1)  # E-step
            weights, means, trils = _m_step(data, resp, ridge)
        k = len(weights)  # fewer than `components` when N < components: the rest keep weight 0
        self.weights.zero_()[:k] = weights.float()
        self.means.zero_()[:k] = means.float()
        self.scale_trils.copy_(torch.eye(self.latent_dim))
        self.scale_trils[:k] = trils.float()
        self.fitted.fill_(True)

    def shift(self, labels: torch.Tensor | None) -> torch.Tensor | float:
        """The conditional offset for multi-hot labels [n, classes]: the mean of their shifts."""
        if labels is None or not hasattr(self, "class_shift"):
            return 0.0
        y = labels.to(self.class_shift)
        return y @ self.class_shift / y.sum(1, keepdim=True).clamp_min(1.0)  # [n, L]

    @torch.no_grad()
    def sample(
        self,
        n: int,
        generator: torch.Generator,
        labels: torch.Tensor | None = None,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """n codes [n, L] on the buffers' device (standard normal until fitted), shifted
        towards `labels` [n, classes] when the prior is conditional; `temperature` scales each
        draw's spread about its component's mean (below 1: typical codes, less variety)."""
        return self._draw(n, generator, temperature) + self.shift(labels)

    def _draw(self, n: int, generator: torch.Generator, temperature: float) -> torch.Tensor:
        device = self.fitted.device
        eps = torch.randn(n, self.latent_dim, generator=generator, device=generator.device)
        eps = eps.to(device) * temperature
        if self.kind == "standard" or not bool(self.fitted):
            return eps
        pick = torch.multinomial(
            self.weights.to(generator.device), n, replacement=True, generator=generator
        ).to(device)  # [n] component per draw
        return self.means[pick] + torch.einsum("nij,nj->ni", self.scale_trils[pick], eps)


def _class_shift(z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per label: (mean code of its images − mean code) · n/(n + pseudocount): [classes, L]."""
    counts = labels.sum(0)  # [classes]
    means = labels.T @ z / counts.clamp_min(1.0)[:, None]  # [classes, L]
    shrink = counts / (counts + SHIFT_PSEUDOCOUNT)
    return ((means - z.mean(0)) * shrink[:, None]).float()


def _kmeans_pp(data: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii 2007): centres [k, L] drawn from the data."""
    n = len(data)
    first = int(torch.randint(n, (1,), generator=generator))
    centres = [data[first]]
    dist = (data - data[first]).square().sum(1)  # [N] squared distance to the nearest centre
    for _ in range(1, k):
        probs = dist if float(dist.sum()) > 0 else torch.ones_like(dist)  # duplicates: uniform
        idx = int(torch.multinomial(probs.float(), 1, generator=generator))
        centres.append(data[idx])
        dist = torch.minimum(dist, (data - data[idx]).square().sum(1))
    return torch.stack(centres)


def _hard_assign(data: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """One-hot responsibilities [N, k] of each point's nearest centre."""
    nearest = torch.cdist(data, centres).argmin(dim=1)
    return nn.functional.one_hot(nearest, len(centres)).to(data.dtype)


def _m_step(data: torch.Tensor, resp: torch.Tensor, ridge: float):
    """Weights [k], means [k, L] and covariance Cholesky factors [k, L, L] from responsibilities."""
    n, dim = data.shape
    counts = resp.sum(0)  # [k]
    safe = counts.clamp_min(1e-12)
    means = resp.T @ data / safe[:, None]
    global_cov = torch.cov(data.T, correction=0).reshape(dim, dim)
    trils = []
    for j in range(len(counts)):
        if counts[j] < 1e-6:  # empty component: keep it harmless (it has zero weight)
            cov = global_cov
        else:
            centred = data - means[j]
            cov = (resp[:, j, None] * centred).T @ centred / safe[j]  # [L, L]
        trils.append(_cholesky(cov, ridge))
    return counts / n, means, torch.stack(trils)


def _cholesky(cov: torch.Tensor, ridge: float) -> torch.Tensor:
    """Lower Cholesky factor of cov + ridge·I, growing the ridge until it succeeds."""
    eye = torch.eye(len(cov), dtype=cov.dtype)
    cov = 0.5 * (cov + cov.T)
    for _ in range(10):
        factor, info = torch.linalg.cholesky_ex(cov + ridge * eye)
        if int(info) == 0:
            return factor
        ridge *= 10
    raise RuntimeError("could not factor the latent covariance")


def _log_density(
    data: torch.Tensor, weights: torch.Tensor, means: torch.Tensor, trils: torch.Tensor
) -> torch.Tensor:
    """log w_k + log N(x | μ_k, Σ_k) for every point and component: [N, k]."""
    dim = data.shape[1]
    centred = (data[None] - means[:, None]).transpose(1, 2)  # [k, L, N]
    solved = torch.linalg.solve_triangular(trils, centred, upper=False)  # [k, L, N]
    maha = solved.square().sum(1).T  # [N, k]
    logdet = 2 * torch.diagonal(trils, dim1=1, dim2=2).log().sum(1)  # [k]
    log_norm = -0.5 * (dim * torch.log(torch.tensor(2 * torch.pi, dtype=data.dtype)) + logdet)
    return weights.clamp_min(1e-300).log() + log_norm - 0.5 * maha
