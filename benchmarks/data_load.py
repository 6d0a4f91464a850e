"""Benchmark: cold (decode + cache write) and warm (cached) load of the real dataset.

Run: python benchmarks/data_load.py [--data DIR] [--sizes 64 120] [--repeats 3]
Targets: warm < 0.3 s, cold < 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import torch

import pokegen.data.dataset as dataset_module
from pokegen.config import DataConfig
from pokegen.data import load_dataset

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/pokemon-images-and-types"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's guess elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@contextlib.contextmanager
def decode_threads(workers: int | None) -> Iterator[int]:
    """Temporarily pin the cold-decode thread count (None: the library's default)."""
    original = dataset_module.decode_workers
    if workers is not None:
        dataset_module.decode_workers = lambda: workers
    try:
        yield dataset_module.decode_workers()
    finally:
        dataset_module.decode_workers = original


def time_load(cfg: DataConfig) -> tuple[float, int, str]:
    start = time.perf_counter()
    ds = load_dataset(cfg)
    return time.perf_counter() - start, len(ds), ds.source_info["cache"]


def bench(data: Path, size: int, workers: int | None, repeats: int) -> dict[str, object]:
    """Median cold and warm load times for one image size and decode thread count."""
    cold, warm = [], []
    with decode_threads(workers) as threads:
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="pokegen-bench-") as cache:
                cfg = DataConfig(path=str(data), image_size=size, cache_dir=cache)
                seconds, n, state = time_load(cfg)
                assert state == "miss", state
                cold.append(seconds)
                for _ in range(3):
                    seconds, n_warm, state = time_load(cfg)
                    assert state == "hit" and n_warm == n, state
                    warm.append(seconds)
    return {
        "size": size,
        "threads": threads,
        "images": n,
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="dataset folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 120])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = args.data or Path(os.environ.get("POKEGEN_DATA") or REAL_DATA)
    if not data.exists():
        sys.exit(f"error: dataset not found at {data}; pass --data DIR")
    logging.getLogger("pokegen").setLevel(logging.ERROR)
    rows = [bench(data, s, w, args.repeats) for s in args.sizes for w in (1, None)]
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"machine: {cores} cores ({cpu_model()}), Python {platform.python_version()}, "
          f"torch {torch.__version__}")  # fmt: skip
    print(f"data: {data} (median of {args.repeats} cold loads, {3 * args.repeats} warm loads)\n")
    print("| size | images | decode threads | cold load (s) | warm load (s) |")
    print("|-----:|-------:|---------------:|--------------:|--------------:|")
    for r in rows:
        print(f"| {r['size']} | {r['images']} | {r['threads']} | {r['cold']:.2f} | "
              f"{r['warm']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
