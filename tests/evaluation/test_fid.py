"""FID/KID through torchmetrics with a stand-in feature network (Inception weights are offline)."""

from __future__ import annotations

import torch

from pokegen.evaluation.features import RandomConvFeatures, extract_features
from pokegen.evaluation.fid import fid_kid, fid_kid_from_features
from pokegen.evaluation.registry import evaluate_images


def _stand_in(seed: int = 0) -> RandomConvFeatures:
    """A 240-d stand-in for Inception: small enough for FID's eigendecomposition to be quick."""
    return RandomConvFeatures(seed=seed, widths=(8, 16, 32, 64))


def test_fid_kid_rank_real_below_failures(real, holdout, fakes):
    net = _stand_in()
    good = fid_kid(real, holdout, net)
    for name in ("noise", "blurred"):
        bad = fid_kid(real, fakes[name], net)
        assert bad["fid"] > 5 * good["fid"], name
        assert bad["kid"] > 5 * good["kid"], name


def test_fid_zero_for_identical_features_and_kid_seeded():
    feats = torch.randn(60, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    other = feats + 0.5
    assert abs(fid_kid_from_features(feats, feats)["fid"]) < 1e-6
    state = torch.random.get_rng_state()
    a = fid_kid_from_features(feats, other, seed=1, kid_subset_size=20)
    assert torch.equal(state, torch.random.get_rng_state())  # caller's RNG untouched
    assert a == fid_kid_from_features(feats, other, seed=1, kid_subset_size=20)
    assert a["kid_std"] > 0


def test_torchmetrics_accepts_the_feature_module_on_uint8(holdout):
    from torchmetrics.image.fid import FrechetInceptionDistance

    net = _stand_in()
    metric = FrechetInceptionDistance(feature=net)  # reads net.num_features, no dummy pass
    metric.update(holdout[:40], real=True)
    metric.update(holdout[40:80], real=False)
    direct = float(metric.compute())
    feats = extract_features(net, holdout[:80])
    ours = fid_kid_from_features(feats[:40], feats[40:])["fid"]
    assert abs(direct - ours) < 1e-3 * max(1.0, abs(ours))


def test_evaluate_images_uses_a_given_network_for_fid(real, holdout):
    stand_in = _stand_in(seed=5)
    out = evaluate_images(real[:60], holdout[:60], inception=stand_in, metrics=["prdc", "fid_kid"])
    assert out["fid"] is not None and out["kid"] is not None
    assert out["feature_space"] == out["fid_space"] == "random-conv-240 (seed 5)"
    assert "fid_unavailable" not in out
