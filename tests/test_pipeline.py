"""`pokegen run --preset quick` on a tiny fixture writes everything a user looks at."""

from click.testing import CliRunner

from pokegen.cli import main


def test_run_quick_writes_three_families_and_a_report(kaggle_dir, tmp_path, monkeypatch):
    out = tmp_path / "output"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--preset",
            "quick",
            "--data",
            str(kaggle_dir),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--quiet",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    for family in ("ae", "vae", "gan"):
        run = out / family
        assert len(list((run / "samples").glob("0*.png"))) >= 64
        for name in [
            "samples/grid.png",
            "interpolation.gif",
            "loss.png",
            "metrics.json",
            "novelty.png",
            "config.json",
            "checkpoints/last.json",
        ]:
            assert (run / name).is_file(), f"{family}/{name}"
        assert (run / "reconstructions.png").is_file()  # the gan preset is a VAE-GAN
        assert f"[{('ae', 'vae', 'gan').index(family) + 1}/3] {family}" in result.output
    html = (out / "report.html").read_text()
    assert all(f in html for f in ("ae", "vae", "gan")) and "data:image/png;base64" in html
