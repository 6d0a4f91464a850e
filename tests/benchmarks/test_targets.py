"""benchmarks/targets.py: a quality.py report's numbers against the quality issue's lines."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from targets import step_share, target_rows


def _report(gan_swd: float, recall: float, vae_psnr: float) -> dict:
    return {
        "gan": {
            "baseline": {"swd_mean": 150.0},
            "pokegen": {"swd_mean": gan_swd, "recall": recall, "novelty_near_copy_fraction": 0.0},
        },
        "vae": {
            "baseline": {"swd_mean": 80.0, "psnr": 21.0},
            "pokegen": {"swd_mean": 50.0, "psnr": vae_psnr},
        },
        "ae": {"baseline": {"psnr": 20.0}, "pokegen": {"psnr": 22.5}},
    }


FLOOR = {"swd_mean": 15.0, "recall": 0.8}


def _met(rows: list[list[str]]) -> dict[str, str]:
    return {target: met for target, _, met in rows}


def test_each_line_is_judged_on_its_own_side():
    met = _met(target_rows(_report(29.0, 0.41, 22.6), FLOOR))
    assert met["GAN SWD ≤ 0.2 × DCGAN's"] == "yes"  # 29 ≤ 30
    assert met["GAN recall ≥ half of real-vs-real"] == "yes"  # 0.41 ≥ 0.40
    assert met["VAE holdout PSNR ≥ +1.5 dB"] == "yes"  # +1.6
    assert met["stretch: GAN SWD ≤ 1.6 × real-vs-real"] == "no"  # 29 > 24
    assert met["AE holdout PSNR ≥ +2.0 dB"] == "yes"
    met = _met(target_rows(_report(31.0, 0.39, 22.4), FLOOR))
    assert met["GAN SWD ≤ 0.2 × DCGAN's"] == "no"
    assert met["GAN recall ≥ half of real-vs-real"] == "no"
    assert met["VAE holdout PSNR ≥ +1.5 dB"] == "no"


def test_targets_without_their_inputs_are_left_out():
    gan_only = {"gan": _report(29.0, 0.41, 22.6)["gan"]}
    targets = [row[0] for row in target_rows(gan_only, FLOOR)]
    assert "GAN SWD below the plain VAE's" not in targets
    assert not any(t.startswith(("VAE", "AE", "GAN step")) for t in targets)
    assert "GAN recall ≥ half of real-vs-real" in targets


def test_step_share_reads_the_default_gan_row_and_its_peak():
    throughput = {
        "rows": [
            {"model": "pokegen gan default", "fraction_of_peak": 0.48, "images_per_sec": 300.0},
            {"model": "baseline gan", "fraction_of_peak": 0.9, "images_per_sec": 70.0},
        ],
        "matmul_peak_gflops": 200.0,
    }
    step = step_share(throughput)
    assert step == {"fraction_of_peak": 0.48, "images_per_sec": 300.0, "peak_gflops": 200.0}
    rows = target_rows({}, {}, step)
    assert rows == [["GAN step ≥ 50% of the fp32 matmul peak", "48.0% of 200.0 GFLOP/s", "no"]]
    assert step_share({"rows": throughput["rows"][1:], "matmul_peak_gflops": 200.0}) is None


def test_step_share_names_the_cpu_isa_where_the_report_has_it():
    throughput = {
        "rows": [{"model": "pokegen gan default", "fraction_of_peak": 0.336, "images_per_sec": 1}],
        "matmul_peak_gflops": 175.5,
        "machine": {"cpu": "AMD EPYC", "cpu_capability": "AVX2"},
    }
    step = step_share(throughput)
    assert step is not None and step["cpu_capability"] == "AVX2"
    measured = target_rows({}, {}, step)[0][1]
    assert measured == "33.6% of 175.5 GFLOP/s (AVX2)"
