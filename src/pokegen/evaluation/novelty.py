"""Memorisation check: how close is each sample to its nearest training image?

Space: pixel L2 on RGB in [0, 1] after an antialiased resize to 32×32 (3072-d), against
the training images *and their horizontal mirrors* (training flips them, so a memorised
sample may come out mirrored). Each sample's distance to its nearest training image j is
divided by j's own gap: the distance from j to the nearest *other* training image (or its
mirror). A ratio below `threshold` (0.5 by default) marks a near-copy: the sample is
closer to j than any other real creature is. Normalising per training image (rather than
by one global median) keeps blurry blobs near the many small sprites on white from being
called copies, since small sprites also sit close to each other. Training images passed
off as samples score 0 (mirrored ones too); `novelty_near_copy_fraction_holdout` applies
the same test to real holdout images as the false-alarm baseline for each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from pokegen.evaluation.images import resize, to_unit_float

SPACE = (
    "pixel L2, RGB [0,1] at 32x32, nearest over train images and their mirrors, "
    "relative to that image's own nearest-neighbour gap"
)
DEFAULT_THRESHOLD = 0.5


@dataclass
class NoveltyResult:
    """Per-sample nearest-training-image matches and the near-copy summary."""

    nearest_index: torch.Tensor  # [M] long: index into the training images
    nearest_mirrored: torch.Tensor  # [M] bool: the match was the mirrored training image
    distance: torch.Tensor  # [M] float64
    ratio: torch.Tensor  # [M] distance / the matched training image's own gap
    typical_distance: float  # median real-to-real nearest-neighbour distance (context)
    threshold: float
    space: str = SPACE

    @property
    def near_copy_fraction(self) -> float:
        return float((self.ratio < self.threshold).double().mean()) if len(self.ratio) else 0.0

    def summary(self) -> dict[str, float | str]:
        """The numbers that go into metrics.json."""
        return {
            "novelty_near_copy_fraction": self.near_copy_fraction,
            "novelty_median_ratio": float(self.ratio.median()) if len(self.ratio) else float("nan"),
            "novelty_threshold": self.threshold,
            "novelty_space": self.space,
        }


def pixel_embedding(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Images in any accepted format → flattened RGB [0, 1] at size×size → [N, 3 * size²]."""
    x = resize(to_unit_float(images), size)
    return x.reshape(x.shape[0], -1).double()


def _nearest(
    queries: torch.Tensor, refs: torch.Tensor, exclude_self: bool, chunk: int = 512
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest reference (refs stacked as [originals; mirrors]) per query → (distance, column)."""
    n = refs.shape[0] // 2
    dists, cols = [], []
    for i in range(0, queries.shape[0], chunk):
        d = torch.cdist(queries[i : i + chunk], refs)  # [chunk, 2N]
        if exclude_self:  # a training image must not match itself or its own mirror
            rows = torch.arange(i, i + d.shape[0])
            d[torch.arange(d.shape[0]), rows] = float("inf")
            d[torch.arange(d.shape[0]), rows + n] = float("inf")
        value, col = d.min(dim=1)
        dists.append(value)
        cols.append(col)
    return torch.cat(dists), torch.cat(cols)


def novelty(
    samples: torch.Tensor,
    train_images: torch.Tensor,
    feature_fn=None,
    threshold: float = DEFAULT_THRESHOLD,
) -> NoveltyResult:
    """Nearest training image per sample, ratio to the typical real gap, near-copy flags.

    `feature_fn(images) -> [N, D]` swaps the pixel space for another embedding (mirrors are
    embedded the same way); the result's `space` then says "custom".
    """
    embed = feature_fn or pixel_embedding
    n = train_images.shape[0]
    if n < 2:
        raise ValueError("novelty needs at least 2 training images")
    refs = torch.cat([embed(train_images), embed(train_images.flip(-1))]).double()  # [2N, D]
    real_gap, _ = _nearest(refs[:n], refs, exclude_self=True)
    typical = float(real_gap.median())
    dist, col = _nearest(embed(samples).double(), refs, exclude_self=False)
    gap = real_gap.clamp_min(1e-12)[col % n]  # the matched training image's own gap
    return NoveltyResult(
        nearest_index=col % n,
        nearest_mirrored=col >= n,
        distance=dist,
        ratio=dist / gap,
        typical_distance=typical,
        threshold=threshold,
        space=SPACE if feature_fn is None else "custom",
    )


def save_novelty_sheet(
    result: NoveltyResult,
    samples: torch.Tensor,
    train_images: torch.Tensor,
    path: str | Path,
    n: int = 16,
    pairs_per_row: int = 4,
) -> Path:
    """PNG of the n closest pairs, each "sample | nearest training image" side by side."""
    from pokegen.viz import atomic_save, make_grid

    train = to_unit_float(train_images)
    fakes = to_unit_float(samples)
    if fakes.shape[1:] != train.shape[1:]:
        raise ValueError("samples and training images must have the same size")
    divider = torch.full((3, train.shape[-2], 1), 0.6)  # a thin grey line inside each pair
    tiles = []
    for i in result.ratio.argsort()[:n].tolist():
        match = train[result.nearest_index[i]]
        if result.nearest_mirrored[i]:
            match = match.flip(-1)  # show the training image the way it matched
        tiles.append(torch.cat([fakes[i], divider, match], dim=-1))  # [3, H, 2W + 1]
    grid = torch.stack(tiles) * 2 - 1  # [n, 3, H, 2W + 1] in [-1, 1]
    return atomic_save(make_grid(grid, nrow=pairs_per_row, pad=6), path)
