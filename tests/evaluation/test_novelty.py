from __future__ import annotations

import torch
from PIL import Image

from pokegen.evaluation.novelty import novelty, save_novelty_sheet


def test_training_copies_flagged_fresh_draws_not(real, holdout):
    copies = novelty(real[:50], real)
    assert copies.near_copy_fraction == 1.0
    assert copies.nearest_index.tolist() == list(range(50))
    assert float(copies.distance.max()) < 1e-4 * copies.typical_distance
    fresh = novelty(holdout, real)
    assert fresh.near_copy_fraction < 0.05
    assert 0.7 < float(fresh.ratio.median()) < 1.6
    assert fresh.summary()["novelty_space"].startswith("pixel L2")


def test_mirrored_and_float_copies_are_caught(real):
    mirrored = novelty(real[:20].flip(-1), real)
    assert mirrored.near_copy_fraction == 1.0 and bool(mirrored.nearest_mirrored.all())
    as_float = novelty(real[:20].float() / 127.5 - 1, real)
    assert as_float.nearest_index.tolist() == list(range(20))


def test_sheet_pairs_samples_with_matches(tmp_path, real, holdout):
    samples = torch.cat([holdout[:30], real[:2]])
    result = novelty(samples, real)
    path = save_novelty_sheet(result, samples, real, tmp_path / "novelty.png")
    with Image.open(path) as im:
        assert im.size == (4 * (65 + 6) + 6, 4 * (32 + 6) + 6)  # 4×4 pairs of 32+1+32 px, pad 6
    assert set(result.ratio.argsort()[:2].tolist()) == {30, 31}  # the copies come first
