"""Sample diversity: feature-space spread relative to the data, and pairwise MS-SSIM.

`diversity_ratio` = mean pairwise feature distance among samples / the same among real
images: 1.0 means as spread out as the data, mode collapse drives it towards 0, and
values above 1 mean the samples are more scattered than the data (e.g. noise).

`ms_ssim_samples` / `ms_ssim_real`: mean MS-SSIM over random pairs within a set (lower =
more diverse; compare the two rather than ranking). At 32–64 px the standard 5-scale
MS-SSIM does not fit, so we use 3 scales (the first three standard betas renormalised to
sum to 1) with a 7×7 Gaussian window, σ = 1.5; below 32 px plain SSIM with that window.
"""

from __future__ import annotations

import torch

from pokegen.evaluation.images import to_unit_float

_BETAS = (0.0448, 0.2856, 0.3001)
MS_SSIM_NAME = "MS-SSIM (3 scales, 7x7 Gaussian σ=1.5; SSIM below 32 px)"


def mean_pairwise_distance(feats: torch.Tensor, chunk: int = 1024) -> float:
    """Mean L2 distance over all unordered pairs of distinct rows."""
    n = feats.shape[0]
    if n < 2:
        return 0.0
    feats = feats.double()
    total = sum(float(torch.cdist(feats[i : i + chunk], feats).sum()) for i in range(0, n, chunk))
    return total / (n * (n - 1))  # the zero diagonal contributes nothing


def diversity_ratio(real_feats: torch.Tensor, fake_feats: torch.Tensor) -> dict[str, float]:
    """Spread of the samples relative to the spread of the data (1.0 = as diverse)."""
    real = mean_pairwise_distance(real_feats)
    fake = mean_pairwise_distance(fake_feats)
    return {"diversity_ratio": fake / real if real > 0 else float("nan")}


def random_pairs(
    n: int, n_pairs: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """n_pairs index pairs (i, j) with i != j, drawn uniformly."""
    i = torch.randint(0, n, (n_pairs,), generator=generator)
    j = (i + torch.randint(1, n, (n_pairs,), generator=generator)) % n  # never equal to i
    return i, j


def pairwise_ms_ssim(images: torch.Tensor, n_pairs: int = 500, seed: int = 0) -> float:
    """Mean MS-SSIM over random pairs of distinct images of one set (1.0 = all identical)."""
    from torchmetrics.functional.image import (
        multiscale_structural_similarity_index_measure as ms_ssim,
    )
    from torchmetrics.functional.image import structural_similarity_index_measure as ssim

    x = to_unit_float(images)  # [N, 3, H, W] in [0, 1]
    if x.shape[0] < 2:
        return float("nan")
    gen = torch.Generator().manual_seed(seed)
    i, j = random_pairs(x.shape[0], n_pairs, gen)
    values = []
    for s in range(0, n_pairs, 250):
        a, b = x[i[s : s + 250]], x[j[s : s + 250]]
        if min(x.shape[-2:]) >= 32:
            total = sum(_BETAS)
            betas = tuple(beta / total for beta in _BETAS)
            v = ms_ssim(
                a, b, kernel_size=7, sigma=1.5, data_range=1.0, betas=betas, reduction="none"
            )
        else:
            v = ssim(a, b, kernel_size=7, sigma=1.5, data_range=1.0, reduction="none")
        values.append(v.reshape(-1))
    return float(torch.cat(values).double().mean())


def diversity(
    real_feats: torch.Tensor,
    fake_feats: torch.Tensor,
    real_images: torch.Tensor,
    fake_images: torch.Tensor,
    seed: int = 0,
    n_pairs: int = 500,
) -> dict[str, float]:
    """All diversity numbers: feature-space ratio and within-set MS-SSIM for samples and data."""
    return {
        **diversity_ratio(real_feats, fake_feats),
        "ms_ssim_samples": pairwise_ms_ssim(fake_images, n_pairs, seed),
        "ms_ssim_real": pairwise_ms_ssim(real_images, n_pairs, seed),
    }
