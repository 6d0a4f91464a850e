"""Helpers shared by the benchmark scripts: machine description, markdown tables, JSON output."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = "/work/shared/data/pokemon-images-and-types"


def default_data() -> str:
    """--data default: $POKEGEN_DATA, else the shared reference copy (never copied here)."""
    return os.environ.get("POKEGEN_DATA", DEFAULT_DATA)


def command_line() -> str:
    """The exact command that produced a result, so anyone can rerun it."""
    return "python " + " ".join(shlex.quote(a) for a in sys.argv)


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else whatever platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Where a number was measured: results only compare on the same machine and load."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return {
        "nproc": cores,
        "cpu": cpu_model(),
        # The vector ISA PyTorch dispatches to (AVX2, AVX512, ...): hosts of one name differ,
        # and oneDNN's narrow convolutions run far slower on AVX2 ones (BENCHMARKS.md, throughput)
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_avg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def header_lines(machine: dict[str, Any], command: str) -> list[str]:
    """Markdown lines naming the command and machine above a results table."""
    load = machine.get("load_avg")
    return [
        f"Command: `{command}`",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}, "
        f"{machine.get('cpu_capability', 'ISA not recorded')}), torch {machine['torch']} "
        f"({machine['torch_threads']} threads), Python {machine['python']}, {machine['date']}"
        + (f", load average {load[0]}" if load else ""),
        "",
    ]


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: numbers to `digits` significant figures, missing values as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; cells go through `fmt`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(a: Any, b: Any) -> float | None:
    """a / b when both are finite numbers and b is not zero."""
    if not isinstance(a, int | float) or not isinstance(b, int | float) or b == 0:
        return None
    if not (math.isfinite(a) and math.isfinite(b)):
        return None
    return a / b


def save_json(data: Any, path: str | Path) -> Path:
    """Write JSON atomically (tmp + rename) so a killed benchmark never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    os.replace(tmp, path)
    return path


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Nested dict update, so a variant's {"data": ...} keeps the benchmark's data path."""
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = deep_merge(out[key], value) if both else value
    return out
