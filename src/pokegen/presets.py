"""The measured winning settings of each family's presets, as plain override dicts, each with
the measurement that chose it (BENCHMARKS.md); `config.preset` turns them into a TrainConfig."""

from __future__ import annotations

from typing import Any

# The gan preset's discriminator judges the reconstructions G(E(x)), not prior samples: the
# decoder is then sharpened where every training image lives, and samples from N(0, I) turn from
# outlined strokes into filled silhouettes. KL weight 16 keeps the posterior on the prior the
# samples come from: SWD 28.7/27.1 and recall 0.375/0.423 at seeds 0/1, against β 8's 41.4/40.6
# and 0.434/0.411 and the old default's (D on samples, β 8) 34.5/37.3 and 0.298/0.327
# (BENCHMARKS.md, tenth GAN round). Heavier weights lower SWD further (24: 22.0, 32: 22.5 at
# 8 minutes) but recall falls under the target (0.346, 0.227; thirteenth round), so 16 stays.
# Mode seeking needs samples, so it is off. A σ 0.5 px blur on D's view removes the striped
# texture D otherwise pulls out of the generator; three seeds against the unblurred default in
# the same hours: precision 0.52 vs 0.28, recall 0.31 vs 0.25, coverage 0.47 vs 0.27, SWD 32.2
# vs 32.6 (means; BENCHMARKS.md, seventeenth GAN round). σ 1 left smooth blobs and no recall;
# σ 0.4 and 0.6 both lowered recall at seed 0 (0.258, 0.262 vs 0.334; twentieth round).
# With the blur, β 8 again raised recall (means over three seeds 0.332 vs 0.291) for SWD (49.1
# vs 36.7), no seed reaching its recall target (eighteenth round): 16 stays.
# The non-saturating logistic loss with DiffAugment's colour op at a quarter of its ranges, in
# place of the hinge loss at full colour: three seeds at 8 minutes, SWD 23.5/20.9/24.0 vs
# 23.8/26.2/37.6, recall 0.463/0.481/0.387 vs 0.341/0.430/0.464 (targets 0.412/0.423/0.411),
# precision 0.60 vs 0.30 and coverage 0.63 vs 0.39 on average. The loss alone raised precision
# and coverage and lowered recall (0.389/0.389/0.315); the narrower colour jitter gives recall
# back (BENCHMARKS.md, twenty-sixth GAN round).
# DiffAugment without cutout: a discriminator judging reconstructions sits near chance, so
# cutout's occluding squares have no memorising to guard against, only a view to hide.
# Seeds 0–3 at 8 minutes against the default with it, all in slow hours: SWD
# 23.2/20.3/22.1/23.0 vs 23.5/23.0/26.5/23.3, recall 0.419/0.456/0.415/0.468 vs
# 0.422/0.437/0.385/0.367 (targets 0.412/0.423/0.411/0.427: met at four seeds, not two), for
# less precision (0.47 vs 0.55) and coverage (0.51 vs 0.54) on average (thirtieth GAN round).
_ADVERSARIAL_RECONS = {
    "adversarial": "recons",
    "mode_seeking": 0.0,
    "beta": 16.0,
    "d_blur": 0.5,
    "gan_loss": "ns",
    "color_strength": 0.25,
    "augment": "color,translation",
}
# FastGAN's self-supervised decoders keep a small-data discriminator from memorising; one that
# judges reconstructions sits near chance instead (sixteenth round), and without them the step
# runs 9–11% more images per second. Three seeds at 8 minutes against the default with them:
# SWD 23.8/26.2/37.6 vs 24.1/28.5/39.2, recall 0.341/0.430/0.464 vs 0.379/0.442/0.349,
# precision 0.30 vs 0.37 and coverage 0.39 vs 0.42 on average (BENCHMARKS.md, 25th GAN round).
_RECONS_DISCRIMINATOR = {"d_decoders": False}
# SAGAN self-attention at the generator's 8-px level lets far parts of a shape agree (more
# mirror-symmetric samples at two of four seeds) at no step cost. Four seeds at 8 minutes
# against the default without it in the same slow hours: SWD 23.5/23.0/26.7/23.2 vs
# 25.6/23.5/27.8/22.7, recall 0.422/0.437/0.375/0.350 vs 0.356/0.427/0.342/0.264 (targets met
# at two seeds, not one), for less precision (0.55 vs 0.64) and coverage (0.55 vs 0.62) on
# average; at 16 px it cost 8–13% of the steps for less (BENCHMARKS.md, 28th and 29th rounds).
_RECONS_ATTENTION = {"g_attention": 8}
# Without the encoder there are no reconstructions: D judges prior samples, and MSGAN's mode
# seeking at 0.2 beat 0.1 and 0.15 (BENCHMARKS.md, sixth GAN round).
_PLAIN_GAN = {"adversarial": "samples", "mode_seeking": 0.2, "gan_loss": "hinge"}


def preset_overrides(
    family: str, preset: str, encoder: bool = True, arch: str | None = None
) -> dict[str, Any]:
    """The measured winning settings per family and preset (see BENCHMARKS.md); a gan without
    its encoder (a plain GAN) gets the settings measured for that, and a gan whose `arch` is
    not the preset's fastgan no self-attention (`validate` rejects it there; the other fastgan
    options are ignored by other archs)."""
    quick = preset == "quick"
    cadence = {
        "sample_every": 2 if quick else 10,
        "eval_every": 3 if quick else 10,
        "checkpoint_every": 3 if quick else 25,
    }
    # Default budget: 20 minutes for the AE, the VAE and the VAE-GAN, 8 for the plain GAN. The
    # plain GAN of the fourth round peaked at 6.5–8 minutes as its discriminator began to
    # memorise; the VAE-GAN whose D judges reconstructions keeps improving. Seeds 0/1, n = 1000,
    # 8 → 20 minutes: SWD 31.7/27.1 → 30.3/23.9, precision 0.27/0.21 → 0.39/0.51, coverage
    # 0.25/0.27 → 0.48/0.55, recall 0.41/0.42 → 0.48/0.33 (level on average), grids more varied
    # in colour (BENCHMARKS.md, twelfth GAN round). The AE's samples gain detail too (seeds
    # 0/1: precision 0.07/0.07 → 0.54/0.53, recall 0.005/0.016 → 0.17/0.12, SWD 44.9/42.0 →
    # 41.8/40.4, holdout PSNR 0.1–0.2 dB lower), and so do the VAE's at batch 16 (seeds
    # 0/1/2: precision 0.08/0.07/0.07 → 0.47/0.45/0.47, recall 0.005/0.003/0.003 →
    # 0.15/0.20/0.11, SWD 53.8/51.7/46.8 → 43.8/43.3/38.0, PSNR 0.1–0.15 dB lower, holdout
    # nELBO 6.48/6.50/6.49 → 6.94/6.96/7.02 bits/dim: it overfits as a likelihood model while
    # its samples improve; BENCHMARKS.md, AE and VAE budgets).
    # benchmarks/quality.py compares all at 8.
    long = family in ("ae", "vae") or (family == "gan" and encoder)
    minutes = 1.0 if quick else 20.0 if long else 8.0
    budget = {"epochs": 6 if quick else 10_000, "minutes": minutes}
    if family == "gan":
        return {
            # Width 16: twice the optimiser steps of width 32 in the same time, the one change
            # that moved 8-minute samples past outlines (BENCHMARKS.md, GAN ablation). Two convs
            # per up-block and a full-size level, then lr 4e-4 (the row below): 8-minute SWD
            # 39.2 vs 62.7 and recall 0.25 vs 0.05 at n = 1000 (BENCHMARKS.md, fourth GAN round).
            # The encoder (VAE-GAN): every training image needs a latent that decodes back to
            # it, so the GAN cannot drop modes. Seeds 0/1/2: SWD 32.4/33.2/44.8 vs the plain
            # GAN's 39.2–42.4/42.5/45–46 (the last at n = 300), recall no worse, clean white
            # backgrounds (BENCHMARKS.md, seventh and eighth GAN rounds). Its loss settings are
            # _ADVERSARIAL_RECONS above (_PLAIN_GAN with --no-encoder).
            "model": {
                "arch": "fastgan",
                "width": 16,
                "g_convs": 2,
                "encoder": True,
                **(_RECONS_DISCRIMINATOR if encoder else {}),
                **(_RECONS_ATTENTION if encoder and arch in (None, "fastgan") else {}),
            },
            "loss": {**(_ADVERSARIAL_RECONS if encoder else _PLAIN_GAN)},  # a copy
            "batch_size": 16,  # on a CPU budget optimiser steps matter most (BENCHMARKS.md)
            # 4e-4 with the deeper generator: SWD 40.7 vs 43.7, recall 0.29 vs 0.17 (n = 300).
            # Adam keeps TrainConfig's β (0.5, 0.99): β₂ 0.999 lost recall and SWD over three
            # seeds (0.369 vs 0.391, 33.9 vs 30.6), β₁ 0 bought precision with recall
            # (BENCHMARKS.md, twenty-third GAN round).
            "lr": 4e-4,
            **budget,
            **cadence,
        }
    return {
        # Three rounds of x ← D(E(x)) on each decoded draw (ModelConfig.refine_steps): draws
        # that land between training codes decode to grainy, scattered shapes; the chain pulls
        # them to solid silhouettes on clean white. Runs of 20 minutes, n = 1000, 0 → 3 rounds:
        # VAE seeds 0/1/2 SWD 45.0/43.3/38.0 → 32.4/33.4/25.8, precision 0.54/0.45/0.47 →
        # 0.60/0.55/0.53, coverage 0.26/0.21/0.22 → 0.31/0.25/0.27; AE seeds 0/1 SWD 39.6/40.4
        # → 32.0/38.5, precision 0.50/0.53 → 0.57/0.65; near-copies 0.3–0.9% → 0.7–1.1%
        # (BENCHMARKS.md, refining AE and VAE samples). The quick preset's 1-minute blobs gain
        # nothing to see (SWD 140 → 134, precision 0 either way, diversity lower): it keeps 0.
        "model": {"arch": "resnet", "width": 32, "prior": "gmm", "refine_steps": 0 if quick else 3},
        # Batch 16: twice the optimiser steps of 32 in the same time. AE: +0.57 dB holdout PSNR
        # after 4 minutes (21.67 vs 21.10). VAE, seeds 0/1/2 at 8 minutes: PSNR 22.79/22.66/22.74
        # vs 22.55/22.11/22.61 dB, nELBO 6.48/6.50/6.49 vs 6.52/6.58/6.51 bits/dim, SWD
        # 53.8/51.7/46.8 vs 53.2/53.9/48.4 (BENCHMARKS.md, AE batch size and VAE batch size).
        "batch_size": 16,
        "lr": 1e-3,
        # lr_schedule stays constant: cosine annealing lost at 8 minutes (AE 21.9 vs 22.4 dB
        # holdout PSNR, VAE 22.3 vs 22.6; BENCHMARKS.md) — the nets are still far from converged.
        "beta1": 0.9,
        "beta2": 0.99,
        **budget,
        **cadence,
    }
