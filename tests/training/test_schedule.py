"""Learning-rate schedules: progress by steps or by the clock, and the cosine's shape."""

import math

import pytest
import torch

from pokegen.training.schedule import lr_factor, progress, set_lr


def test_progress_takes_the_further_of_steps_and_clock():
    assert progress(50, 100, 10.0, math.inf) == 0.5  # no time budget: steps only
    assert progress(10, 100, 30.0, 60.0) == 0.5  # the clock is further along
    assert progress(500, 100, 0.0, 60.0) == 1.0  # clamped
    assert progress(0, 0, 0.0, math.inf) == 0.0


def test_cosine_runs_from_one_to_zero_and_constant_stays():
    assert lr_factor("cosine", 0.0) == 1.0
    assert lr_factor("cosine", 0.5) == pytest.approx(0.5)
    assert lr_factor("cosine", 1.0) == pytest.approx(0.0)
    values = [lr_factor("cosine", p / 10) for p in range(11)]
    assert values == sorted(values, reverse=True)
    assert {lr_factor("constant", p / 10) for p in range(11)} == {1.0}
    with pytest.raises(ValueError, match="cosine"):
        lr_factor("linear", 0.3)


def test_set_lr_sets_every_group():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([{"params": [a]}, {"params": [b], "lr": 5.0}], lr=1.0)
    set_lr(opt, 0.25)
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.25]
