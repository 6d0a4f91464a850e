"""FID and KID through torchmetrics, with any feature network (normally the FID Inception).

Features are extracted once per set and passed through torchmetrics'
`FrechetInceptionDistance` / `KernelInceptionDistance` via a pass-through feature module,
so the expensive network runs once for both metrics (and the same features can serve
precision/recall). KID draws its subsets from torch's global RNG inside torchmetrics; we
run it under `torch.random.fork_rng` with a fixed seed so results are reproducible and the
caller's RNG state is left untouched.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import torch
from torch import nn

from pokegen.evaluation.features import extract_features


class _Precomputed(nn.Module):
    """Identity 'feature extractor' for features that were already computed."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return feats


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run LAPACK single-threaded: MKL's threaded non-symmetric eig (used by torchmetrics' FID)
    was measured ~20× slower than one thread on 2 shared cores; the setting is restored."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def fid_kid_from_features(
    real_feats: torch.Tensor,
    fake_feats: torch.Tensor,
    seed: int = 0,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
) -> dict[str, float]:
    """FID and KID (mean, std over subsets) from features [N, D]; lower is better for both."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    real, fake = real_feats.double().cpu(), fake_feats.double().cpu()
    if min(real.shape[0], fake.shape[0]) < 2:
        raise ValueError("FID/KID need at least 2 images in each set")
    passthrough = _Precomputed(real.shape[1])
    fid = FrechetInceptionDistance(feature=passthrough).set_dtype(torch.float64)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    subset = min(kid_subset_size, real.shape[0], fake.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "KID stores all features" notice
        kid = KernelInceptionDistance(feature=passthrough, subsets=kid_subsets, subset_size=subset)
    kid.update(real.float(), real=True)  # float32 as from the network: ~1.5× faster subsets
    kid.update(fake.float(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        kid_mean, kid_std = kid.compute()
    with _one_thread():
        fid_value = float(fid.compute())
    return {"fid": fid_value, "kid": float(kid_mean), "kid_std": float(kid_std)}


def fid_kid(
    real: torch.Tensor,
    fake: torch.Tensor,
    feature: nn.Module,
    seed: int = 0,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> dict[str, float]:
    """FID/KID between two image sets (uint8 or float [-1, 1]) in `feature`'s space."""
    real_feats = extract_features(feature, real, batch_size, device)
    fake_feats = extract_features(feature, fake, batch_size, device)
    return fid_kid_from_features(real_feats, fake_feats, seed)
