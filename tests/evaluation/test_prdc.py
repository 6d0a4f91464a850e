from __future__ import annotations

import pytest
import torch

from pokegen.evaluation.prdc import knn_radii, prdc, precision_recall


def _cloud(n: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, 16, generator=torch.Generator().manual_seed(seed)) + shift


def test_same_distribution_scores_high_and_shifted_low():
    a, b = _cloud(300, 0), _cloud(300, 1)
    same = prdc(a, b)
    assert same["precision"] > 0.7 and same["recall"] > 0.7 and same["coverage"] > 0.7
    far = prdc(a, _cloud(300, 2, shift=10.0))
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_identical_sets_are_perfect():
    a = _cloud(50, 0)
    assert precision_recall(a, a.clone()) == {"precision": 1.0, "recall": 1.0}


def test_chunking_does_not_change_results():
    a, b = _cloud(120, 0), _cloud(90, 1, shift=0.5)
    assert prdc(a, b, chunk=7) == prdc(a, b, chunk=4096)


def test_knn_radius_skips_self():
    pts = torch.tensor([[0.0], [1.0], [3.0], [6.0]])
    assert knn_radii(pts, k=1).tolist() == [1.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        knn_radii(pts, k=4)


def test_collapse_has_no_recall():
    real = _cloud(100, 0)
    collapse = real[:1].expand(100, -1)
    out = precision_recall(real, collapse)
    assert out["precision"] == 1.0 and out["recall"] <= 0.01
