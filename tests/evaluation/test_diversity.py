from __future__ import annotations

import torch

from pokegen.evaluation.diversity import (
    diversity_ratio,
    mean_pairwise_distance,
    pairwise_ms_ssim,
    random_pairs,
)


def test_mean_pairwise_distance_matches_brute_force():
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(0))
    brute = sum(float((x[i] - x[j]).norm()) for i in range(7) for j in range(7) if i != j) / 42
    assert abs(mean_pairwise_distance(x, chunk=3) - brute) < 1e-5


def test_ratio_one_for_same_spread_zero_for_collapse():
    x = torch.randn(200, 8, generator=torch.Generator().manual_seed(0))
    assert diversity_ratio(x, x * 1.0)["diversity_ratio"] == 1.0
    assert diversity_ratio(x, x[:1].expand(50, -1))["diversity_ratio"] == 0.0


def test_random_pairs_are_distinct():
    i, j = random_pairs(5, 1000, torch.Generator().manual_seed(0))
    assert torch.all(i != j) and int(i.max()) == 4 and int(j.min()) == 0


def test_ms_ssim_identical_one_and_small_images_fall_back(holdout):
    same = holdout[:1].expand(10, -1, -1, -1)
    assert pairwise_ms_ssim(same, n_pairs=20) > 0.99
    small = holdout[:20, :, :16, :16]  # below 32 px: plain SSIM
    assert 0.0 < pairwise_ms_ssim(small, n_pairs=20) < 0.99
    assert pairwise_ms_ssim(holdout, n_pairs=50, seed=1) == pairwise_ms_ssim(
        holdout, n_pairs=50, seed=1
    )
