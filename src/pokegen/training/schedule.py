"""Learning-rate schedules as pure functions of how far a run is through its budget."""

from __future__ import annotations

import math

import torch

from pokegen.config import LR_SCHEDULES


def progress(step: int, total_steps: int, elapsed: float, budget: float) -> float:
    """Fraction of the budget used, in [0, 1]: the larger of the step and wall-clock fractions,
    so a `--minutes` run anneals by the clock and an epoch-bounded run by its steps."""
    by_steps = step / total_steps if total_steps > 0 else 0.0
    by_time = elapsed / budget if math.isfinite(budget) and budget > 0 else 0.0
    return min(1.0, max(by_steps, by_time))


def lr_factor(schedule: str, p: float) -> float:
    """Multiplier of the base learning rate at progress p: 1 throughout, or a cosine to 0."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":  # Loshchilov & Hutter 2017, one cycle without restarts
        return 0.5 * (1.0 + math.cos(math.pi * min(max(p, 0.0), 1.0)))
    raise ValueError(f"unknown lr schedule {schedule!r}; choose from {', '.join(LR_SCHEDULES)}")


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's learning rate (the schedule's value for this step)."""
    for group in opt.param_groups:
        group["lr"] = lr
