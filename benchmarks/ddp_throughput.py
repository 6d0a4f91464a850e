"""Data-parallel throughput: images/s of one process vs several (torchrun, DDP) per family.

Runs the real command a user would run, `torchrun --standalone --nproc_per_node N -m pokegen
train FAMILY --preset default ...`, once per (family, N), and reads the images/s the engine logs
per epoch in stats.jsonl (all ranks' images over the epoch's wall time). The first epoch is
warm-up; the reported rate is the median of the later epochs. The cores are split evenly:
OMP_NUM_THREADS = cores / N, so one process with 2 threads competes with 2 processes of 1 thread.
The batch size is per process (weak scaling): N processes train with N times the global batch.

    python benchmarks/ddp_throughput.py                                # all families, 1 vs 2
    python benchmarks/ddp_throughput.py --images 128 --batch-size 16   # a quick smoke run
    python benchmarks/ddp_throughput.py --device cuda --procs 1,2,4,8  # GPUs (nccl)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from _bench_common import (
    REPO,
    command_line,
    default_data,
    header_lines,
    machine_info,
    markdown_table,
    ratio,
    save_json,
)
from pokegen import config as C
from pokegen.models import build_models
from pokegen.training.steps import FAMILY_SPECS

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--data", default=default_data(), help="dataset folder (Kaggle layout or images)")
p.add_argument("--families", default="ae,vae,gan")
p.add_argument("--procs", default="1,2", help="process counts to compare")
p.add_argument("--epochs", type=int, default=3, help="epochs per run; the first is warm-up")
p.add_argument("--batch-size", type=int, default=64, help="per process (the preset's default)")
p.add_argument("--image-size", type=int, default=64)
p.add_argument("--images", type=int, default=0, help="use only the first N images (0: all)")
p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="cpu: gloo, cuda: nccl")
p.add_argument("--timeout", type=float, default=1800, help="seconds per run before giving up")
p.add_argument("--keep", action="store_true", help="keep the run folders (printed at the end)")
p.add_argument("--out", default=str(REPO / "benchmarks/results/ddp_throughput.json"))
args = p.parse_args()
families = [f for f in args.families.split(",") if f]
procs = [int(n) for n in args.procs.split(",") if n]
command, machine = command_line(), machine_info()
report: dict[str, Any] = {"command": command, "machine": machine, "args": vars(args), "rows": []}
root = Path(tempfile.mkdtemp(prefix="pokegen-ddp-bench-"))


def subset(data: Path, n: int) -> Path:
    """A folder of symlinks to the first n images under `data` (no CSV: unlabelled)."""
    files = sorted(f for f in data.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)[:n]
    folder = root / f"first{n}"
    folder.mkdir()
    for f in files:
        (folder / f.name).symlink_to(f.resolve())
    return folder


def n_params(family: str) -> int:
    """Parameters DDP all-reduces every step: the optimised modules of the default preset."""
    cfg = C.preset(family, "default", data={"image_size": args.image_size})
    models = build_models(cfg.model, cfg.data.image_size, cfg.data.channels)
    return sum(p.numel() for k in FAMILY_SPECS[family].optimized for p in models[k].parameters())


def run(family: str, n: int, data: str) -> dict[str, Any]:
    """One `torchrun ... pokegen train` job; images/s from the engine's per-epoch stats."""
    out = root / f"{family}-{n}proc"
    threads = max(1, (machine["nproc"] // n) if args.device == "cpu" else 1)
    argv = [
        *f"--standalone --nproc_per_node {n} -m pokegen train {family} --preset default".split(),
        *["--data", data, "--out", str(out), "--device", args.device, "--epochs", str(args.epochs)],
        *f"--batch-size {args.batch_size} --image-size {args.image_size} --quiet".split(),
    ]
    shown = f"OMP_NUM_THREADS={threads} torchrun " + " ".join(shlex.quote(a) for a in argv)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "POKEGEN_CACHE": str(root / "cache")}
    print(f"running: {shown}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a timeout stops the workers too
    )
    try:
        _, err = proc.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    wall = time.perf_counter() - t0
    row: dict[str, Any] = {
        "family": family,
        "procs": n,
        "threads": threads,
        "command": shown,
        "exit_code": proc.returncode,
        "wall_s": wall,
    }
    if proc.returncode != 0:
        print(err[-3000:], file=sys.stderr)
        return row
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["kind"] == "train"]
    log = (out / "log.txt").read_text()
    timed = train[1:] or train  # drop the warm-up epoch when there is a later one
    row.update(
        batch=args.batch_size,
        global_batch=args.batch_size * n,
        steps_per_epoch=(train[0]["step"] if train else 0),
        images_per_sec=statistics.median(r["images_per_sec"] for r in timed),
        epochs_timed=len(timed),
        in_sync="ranks in sync" in log,
    )
    return row


try:
    data = str(subset(Path(args.data), args.images)) if args.images else args.data
    for family in families:
        params = n_params(family)
        for n in procs:
            row = run(family, n, data)
            row["params_m"] = params / 1e6
            report["rows"].append(row)
            save_json(report, args.out)
finally:
    if args.keep:
        print(f"run folders kept in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)

# ----------------------------------------------------------------------------- table
base = {r["family"]: r.get("images_per_sec") for r in report["rows"] if r["procs"] == procs[0]}
headers = [
    "family",
    "processes",
    "threads/proc",
    "batch/proc",
    "global batch",
    "steps/epoch",
    "images/s",
    f"× vs {procs[0]} proc",
    "params (M)",
    "grad all-reduce MB/step",
    "in sync",
]
rows = [
    [
        r["family"],
        r["procs"],
        r["threads"],
        r.get("batch"),
        r.get("global_batch"),
        r.get("steps_per_epoch"),
        r.get("images_per_sec"),
        ratio(r.get("images_per_sec"), base.get(r["family"])),
        r["params_m"],
        4 * r["params_m"] if r["procs"] > 1 else None,
        {True: "yes", False: "–"}.get(r.get("in_sync"), f"exit {r['exit_code']}"),
    ]
    for r in report["rows"]
]
lines = [
    f"## Data-parallel throughput ({args.image_size} px, default preset, {args.device}, "
    f"median images/s of epochs 2–{args.epochs})",
    "",
    *header_lines(machine, command),
    f"Dataset: {args.data}" + (f" (first {args.images} images)" if args.images else ""),
    "",
    markdown_table(headers, rows),
    "",
    "Commands:",
    "",
    *[f"    {r['command']}" for r in report["rows"]],
]
report["markdown"] = "\n".join(lines)
save_json(report, args.out)
print("\n" + report["markdown"])
