"""Improved precision & recall (Kynkäänniemi et al. 2019), density & coverage (Naeem et al. 2020).

Each set's manifold is the union of balls around its points with radius = distance to the
k-th nearest other point of the same set. Precision: fraction of fakes inside the real
manifold (fidelity). Recall: fraction of reals inside the fake manifold (diversity; a
collapsed generator has radius-0 balls and recall ≈ 0). Density counts how many real balls
hold each fake (≈ 1 for matching distributions); coverage is the fraction of real balls
holding at least one fake. Distances are L2 in a stated feature space, computed with
`torch.cdist` in row chunks so memory stays O(chunk × N).
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def _chunked(
    a: torch.Tensor, b: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], chunk: int
) -> torch.Tensor:
    """Apply fn to each [chunk, len(b)] block of pairwise distances and concatenate rows."""
    return torch.cat([fn(torch.cdist(a[i : i + chunk], b)) for i in range(0, a.shape[0], chunk)])


def knn_radii(feats: torch.Tensor, k: int = 3, chunk: int = 1024) -> torch.Tensor:
    """Distance from each point to its k-th nearest *other* point of the same set → [N]."""
    if feats.shape[0] <= k:
        raise ValueError(f"need more than k={k} points for k-NN radii, got {feats.shape[0]}")
    # the (k+1)-th smallest distance in each row skips the point itself (distance 0)
    return _chunked(feats, feats, lambda d: d.kthvalue(k + 1, dim=1).values, chunk)


def _ball_counts(
    queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int
) -> torch.Tensor:
    """For each query, how many centres' balls contain it → [Q]."""
    return _chunked(queries, centres, lambda d: (d <= radii[None, :]).sum(dim=1), chunk)


def precision_recall(
    real_feats: torch.Tensor, fake_feats: torch.Tensor, k: int = 3, chunk: int = 1024
) -> dict[str, float]:
    """Improved precision and recall with k-NN manifolds; both in [0, 1], higher is better."""
    real, fake = real_feats.double(), fake_feats.double()
    real_radii, fake_radii = knn_radii(real, k, chunk), knn_radii(fake, k, chunk)
    precision = (_ball_counts(fake, real, real_radii, chunk) > 0).double().mean()
    recall = (_ball_counts(real, fake, fake_radii, chunk) > 0).double().mean()
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(
    real_feats: torch.Tensor, fake_feats: torch.Tensor, k: int = 3, chunk: int = 1024
) -> dict[str, float]:
    """Density (≈ 1 when distributions match, unbounded) and coverage in [0, 1]."""
    real, fake = real_feats.double(), fake_feats.double()
    real_radii = knn_radii(real, k, chunk)
    density = _ball_counts(fake, real, real_radii, chunk).double().sum() / (k * fake.shape[0])
    nearest_fake = _chunked(real, fake, lambda d: d.min(dim=1).values, chunk)  # [N_real]
    coverage = (nearest_fake <= real_radii).double().mean()
    return {"density": float(density), "coverage": float(coverage)}


def prdc(
    real_feats: torch.Tensor, fake_feats: torch.Tensor, k: int = 3, chunk: int = 1024
) -> dict[str, float]:
    """Precision, recall, density and coverage in one call."""
    return {
        **precision_recall(real_feats, fake_feats, k, chunk),
        **density_coverage(real_feats, fake_feats, k, chunk),
    }
