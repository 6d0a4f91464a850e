"""The command line end to end on the tiny fixture: what each command writes and how it fails."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from pokegen.cli import main
from pokegen.config import preset

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
]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(kaggle_dir, tmp_path_factory):
    """One tiny run of each family, shared by the read-only command tests."""
    root = tmp_path_factory.mktemp("runs")
    runs = {}
    for family in ("ae", "vae", "gan"):
        result = invoke(
            "train",
            family,
            "--data",
            kaggle_dir,
            "--out",
            root / family,
            "--preset",
            "quick",
            "--epochs",
            "2",
            *TINY,
        )
        assert result.exit_code == 0, result.output
        runs[family] = root / family
    return runs


def test_help_lists_every_command():
    out = invoke("--help").output
    for command in [
        "data",
        "train",
        "sample",
        "reconstruct",
        "interpolate",
        "evaluate",
        "report",
        "run",
    ]:
        assert command in out


def test_python_dash_m_runs_the_same_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "pokegen", "train", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--latent-dim" in proc.stdout


def test_a_usage_error_outside_the_test_runner_is_one_line_on_stderr():
    proc = subprocess.run(
        [sys.executable, "-m", "pokegen", "sample", "/no/such/run"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.endswith("(see 'python -m pokegen sample --help')\n")


def test_dry_run_prints_the_resolved_config():
    result = invoke(
        "train", "vae", "--dry-run", "--image-size", "120", "--latent-dim", "32", "--lr", "0.003"
    )
    cfg = json.loads(result.output)
    assert (cfg["data"]["image_size"], cfg["model"]["latent_dim"], cfg["lr"]) == (120, 32, 0.003)
    assert cfg["model"]["family"] == "vae"
    gan = json.loads(invoke("train", "gan", "--dry-run").output)
    assert gan["model"]["encoder"] is True  # the gan presets train a VAE-GAN
    assert gan["loss"]["adversarial"] == "recons"  # whose discriminator judges reconstructions
    plain = invoke("train", "gan", "--dry-run", "--no-encoder")
    assert plain.exit_code == 0, plain.output  # a plain GAN has no reconstructions to judge
    loss = json.loads(plain.output)["loss"]
    assert (loss["adversarial"], loss["mode_seeking"]) == ("samples", 0.2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "vae", "--image-size", "60", "--dry-run"], "multiple of 8"),
        (["train", "ae", "--conditional", "--dry-run"], "conditional"),
        (["train", "vae", "--encoder", "--dry-run"], "encoder is a gan option"),
        (
            ["train", "gan", "--data", "/no/such/folder", "--epochs", "1", "--device", "cpu"],
            "/no/such/folder",
        ),
        # click's own usage errors, one line too (click prints a usage block otherwise)
        (["train", "vae", "--no-such-option"], "No such option '--no-such-option'"),
        (["train"], "Missing argument '{ae|vae|gan}'. Choose from: ae, vae, gan"),
        (["train", "dcgan"], "'dcgan' is not one of"),
        (["sample", "/no/such/run"], "'/no/such/run' does not exist"),
        (["evaluate", ".", "--n", "3"], "not in the range 16<=x<=100000"),
        (["fly"], "No such command 'fly'"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_data_command_summarises_and_writes_pictures(kaggle_dir, tmp_path):
    result = invoke("data", kaggle_dir, "--out", tmp_path, "--image-size", "32")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "contact_sheet.png").is_file()
    assert (tmp_path / "types.png").is_file()


def test_sample_writes_numbered_pngs_and_grid(trained, tmp_path):
    result = invoke("sample", trained["gan"], "--n", "5", "--out", tmp_path / "s", "--seed", "1")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert files == ["0000.png", "0001.png", "0002.png", "0003.png", "0004.png", "grid.png"]
    assert Image.open(tmp_path / "s" / "0000.png").size == (16, 16)


def test_sample_is_reproducible_from_the_run_folder_alone(trained, tmp_path):
    for name in ("a", "b"):
        invoke("sample", trained["vae"], "--n", "4", "--out", tmp_path / name, "--seed", "7")
    assert (tmp_path / "a" / "grid.png").read_bytes() == (tmp_path / "b" / "grid.png").read_bytes()


def test_sample_temperature_scales_the_latent_draws(trained, tmp_path):
    import torch

    from pokegen.sampling import generate, load_run

    run = load_run(trained["vae"])
    net = run.models["vae"]
    codes = net.prior.sample(4, torch.Generator().manual_seed(3), temperature=0.5)
    with torch.no_grad():
        expected = net.decode(codes).float()
    cool = generate(run, 4, seed=3, temperature=0.5)
    torch.testing.assert_close(cool, expected)
    assert not torch.allclose(cool, generate(run, 4, seed=3))
    args = ("sample", trained["vae"], "--n", "2", "--seed", "3", "--out", tmp_path)
    assert invoke(*args, "--temperature", "0.5").exit_code == 0
    bad = invoke(*args, "--temperature", "0")
    assert bad.exit_code == 2 and "--temperature" in bad.output and "Traceback" not in bad.output
    # FastGAN normalises z, so its temperature scales the projected latent instead
    gan = load_run(trained["gan"])
    assert not torch.allclose(generate(gan, 4, seed=3, temperature=0.5), generate(gan, 4, seed=3))


@pytest.mark.parametrize("family", ["ae", "vae", "gan"])  # the gan preset's has an encoder
def test_refine_steps_reencode_each_draw_and_override_the_run(trained, family, tmp_path):
    import torch

    from pokegen.sampling import autoencode, generate, load_run

    plain = load_run(trained[family])
    assert plain.cfg.model.refine_steps == 0  # the quick preset samples without refining
    expected = generate(plain, 4, seed=3)
    with torch.no_grad():
        for _ in range(2):
            expected = autoencode(family, plain.models, expected.clamp(-1, 1))
    refined = generate(load_run(trained[family], refine_steps=2), 4, seed=3)
    torch.testing.assert_close(refined, expected)
    assert not torch.allclose(refined, generate(plain, 4, seed=3))
    args = ("sample", trained[family], "--n", "4", "--seed", "3")
    assert invoke(*args, "--out", tmp_path / "r", "--refine-steps", "2").exit_code == 0
    assert invoke(*args, "--out", tmp_path / "p").exit_code == 0
    r, p = (Image.open(tmp_path / d / "0000.png") for d in ("r", "p"))
    assert r.tobytes() != p.tobytes()
    bad = invoke(*args, "--refine-steps", "33")
    assert bad.exit_code == 2 and "--refine-steps" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize("family", ["ae", "gan"])  # the gan preset's VAE-GAN has an encoder
def test_reconstruct_writes_pairs(trained, family, tmp_path):
    result = invoke("reconstruct", trained[family], "--n", "4", "--out", tmp_path / "r.png")
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "r.png").size[0] > 16 * 4


def test_reconstruct_to_a_name_without_an_image_extension_is_one_line(trained, tmp_path):
    result = invoke("reconstruct", trained["ae"], "--n", "2", "--out", tmp_path / "pairs")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "image format" in result.output and not (tmp_path / "pairs").exists()


def test_reconstruct_and_refine_refuse_a_gan_without_an_encoder(kaggle_dir, tmp_path):
    args = ("--preset", "quick", "--epochs", "1", "--no-encoder", *TINY)
    assert invoke("train", "gan", "--data", kaggle_dir, "--out", tmp_path, *args).exit_code == 0
    bad = invoke("reconstruct", tmp_path)
    assert bad.exit_code == 2 and "no encoder" in bad.output
    bad = invoke("sample", tmp_path, "--refine-steps", "1")
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "need an encoder" in bad.output


@pytest.mark.parametrize("family", ["ae", "vae", "gan"])
def test_interpolate_writes_grid_and_gif(trained, family, tmp_path):
    result = invoke(
        "interpolate", trained[family], "--rows", "2", "--steps", "4", "--out", tmp_path
    )
    assert result.exit_code == 0, result.output
    gif = Image.open(tmp_path / "interpolation.gif")
    assert gif.n_frames >= 4
    assert Image.open(tmp_path / "interpolation.png").size[0] >= 4 * 16


def test_sample_type_on_unconditional_run_is_a_clear_error(trained):
    result = invoke("sample", trained["gan"], "--type", "Fire")
    assert result.exit_code == 2 and "conditional" in result.output


def test_not_a_run_folder(tmp_path):
    result = invoke("sample", tmp_path)
    assert result.exit_code == 2 and "not a run folder" in result.output


def test_api_does_what_the_cli_does_in_three_lines(kaggle_dir, tmp_path):
    import pokegen

    cfg = pokegen.preset(
        "ae",
        "quick",
        data={"path": str(kaggle_dir), "image_size": 16},
        model={"width": 8, "latent_dim": 8},
        epochs=1,
        batch_size=6,
        device="cpu",
        out=str(tmp_path / "run"),
    )
    run_dir = pokegen.train(cfg, quiet=True)
    assert len(list(pokegen.sample(run_dir, n=3).glob("0*.png"))) == 3


def test_minutes_zero_removes_the_presets_time_budget():
    default = json.loads(invoke("train", "gan", "--dry-run").output)
    assert default["minutes"] == preset("gan", "default").minutes is not None  # a budget
    unlimited = json.loads(
        invoke("train", "gan", "--dry-run", "--minutes", "0", "--epochs", "50").output
    )
    assert unlimited["minutes"] is None and unlimited["epochs"] == 50


def test_checkpoint_option_picks_the_best_weights(trained, kaggle_dir, tmp_path):
    """--checkpoint best reads checkpoints/best.*, not last.*; a missing one is a one-line error."""
    import shutil

    other = tmp_path / "other"
    result = invoke("train", "gan", "--data", kaggle_dir, "--out", other, "--preset", "quick",
                    "--epochs", "1", "--seed", "5", *TINY)  # fmt: skip
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    shutil.copytree(trained["gan"], run)
    # Plant the other run's last weights as this run's "best" pair.
    shutil.copy(
        other / "checkpoints" / "last.safetensors", run / "checkpoints" / "best.safetensors"
    )
    doc = json.loads((other / "checkpoints" / "last.json").read_text())
    doc["weights"] = "best.safetensors"
    (run / "checkpoints" / "best.json").write_text(json.dumps(doc))
    grids = {}
    for name, folder, which in [
        ("best", run, "best"),
        ("last", run, "last"),
        ("other", other, "last"),
    ]:
        out = tmp_path / name
        result = invoke("sample", folder, "--n", "4", "--out", out, "--checkpoint", which)
        assert result.exit_code == 0, result.output
        grids[name] = (out / "grid.png").read_bytes()
    assert grids["best"] == grids["other"] != grids["last"]
    for suffix in (".json", ".safetensors"):
        (run / "checkpoints" / f"best{suffix}").unlink()
    missing = invoke("sample", run, "--checkpoint", "best")
    assert missing.exit_code == 2 and "checkpoint not found" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
