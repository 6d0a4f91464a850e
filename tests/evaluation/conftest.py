"""Synthetic image sets for the metric sanity checks: varied shapes on white, plus degradations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F


def make_shapes(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """n images uint8 [n, 3, size, size]: 1–3 random coloured ellipses/rectangles on white."""
    gen = torch.Generator().manual_seed(seed)
    coords = torch.arange(size).float() + 0.5
    yy, xx = coords[:, None], coords[None, :]
    out = torch.full((n, 3, size, size), 255.0)
    for i in range(n):
        for _ in range(int(torch.randint(1, 4, (1,), generator=gen))):
            cy, cx = (torch.rand(2, generator=gen) * 0.6 + 0.2) * size
            ry, rx = (torch.rand(2, generator=gen) * 0.25 + 0.08) * size
            if torch.rand(1, generator=gen) < 0.5:
                mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            else:
                mask = ((yy - cy).abs() <= ry) & ((xx - cx).abs() <= rx)
            colour = torch.rand(3, generator=gen) * 230
            out[i] = torch.where(mask, colour[:, None, None], out[i])
    return out.round().to(torch.uint8)


def blur(images: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """Downsample by `factor` and upsample back: the blurry-generator failure mode."""
    x = images.float()
    small = F.interpolate(x, scale_factor=1 / factor, mode="bilinear", antialias=True)
    return F.interpolate(small, size=x.shape[-2:], mode="bilinear").round().clamp(0, 255).byte()


def noise(like: torch.Tensor, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, like.shape, generator=gen, dtype=torch.uint8)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """The 2 cores are shared: with another process busy, two OpenMP threads spin-wait and run
    ~10× slower than one, so these tests use one thread (restored after each module)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def real() -> torch.Tensor:
    return make_shapes(200, seed=0)


@pytest.fixture(scope="session")
def holdout() -> torch.Tensor:
    return make_shapes(200, seed=1)


@pytest.fixture(scope="session")
def fakes(holdout: torch.Tensor) -> dict[str, torch.Tensor]:
    """The failure modes every metric must rank below a fresh real draw."""
    return {
        "noise": noise(holdout),
        "blurred": blur(holdout),
        "collapse": holdout[:1].expand_as(holdout).clone(),
    }


@pytest.fixture(scope="module")
def generation_results(real, holdout, fakes) -> dict[str, dict]:
    """evaluate_images of every candidate set against the real set, computed once."""
    from pokegen.evaluation.registry import evaluate_images

    sets = {"holdout": holdout, **fakes}
    return {name: evaluate_images(real, x, seed=0, ms_ssim_pairs=100) for name, x in sets.items()}
