"""Type classifier and conditional metrics: a separable synthetic task, caching, evaluate_run."""

from __future__ import annotations

import json

import pytest
import torch

from pokegen import config as C
from pokegen.evaluation import classifier as CL
from pokegen.evaluation.conditional import (
    conditional_accuracy,
    per_type_swd,
    save_type_grid,
    single_type_labels,
)
from pokegen.evaluation.evaluate import evaluate_run, format_table
from pokegen.evaluation.report import write_report

COLOURS = [(230, 80, 40), (50, 110, 230), (60, 180, 70), (160, 150, 230)]
FAST = CL.ClassifierConfig(width=8, epochs=30, min_steps=40)


def colour_coded(per_type: int, seed: int, size: int = 16, counts: list[int] | None = None):
    """uint8 [N, 3, S, S] blobs whose colour is the type, on white; one-hot labels [N, K]."""
    gen = torch.Generator().manual_seed(seed)
    coords = torch.arange(size).float()
    images, labels = [], []
    for t, colour in enumerate(COLOURS):
        for _ in range(counts[t] if counts else per_type):
            cy, cx = torch.rand(2, generator=gen) * size * 0.4 + size * 0.3
            r = float(torch.rand(1, generator=gen)) * size * 0.15 + size * 0.15
            mask = (coords[:, None] - cy) ** 2 + (coords[None, :] - cx) ** 2 <= r * r
            noise = torch.randint(-20, 21, (3, size, size), generator=gen)
            body = torch.tensor(colour)[:, None, None] + noise
            images.append(torch.where(mask, body, torch.full_like(body, 255)).clamp(0, 255))
            labels.append(torch.eye(len(COLOURS))[t])
    return torch.stack(images).to(torch.uint8), torch.stack(labels)


@pytest.fixture(scope="module")
def trained():
    """A classifier on 30 images per colour-coded type; the last type has only 2 images."""
    x, y = colour_coded(30, seed=0, counts=[30, 30, 30, 2])
    net, info = CL.train_classifier(x, y, FAST)
    return net, info, colour_coded(10, seed=1)


def test_classifier_learns_a_separable_task_even_with_a_rare_type(trained):
    net, info, (x, y) = trained
    from pokegen.evaluation.conditional import holdout_accuracy

    acc = holdout_accuracy(CL.classify(net, x), y)
    assert acc["holdout_top1"] >= 0.95 and acc["holdout_top3"] == 1.0
    assert info["n_train"] == 92 and info["steps"] >= FAST.min_steps


def test_conditional_accuracy_high_for_right_type_low_for_wrong(trained):
    net, _, (x, y) = trained
    types = y.argmax(1)
    right = conditional_accuracy(net, x, types)
    wrong = conditional_accuracy(net, x, (types + 1) % 4)  # each sample claims another type
    assert right["mean"] >= 0.9 and all(a >= 0.7 for a in right["per_type"])
    assert wrong["mean"] <= 0.1
    assert conditional_accuracy(net, x[:5], types[:5])["per_type"][1:] == [None, None, None]


def test_classifier_is_seeded_and_cached_in_the_run_folder(tmp_path, trained):
    x, y = colour_coded(6, seed=2)
    key = CL.cache_key(FAST, ["a", "b", "c", "d"], "fp", torch.arange(len(x)), (3, 16, 16))
    net, info = CL.load_or_train(tmp_path, x, y, key, FAST)
    assert not info["cached"] and (tmp_path / "type_classifier.safetensors").is_file()
    again, info2 = CL.load_or_train(tmp_path, x, y, key, FAST)
    assert info2["cached"] and info2["steps"] == info["steps"]
    assert torch.equal(CL.classify(net, x), CL.classify(again, x))
    retrained, _ = CL.train_classifier(x, y, FAST)  # same seed, same weights
    assert torch.equal(CL.classify(net, x), CL.classify(retrained, x))
    other = {**key, "train_split_sha": "changed"}
    assert CL.load_cached(tmp_path, other) is None  # another split: retrain, never reuse


def test_per_type_swd_needs_eight_real_images():
    x, y = colour_coded(10, seed=3, counts=[10, 10, 10, 3])
    rows = per_type_swd(x, y.argmax(1), x, y, seed=0)
    assert rows[3] == {"swd": None, "swd_mixed": None}
    assert all(r["swd"] is not None and r["swd"] >= 0 for r in rows[:3])


def test_type_grid_has_one_labelled_row_per_type(tmp_path):
    from PIL import Image

    labels, types = single_type_labels(4, 3)
    assert labels.shape == (12, 4) and torch.equal(labels.argmax(1), types)
    samples, _ = colour_coded(3, seed=4)
    path = save_type_grid(samples, types, ["Fire", "Water", "Grass", "Flying"], tmp_path / "t.png")
    image = Image.open(path).convert("L")
    margin = image.width - (2 + 8 * 18)  # the names column left of 8 columns of 16 px + pad
    assert image.height == 2 + 4 * 18 and margin > 10
    for row in range(4):  # some dark text pixels at the start of every row
        box = image.crop((0, 2 + row * 18, margin, 2 + row * 18 + 16))
        assert box.getextrema()[0] < 100, row


@pytest.fixture(scope="module")
def conditional_runs(kaggle_dir, tmp_path_factory):
    """A tiny conditional GAN and VAE trained on the fixture (types Fire/Flying/Grass/Water)."""
    from pokegen.training.engine import train

    root = tmp_path_factory.mktemp("cond")
    base = {
        "data": {"path": str(kaggle_dir), "image_size": 16, "holdout": 0.2},
        "model": {"latent_dim": 8, "width": 8, "max_width": 16, "conditional": True},
        "epochs": 1,
        "batch_size": 6,
        "device": "cpu",
    }
    return {
        f: train(C.preset(f, "quick", out=str(root / f), **base), quiet=True)
        for f in ("gan", "vae")
    }


@pytest.mark.parametrize("family", ["gan", "vae"])
def test_evaluate_run_adds_the_conditional_section(family, conditional_runs, monkeypatch):
    from pokegen.evaluation import inception

    monkeypatch.setattr(inception, "_download_state", lambda timeout=20.0: 1 / 0)
    run = conditional_runs[family]
    metrics = evaluate_run(run, n=16, device="cpu", per_type=8)
    section = metrics["conditional"]
    assert json.loads((run / "metrics.json").read_text())["conditional"] == section
    assert section["chance"] == 0.25 and section["samples_per_type"] == 8
    assert [r["type"] for r in section["per_type"]] == ["Fire", "Flying", "Grass", "Water"]
    for row in section["per_type"]:
        assert 0 <= row["sample_accuracy"] <= 1
        assert row["swd"] is None or row["swd"] >= 0
    assert 0 <= section["classifier"]["holdout_top1"] <= 1
    assert not section["classifier"]["cached"]
    assert (run / "types.png").is_file() and (run / "type_classifier.json").is_file()
    text = format_table(metrics)
    assert "type accuracy of conditional samples (mean)" in text and "chance level 1/K" in text

    again = evaluate_run(run, n=16, device="cpu", per_type=8)["conditional"]
    assert again["classifier"].pop("cached") and section["classifier"].pop("cached") is False
    assert again == section  # cached classifier: the same numbers again


def test_report_shows_the_type_grid_and_numbers(conditional_runs, monkeypatch, tmp_path):
    from pokegen.evaluation import inception

    monkeypatch.setattr(inception, "_download_state", lambda timeout=20.0: 1 / 0)
    run = conditional_runs["gan"]
    if not (run / "metrics.json").is_file():
        evaluate_run(run, n=16, device="cpu", per_type=8)
    page = write_report([run], tmp_path / "report.html").read_text()
    assert "samples per type" in page and 'alt="one row of samples per type"' in page
    assert "Conditional generation" in page and "chance level 1/K" in page
