"""Every generation metric must rank a fresh real draw far above the classic failure modes."""

from __future__ import annotations

import pytest

FAILURES = ("noise", "blurred", "collapse")


@pytest.mark.parametrize("failure", FAILURES)
def test_swd_ranks_real_far_below_failures(generation_results, failure):
    good, bad = generation_results["holdout"], generation_results[failure]
    assert bad["swd_mean"] > 3 * good["swd_mean"]


@pytest.mark.parametrize("failure", FAILURES)
def test_recall_ranks_real_far_above_failures(generation_results, failure):
    good, bad = generation_results["holdout"], generation_results[failure]
    assert good["recall"] > 0.75
    assert bad["recall"] < 0.2


@pytest.mark.parametrize("failure", ["noise", "blurred"])
def test_precision_ranks_real_above_failures(generation_results, failure):
    # a collapsed generator repeating one realistic image keeps perfect precision (fidelity);
    # that failure shows in recall and diversity instead
    good, bad = generation_results["holdout"], generation_results[failure]
    assert good["precision"] > 0.7
    assert bad["precision"] < good["precision"] - 0.15


def test_noise_has_zero_precision(generation_results):
    assert generation_results["noise"]["precision"] == 0.0


def test_collapse_recall_and_diversity_near_zero(generation_results):
    collapse = generation_results["collapse"]
    assert collapse["recall"] < 0.02
    assert collapse["coverage"] < 0.05
    assert collapse["diversity_ratio"] < 0.01
    assert collapse["ms_ssim_samples"] > 0.99


def test_real_diversity_near_one(generation_results):
    good = generation_results["holdout"]
    assert 0.9 < good["diversity_ratio"] < 1.1
    assert abs(good["ms_ssim_samples"] - good["ms_ssim_real"]) < 0.05
    assert 0.8 < good["density"] < 1.2


def test_results_name_their_spaces(generation_results):
    good = generation_results["holdout"]
    assert good["feature_space"] == "random-conv-960 (seed 0)"
    assert good["fid"] is None and "Inception" in good["fid_unavailable"]
