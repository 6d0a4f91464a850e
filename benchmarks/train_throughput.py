"""Training-step speed per family: images/s, FLOPs per step, and the fraction of CPU matmul peak.

Builds each pokegen default-preset model and its optimiser the way training/engine.py does,
then times `FAMILY_SPECS[family].step` plus the EMA update (the engine's per-batch work) on a
fixed random batch; the textbook baselines' steps are timed the same way. FLOPs of one step
(forward + backward) come from `torch.utils.flop_counter.FlopCounterMode`; the peak is the
best of several 2048×2048 fp32 `torch.mm` timings on this machine right now.

    python benchmarks/train_throughput.py --batch-size 64 --image-size 64 --steps 20
    python benchmarks/train_throughput.py --amp --families gan   # bf16 where the CPU has it
    python benchmarks/train_throughput.py --families gan --overrides '{"model": {"width": 24}}'
    python benchmarks/train_throughput.py --presets   # also time whole preset runs (slow)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from _bench_common import (
    REPO,
    command_line,
    deep_merge,
    default_data,
    header_lines,
    machine_info,
    markdown_table,
    save_json,
)
from baselines import MAKERS
from pokegen import config as C
from pokegen.models import build_models
from pokegen.training.distributed import amp_dtype
from pokegen.training.ema import make_ema, update_ema
from pokegen.training.memory import keep_freed_memory
from pokegen.training.steps import FAMILY_SPECS, StepContext, make_optimizers

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--batch-size", type=int, default=64, help="the same batch for every model")
p.add_argument("--image-size", type=int, default=64, help="baselines exist at 64 px only")
p.add_argument("--steps", type=int, default=20, help="timed steps per model")
p.add_argument("--warmup", type=int, default=3, help="untimed steps before timing")
p.add_argument("--families", default="ae,vae,gan")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--amp", action="store_true", help="pokegen steps under mixed precision (bf16)")
p.add_argument(
    "--default-malloc",
    action="store_true",
    help="leave glibc's thresholds alone (training raises them on the CPU: training/memory.py)",
)
p.add_argument(
    "--overrides",
    default="{}",
    metavar="JSON",
    help="config overrides for the pokegen rows, as quality.py's --variants take them",
)
p.add_argument(
    "--presets",
    action="store_true",
    help="also time `pokegen run --preset quick` and each family's default preset",
)
p.add_argument("--data", default=default_data(), help="dataset for --presets")
p.add_argument("--out", default=str(REPO / "benchmarks/results/train_throughput.json"))
args = p.parse_args()
try:
    overrides = json.loads(args.overrides)
    if not isinstance(overrides, dict):
        raise ValueError("expected a JSON object")
    for family in args.families.split(","):
        if family in C.FAMILIES:
            C.validate(C.preset(family, "default", **overrides))  # fail now, with one line
except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
    p.error(f"bad --overrides {args.overrides!r}: {exc}")
families = [f for f in args.families.split(",") if f]
command, machine = command_line(), machine_info()
report: dict[str, Any] = {"command": command, "machine": machine, "args": vars(args), "rows": []}


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """This machine's fp32 matmul FLOP/s: the best of `repeats` n×n torch.mm timings."""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    for _ in range(2):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def pokegen_step(family: str, gen: torch.Generator) -> tuple[Callable[[torch.Tensor], Any], int]:
    """One engine iteration (family step + EMA update) of the default preset, and the channels."""
    cfg = C.validate(
        C.preset(
            family,
            "default",
            **deep_merge(
                {
                    "data": {"image_size": args.image_size},
                    "batch_size": args.batch_size,
                    "seed": args.seed,
                    "amp": args.amp,
                },
                overrides,
            ),
        )
    )
    spec = FAMILY_SPECS[family]
    with torch.random.fork_rng(devices=[]):  # seeded init, as the engine does
        torch.manual_seed(cfg.seed)
        models = build_models(cfg.model, cfg.data.image_size, cfg.data.channels)
    nhwc = spec.channels_last(torch.device("cpu"))  # the engine's layout choice
    if nhwc:
        models = models.to(memory_format=torch.channels_last)
    ema = {k: make_ema(models[k]) for k in spec.averaged} if cfg.ema_decay > 0 else {}
    opts = make_optimizers(cfg, models)
    nets = {k: models[k] for k in spec.optimized}  # a single process: no DDP wrapper
    cpu = torch.device("cpu")
    ctx = StepContext(
        cfg, nets, dict(models.items()), opts, gen, cpu, amp_dtype=amp_dtype(cfg.amp, cpu)
    )
    labels = torch.zeros(args.batch_size, 0)

    def step(x: torch.Tensor) -> None:
        if nhwc:  # per batch, as the engine converts each batch
            x = x.contiguous(memory_format=torch.channels_last)
        spec.step(ctx, x, labels)
        for k, m in ema.items():
            update_ema(m, models[k], cfg.ema_decay, ctx.step)
        ctx.step += 1

    return step, cfg.data.channels


def baseline_step(family: str, gen: torch.Generator) -> tuple[Callable[[torch.Tensor], Any], int]:
    trainer = MAKERS[family](args.seed)
    return (lambda x: trainer.step(x, gen)), 3


def measure(name: str, family: str, make: Callable) -> dict[str, Any]:
    """Warm up, time `--steps` steps, then count one step's FLOPs."""
    gen = torch.Generator().manual_seed(args.seed)
    step, channels = make(family, gen)
    shape = (args.batch_size, channels, args.image_size, args.image_size)
    x = torch.rand(shape, generator=gen) * 2 - 1  # content does not change the cost
    for _ in range(args.warmup):
        step(x)
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step(x)
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)  # robust to other jobs on shared cores
    counter = FlopCounterMode(display=False)
    with counter:
        step(x)
    flops = counter.get_total_flops()
    return {
        "model": name,
        "family": family,
        "batch": args.batch_size,
        "sec_per_step": seconds,
        "images_per_sec": args.batch_size / seconds,
        "gflop_per_step": flops / 1e9,
        "achieved_gflops": flops / seconds / 1e9,
    }


# ----------------------------------------------------------------------------- measure
# As a CPU training run does, for every model here alike (baselines included).
kept = False if args.default_malloc else keep_freed_memory()
print(f"glibc keeps freed memory: {kept}", flush=True)
report["glibc_keeps_freed_memory"] = kept
peak = matmul_peak()
print(f"fp32 matmul peak (best 2048x2048 torch.mm): {peak / 1e9:.1f} GFLOP/s", flush=True)
for family in families:
    label = f"pokegen {family} default" + (" (--amp)" if args.amp else "")
    label += f" + {args.overrides}" if overrides else ""
    candidates = [(label, pokegen_step)]
    if args.image_size == 64:
        candidates.append((f"baseline {family}", baseline_step))
    for name, make in candidates:
        peak = max(peak, matmul_peak())  # other jobs share the cores: keep the best seen
        row = measure(name, family, make)
        report["rows"].append(row)
        print(
            f"{name}: {row['images_per_sec']:.1f} images/s, {row['gflop_per_step']:.1f} GFLOP/step",
            flush=True,
        )
        save_json(report, args.out)
peak = max(peak, matmul_peak())
report["matmul_peak_gflops"] = peak / 1e9
for row in report["rows"]:
    row["fraction_of_peak"] = row["achieved_gflops"] * 1e9 / peak
save_json(report, args.out)

# Whole preset runs (slow): wall time of the CLI, as a user would run it.
if args.presets:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = REPO / "runs" / f"bench-throughput-{stamp}"
    jobs = [
        ("pokegen run --preset quick", ["run", "--preset", "quick", "--out", str(root / "quick")])
    ]
    jobs += [
        (
            f"pokegen train {f} --preset default",
            ["train", f, "--preset", "default", "--out", str(root / f"default-{f}")],
        )
        for f in families
    ]
    report["presets"] = []
    for label, argv in jobs:
        print(f"timing: {label}", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "pokegen", *argv, "--data", args.data, "--quiet"]
        code = subprocess.run(cmd, cwd=REPO, check=False).returncode
        report["presets"].append(
            {"command": label, "seconds": time.perf_counter() - t0, "exit_code": code}
        )
        save_json(report, args.out)

# ----------------------------------------------------------------------------- table
headers = ["model", "batch", "images/s", "ms/step", "GFLOP/step", "GFLOP/s", "% of peak"]
rows = [
    [
        r["model"],
        r["batch"],
        r["images_per_sec"],
        r["sec_per_step"] * 1e3,
        r["gflop_per_step"],
        r["achieved_gflops"],
        100 * r["fraction_of_peak"],
    ]
    for r in report["rows"]
]
lines = [
    f"## Training-step throughput ({args.image_size} px, median of {args.steps} timed steps after "
    f"{args.warmup} warm-up)",
    "",
    *header_lines(machine, command),
    f"fp32 matmul peak: {peak / 1e9:.1f} GFLOP/s (best 2048×2048 torch.mm seen around the rows)."
    " The cores may be shared: compare rows from one invocation only.",
    "",
    markdown_table(headers, rows),
]
if args.image_size != 64:
    lines += ["", "Baselines skipped: their architectures are fixed at 64 px."]
if report.get("presets"):
    lines += [
        "",
        markdown_table(
            ["command", "minutes", "exit code"],
            [[r["command"], r["seconds"] / 60, r["exit_code"]] for r in report["presets"]],
        ),
    ]
report["markdown"] = "\n".join(lines)
save_json(report, args.out)
print("\n" + report["markdown"])
