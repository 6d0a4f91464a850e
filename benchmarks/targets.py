"""The quality issue's targets checked on one `quality.py` report, so a single run says which
are met: each row gives the target, what was measured and yes or no.

    python benchmarks/targets.py benchmarks/results/quality.json   # re-check a saved report
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

STEP_TARGET = 0.5  # the default GAN's training step, as a fraction of the fp32 matmul peak


def _get(models: dict[str, Any], family: str, kind: str, key: str) -> float | None:
    value = models.get(family, {}).get(kind, {}).get(key)
    return None if value is None else float(value)


def target_rows(
    models: dict[str, Any], floor: dict[str, Any], step: dict[str, Any] | None = None
) -> list[list[str]]:
    """[target, measured, met] for every target whose inputs the report holds."""
    rows: list[list[str]] = []

    def add(target: str, measured: str, met: bool) -> None:
        rows.append([target, measured, "yes" if met else "no"])

    gan = _get(models, "gan", "pokegen", "swd_mean")
    dcgan = _get(models, "gan", "baseline", "swd_mean")
    plain_vae = _get(models, "vae", "baseline", "swd_mean")
    if gan is not None and dcgan is not None:
        add(
            "GAN SWD ≤ 0.2 × DCGAN's",
            f"{gan:.1f} / {dcgan:.1f} = {gan / dcgan:.3f}",
            gan <= 0.2 * dcgan,
        )
    if gan is not None and plain_vae is not None:
        add("GAN SWD below the plain VAE's", f"{gan:.1f} vs {plain_vae:.1f}", gan < plain_vae)
    recall = _get(models, "gan", "pokegen", "recall")
    if recall is not None and floor.get("recall") is not None:
        line = floor["recall"] / 2
        add("GAN recall ≥ half of real-vs-real", f"{recall:.3f} vs {line:.3f}", recall >= line)
    copies = _get(models, "gan", "pokegen", "novelty_near_copy_fraction")
    if copies is not None:
        add("GAN near-copies ≤ 1%", f"{100 * copies:.1f}%", copies <= 0.01)
    if gan is not None and floor.get("swd_mean") is not None:
        line = 1.6 * floor["swd_mean"]
        add("stretch: GAN SWD ≤ 1.6 × real-vs-real", f"{gan:.1f} vs {line:.1f}", gan <= line)
    vae = _get(models, "vae", "pokegen", "swd_mean")
    if vae is not None and plain_vae is not None:
        add("VAE SWD ≤ 0.7 × the plain VAE's", f"{vae / plain_vae:.3f}", vae <= 0.7 * plain_vae)
    for family, gain in (("vae", 1.5), ("ae", 2.0)):
        ours = _get(models, family, "pokegen", "psnr")
        base = _get(models, family, "baseline", "psnr")
        if ours is not None and base is not None:
            add(
                f"{family.upper()} holdout PSNR ≥ +{gain} dB",
                f"{ours - base:+.2f} dB ({ours:.2f} vs {base:.2f})",
                ours - base >= gain,
            )
    if step is not None:
        share = step["fraction_of_peak"]
        isa = f" ({step['cpu_capability']})" if step.get("cpu_capability") else ""
        add(
            f"GAN step ≥ {STEP_TARGET:.0%} of the fp32 matmul peak",
            f"{100 * share:.1f}% of {step['peak_gflops']:.1f} GFLOP/s{isa}",
            share >= STEP_TARGET,
        )
    return rows


def step_share(throughput_report: dict[str, Any]) -> dict[str, Any] | None:
    """The default GAN's row of a `train_throughput.py` report, with that invocation's peak and
    the CPU's vector ISA where the report has it (AVX2 hosts read far lower than AVX-512 ones)."""
    isa = throughput_report.get("machine", {}).get("cpu_capability")
    for row in throughput_report.get("rows", []):
        if row["model"] == "pokegen gan default":
            return {
                "fraction_of_peak": row["fraction_of_peak"],
                "images_per_sec": row["images_per_sec"],
                "peak_gflops": throughput_report["matmul_peak_gflops"],
                **({"cpu_capability": isa} if isa else {}),
            }
    return None


def measure_step(out: Path) -> dict[str, Any] | None:
    """Time the default GAN's step now (train_throughput.py, JSON to `out`); None if it fails."""
    script = Path(__file__).resolve().parent / "train_throughput.py"
    cmd = [sys.executable, str(script), "--families", "gan", "--steps", "15", "--out", str(out)]
    print("gan step throughput: " + " ".join(cmd[1:]), flush=True)
    if subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False).returncode != 0:
        print("gan step throughput: failed; the targets table leaves the step out", flush=True)
        return None
    return step_share(json.loads(out.read_text()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/targets.py QUALITY_JSON")
    try:
        saved = json.loads(Path(sys.argv[1]).read_text())
        checked = target_rows(saved["models"], saved["floor"], saved.get("step"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        sys.exit(f"targets: cannot read a quality.py report from {sys.argv[1]}: {exc!r}")
    for target, measured, met in checked:
        print(f"{met:>3}  {target}: {measured}")
