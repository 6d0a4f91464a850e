"""The generation-metric registry: names → functions(real, fake, ctx), and which way is better.

Every generation metric compares a real image set with a generated one. The shared
`MetricContext` carries the seed and the feature network, and caches each set's features
so Inception (or the random conv net) runs once per set however many metrics use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from pokegen.evaluation.diversity import MS_SSIM_NAME, diversity
from pokegen.evaluation.features import RandomConvFeatures, extract_features, feature_space_name
from pokegen.evaluation.fid import fid_kid_from_features
from pokegen.evaluation.prdc import prdc
from pokegen.evaluation.swd import swd

NO_INCEPTION = "no Inception network given; pass --inception-weights PATH"


@dataclass
class MetricContext:
    """Seed, feature networks and per-set feature cache shared by the metrics of one call."""

    seed: int = 0
    inception: nn.Module | None = None
    inception_unavailable: str = NO_INCEPTION
    ms_ssim_pairs: int = 500
    batch_size: int = 32
    device: str | torch.device = "cpu"
    _cache: dict[tuple[str, str], torch.Tensor] = field(default_factory=dict, repr=False)
    _random_net: nn.Module | None = field(default=None, repr=False)

    @property
    def feature_net(self) -> nn.Module:
        """Inception when available, else the seeded random conv net (built on first use)."""
        if self.inception is not None:
            return self.inception
        if self._random_net is None:
            self._random_net = RandomConvFeatures(seed=0)
        return self._random_net

    @property
    def feature_space(self) -> str:
        return feature_space_name(self.feature_net)

    def features(self, role: str, images: torch.Tensor) -> torch.Tensor:
        """Features of the `role` ("real" or "fake") set, computed once per context."""
        key = (role, self.feature_space)
        if key not in self._cache:
            self._cache[key] = extract_features(
                self.feature_net, images, self.batch_size, self.device
            )
        return self._cache[key]


MetricFn = Callable[[torch.Tensor, torch.Tensor, MetricContext], dict]


def _swd(real: torch.Tensor, fake: torch.Tensor, ctx: MetricContext) -> dict:
    return swd(real, fake, seed=ctx.seed)


def _prdc(real: torch.Tensor, fake: torch.Tensor, ctx: MetricContext) -> dict:
    out = prdc(ctx.features("real", real), ctx.features("fake", fake), k=3)
    return {**out, "feature_space": ctx.feature_space}


def _diversity(real: torch.Tensor, fake: torch.Tensor, ctx: MetricContext) -> dict:
    out = diversity(
        ctx.features("real", real),
        ctx.features("fake", fake),
        real,
        fake,
        seed=ctx.seed,
        n_pairs=ctx.ms_ssim_pairs,
    )
    return {**out, "feature_space": ctx.feature_space, "ms_ssim_kind": MS_SSIM_NAME}


def _fid_kid(real: torch.Tensor, fake: torch.Tensor, ctx: MetricContext) -> dict:
    if ctx.inception is None:
        return {
            "fid": None,
            "kid": None,
            "kid_std": None,
            "fid_unavailable": ctx.inception_unavailable,
        }
    feats = ctx.features("real", real), ctx.features("fake", fake)
    return {**fid_kid_from_features(*feats, seed=ctx.seed), "fid_space": ctx.feature_space}


GENERATION_METRICS: dict[str, MetricFn] = {
    "swd": _swd,
    "prdc": _prdc,
    "diversity": _diversity,
    "fid_kid": _fid_kid,
}

# Which way is better, per output key: "lower", "higher", "one" (closest to 1) or None
# (context only, not ranked). Keys starting with "swd_" are all "lower".
DIRECTIONS: dict[str, str | None] = {
    "swd_mean": "lower",
    "precision": "higher",
    "recall": "higher",
    "density": "one",
    "coverage": "higher",
    "diversity_ratio": "one",
    "ms_ssim_samples": None,
    "ms_ssim_real": None,
    "fid": "lower",
    "kid": "lower",
    "kid_std": None,
    "novelty_near_copy_fraction": "lower",
    "novelty_near_copy_fraction_holdout": None,
    "novelty_median_ratio": None,
    "mse": "lower",
    "psnr": "higher",
    "ssim": "higher",
    "nelbo_bpd": "lower",
}


def direction(name: str) -> str | None:
    """How to rank a metric: "lower", "higher", "one" or None."""
    if name.startswith("swd_"):
        return "lower"
    return DIRECTIONS.get(name)


def evaluate_images(
    real: torch.Tensor,
    fake: torch.Tensor,
    seed: int = 0,
    inception: nn.Module | None = None,
    *,
    metrics: list[str] | None = None,
    inception_unavailable: str = NO_INCEPTION,
    ms_ssim_pairs: int = 500,
    device: str | torch.device = "cpu",
) -> dict:
    """All (or the named) generation metrics of `fake` against `real`, deterministic per seed."""
    names = list(GENERATION_METRICS) if metrics is None else metrics
    unknown = [m for m in names if m not in GENERATION_METRICS]
    if unknown:
        raise ValueError(
            f"unknown metric {unknown[0]!r}; choose from {', '.join(GENERATION_METRICS)}"
        )
    ctx = MetricContext(
        seed=seed,
        inception=inception,
        inception_unavailable=inception_unavailable,
        ms_ssim_pairs=ms_ssim_pairs,
        device=device,
    )
    out: dict = {}
    for name in names:
        out.update(GENERATION_METRICS[name](real, fake, ctx))
    return out
