from __future__ import annotations

import pytest
import torch

from pokegen.evaluation.swd import SWDReference, _pyr_up, laplacian_pyramid, sample_patches, swd


def test_pyramid_levels_and_exact_reconstruction(real):
    x = real[:4].float()
    levels = laplacian_pyramid(x, min_res=16)
    assert [lv.shape[-1] for lv in levels] == [32, 16]
    rebuilt = levels[0] + _pyr_up(levels[1])  # band-pass + upsampled low-pass
    torch.testing.assert_close(rebuilt, x)


def test_patches_come_from_the_image():
    level = torch.arange(2 * 3 * 10 * 10, dtype=torch.float32).reshape(2, 3, 10, 10)
    gen = torch.Generator().manual_seed(0)
    patches = sample_patches(level, per_image=5, size=7, generator=gen)
    assert patches.shape == (10, 3, 7, 7)
    # each patch is a contiguous window: horizontal steps of 1, vertical steps of 10
    assert torch.all(patches[..., 1:] - patches[..., :-1] == 1)
    assert torch.all(patches[..., 1:, :] - patches[..., :-1, :] == 10)
    assert torch.all(patches[5:] >= 300)  # second image's patches come from the second image


def test_deterministic_and_seed_dependent(real, holdout):
    a = swd(real, holdout, seed=3)
    assert a == swd(real, holdout, seed=3)
    assert a != swd(real, holdout, seed=4)
    assert set(a) == {"swd_32", "swd_16", "swd_mean"}


def test_unequal_sizes_float_input_and_rgba(real, holdout):
    real, holdout = real[:60], holdout[:60]
    as_float = holdout.float() / 127.5 - 1
    assert swd(real, holdout) == swd(real, as_float)
    assert swd(real, holdout[:45])["swd_mean"] > 0
    opaque = torch.cat([holdout, torch.full_like(holdout[:, :1], 255)], dim=1)
    assert swd(real, opaque) == swd(real, holdout)  # fully opaque RGBA == RGB
    transparent = torch.cat([holdout, torch.zeros_like(holdout[:, :1])], dim=1)
    white = torch.full_like(holdout, 255)
    assert swd(real, transparent) == swd(real, white)


def test_rejects_mismatched_shapes_too_few_images_and_tiny_images(real):
    with pytest.raises(ValueError, match="shapes differ"):
        swd(real, real[:, :, :16, :16])
    with pytest.raises(ValueError, match="at least 2 images"):
        swd(real[:1], real[:5])  # scored on min(n_real, n_fake) images
    with pytest.raises(ValueError, match="at least 7 px"):
        swd(real[:, :, :4, :4], real[:, :, :4, :4])


def test_reference_matches_swd_in_expectation_and_ranks_failures(real, holdout, fakes):
    refs = [SWDReference(real, seed=s) for s in range(4)]
    ours = sum(r(holdout)["swd_mean"] for r in refs) / 4
    plain = sum(swd(real, holdout, seed=s)["swd_mean"] for s in range(4)) / 4
    assert abs(ours - plain) < 0.1 * plain  # the same estimator, another random stream
    assert set(refs[0](holdout)) == set(swd(real, holdout))
    for name, x in fakes.items():
        assert refs[0](x)["swd_mean"] > 2 * refs[0](holdout)["swd_mean"], name


def test_reference_is_deterministic(real, holdout):
    ref = SWDReference(real[:50], seed=3)
    first = ref(holdout)
    assert ref(holdout) == first  # the same draws every call: epochs compare
    assert ref(holdout.flip(-1)) != first
    assert SWDReference(real[:50], seed=3)(holdout) == first
    assert ref(holdout.float() / 127.5 - 1) == first  # float [-1, 1] or uint8 alike


def test_reference_rejects_other_shapes_and_too_few_images(real):
    ref = SWDReference(real[:20])
    with pytest.raises(ValueError, match="shapes differ"):
        ref(real[:20, :, :16, :16])
    with pytest.raises(ValueError, match="at least 20"):
        ref(real[:10])
    with pytest.raises(ValueError, match="at least 2"):
        SWDReference(real[:1])
