"""Splits, per-epoch sampling (sharded across ranks) and batches from in-memory tensors."""

from __future__ import annotations

from collections.abc import Iterator

import torch


def _generator(*parts: int) -> torch.Generator:
    """A CPU generator seeded from several integers, so (seed, epoch) pairs never collide."""
    seed = 0
    for part in parts:
        seed = (seed * 1_000_003 + (int(part) & 0xFFFF_FFFF)) % (2**63)
    return torch.Generator().manual_seed(seed)


def split_indices(n: int, holdout: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic sorted (train, holdout) indices, so evaluation never sees training images."""
    if n < 0 or not 0.0 <= holdout < 1.0:
        raise ValueError(f"need n >= 0 and 0 <= holdout < 1, got n={n}, holdout={holdout}")
    count = round(n * holdout) if n >= 2 else 0
    if holdout > 0 and n >= 2:
        count = min(max(count, 1), n - 1)  # at least one held out, at least one to train on
    perm = torch.randperm(n, generator=_generator(seed))
    held, train = perm[:count], perm[count:]
    return train.sort().values, held.sort().values


def epoch_indices(
    n: int,
    epoch: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """This rank's sample order for one epoch: a fresh permutation (or weighted draw) per epoch."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    generator = _generator(seed, epoch)
    if weights is None:
        order = torch.randperm(n, generator=generator)
    else:
        if weights.shape != (n,):
            raise ValueError(f"weights must have shape ({n},), got {tuple(weights.shape)}")
        order = torch.multinomial(weights.double().cpu(), n, replacement=True, generator=generator)
    return order[rank::world_size][: n // world_size]  # disjoint, equal-length shards


def class_balanced_weights(labels: torch.Tensor) -> torch.Tensor:
    """Per-image sampling weights so rare labels are drawn as often as common ones."""
    labels = labels.float().cpu()  # [N, K]
    n = labels.shape[0]
    if labels.shape[1] == 0 or n == 0:
        return torch.ones(n)
    counts = labels.sum(0).clamp(min=1)  # [K]
    per_label = labels / counts  # [N, K]
    has = labels.sum(1)  # [N]
    weights = per_label.sum(1) / has.clamp(min=1)  # mean inverse frequency of the image's labels
    if (has > 0).any():
        weights[has == 0] = weights[has > 0].mean()  # unlabelled images: an average weight
    else:
        weights[:] = 1.0
    return weights / weights.sum() * n


def iterate_batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    indices: torch.Tensor,
    batch_size: int,
    flip: bool,
    generator: torch.Generator,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Float batches in [-1, 1] straight from the uint8 tensor: no decoding inside an epoch."""
    if batch_size < 1:
        raise ValueError(f"batch size must be positive, got {batch_size}")
    device = images.device
    indices = indices.to(device=device, dtype=torch.long)
    n = indices.numel()
    if n == 0:
        return
    starts = [0] if n < batch_size else range(0, n - batch_size + 1, batch_size)
    for start in starts:
        batch = indices[start : start + batch_size]
        x = images.index_select(0, batch).float().div_(127.5).sub_(1.0)  # [B, C, S, S]
        y = labels.index_select(0, batch.to(labels.device)).to(device, torch.float32)  # [B, K]
        if flip:
            mask = torch.rand(batch.numel(), generator=generator) < 0.5  # drawn on the CPU
            mask = mask.to(device).view(-1, 1, 1, 1)
            x = torch.where(mask, x.flip(-1), x)
        yield x, y
