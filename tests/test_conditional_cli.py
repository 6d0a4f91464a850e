"""Conditional runs from the command line: types come from the run folder alone; --between."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from pokegen.cli import main
from pokegen.interpolation import type_walk
from pokegen.sampling import load_run

TINY = [
    "--image-size",
    "16",
    "--latent-dim",
    "8",
    "--width",
    "8",
    "--batch-size",
    "6",
    "--device",
    "cpu",
    "--quiet",
    "--preset",
    "quick",
    "--epochs",
    "1",
]
TYPES = ["Fire", "Flying", "Grass", "Water"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def runs(kaggle_dir, tmp_path_factory):
    """A conditional GAN and VAE whose data and data cache are deleted after training."""
    root = tmp_path_factory.mktemp("cond-cli")
    data, cache = root / "data", root / "cache"
    shutil.copytree(kaggle_dir, data)
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POKEGEN_CACHE", str(cache))
        for family in ("gan", "vae"):
            result = invoke(
                "train", family, "--conditional", "--data", data, "--out", root / family, *TINY
            )
            assert result.exit_code == 0, result.output
            out[family] = root / family
    shutil.rmtree(data)
    shutil.rmtree(cache)
    return out


def test_the_label_vocabulary_is_saved_in_the_run_folder(runs):
    for run in runs.values():
        saved = json.loads((run / "config.json").read_text())
        assert saved["data"]["label_names"] == TYPES
        assert (
            saved["config"]["model"]["conditional"] and saved["config"]["model"]["n_classes"] == 4
        )
        assert not os.path.exists(saved["config"]["data"]["path"])  # the data is gone


def test_the_vae_keeps_a_fitted_per_type_latent_shift(runs):
    net = load_run(runs["vae"]).models["vae"]
    shift = net.prior.class_shift  # [types, L]: saved with the weights, fitted on the codes
    assert shift.shape == (len(TYPES), 8)
    assert bool(net.prior.fitted) and (shift.abs().sum(1) > 0).all()
    fire = torch.tensor([[1.0, 0, 0, 0]])
    torch.testing.assert_close(net.prior.shift(fire), shift[:1])


@pytest.mark.parametrize("family", ["gan", "vae"])
def test_a_sample_for_each_type_from_the_run_folder_alone(family, runs, tmp_path):
    firsts = []
    for name in TYPES:
        result = invoke(
            "sample", runs[family], "--type", name.lower(), "--n", "3", "--out", tmp_path / name
        )
        assert result.exit_code == 0, result.output
        assert len(list((tmp_path / name).glob("000?.png"))) == 3
        firsts.append(Image.open(tmp_path / name / "0000.png").tobytes())
    assert len(set(firsts)) == len(TYPES)  # same seed, other type: another image


def test_a_fresh_process_samples_a_type(runs, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pokegen",
            "sample",
            str(runs["gan"]),
            "--type",
            "Fire",
            "--n",
            "2",
            "--out",
            str(tmp_path),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "0001.png").is_file() and (tmp_path / "grid.png").is_file()


def test_type2_adds_a_second_type(runs, tmp_path):
    one = invoke("sample", runs["gan"], "--type", "Fire", "--n", "2", "--out", tmp_path / "a")
    two = invoke(
        "sample",
        runs["gan"],
        "--type",
        "Fire",
        "--type2",
        "Flying",
        "--n",
        "2",
        "--out",
        tmp_path / "b",
    )
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    a, b = (Image.open(tmp_path / d / "0000.png").tobytes() for d in ("a", "b"))
    assert a != b


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "{run}", "--type", "Dragon"],
        ["sample", "{run}", "--type", "Fire", "--type2", "Dragon"],
        ["interpolate", "{run}", "--between", "Fire", "Dragon"],
    ],
)
def test_an_unknown_type_gives_one_line_listing_valid_types(args, runs):
    result = invoke(*[a.format(run=runs["gan"]) for a in args])
    assert result.exit_code == 2
    assert (
        result.output == "error: unknown type 'Dragon'; valid types: Fire, Flying, Grass, Water\n"
    )


@pytest.mark.parametrize("family", ["gan", "vae"])
def test_between_writes_a_grid_and_gif_walking_from_a_to_b(family, runs, tmp_path):
    result = invoke(
        "interpolate",
        runs[family],
        "--between",
        "fire",
        "WATER",
        "--rows",
        "2",
        "--steps",
        "4",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    grid = Image.open(tmp_path / "interpolation_Fire_to_Water.png")
    assert grid.size == (2 + 4 * 18, 2 + 2 * 18)  # 4 steps across, 2 latents down
    gif = Image.open(tmp_path / "interpolation_Fire_to_Water.gif")
    assert gif.n_frames == 2 * 4 - 2  # forward, then back
    run = load_run(runs[family])
    forward, back = type_walk(run, "Fire", "Water", 2, 4), type_walk(run, "Water", "Fire", 2, 4)
    assert torch.equal(forward[0], back[-1]) and torch.equal(forward[-1], back[0])
    assert not torch.equal(forward[0], forward[-1])  # the label changes the image


def test_between_needs_a_conditional_run(kaggle_dir, tmp_path):
    plain = tmp_path / "plain"
    assert invoke("train", "gan", "--data", kaggle_dir, "--out", plain, *TINY).exit_code == 0
    result = invoke("interpolate", plain, "--between", "Fire", "Water")
    assert result.exit_code == 2 and "--between needs a conditional run" in result.output
    assert result.output.count("\n") == 1
