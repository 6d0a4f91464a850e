"""One self-contained HTML page comparing run folders side by side (images embedded)."""

from __future__ import annotations

import base64
import html
import json
import math
import os
from pathlib import Path

from pokegen.evaluation.registry import direction

_MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_CONFIG_KEYS = [  # (label, section, key, families it matters for)
    ("preset", None, "preset", "ae vae gan"),
    ("architecture", "model", "arch", "ae vae gan"),
    ("latent dim", "model", "latent_dim", "ae vae gan"),
    ("width", "model", "width", "ae vae gan"),
    ("prior", "model", "prior", "ae"),
    ("conditional", "model", "conditional", "vae gan"),
    ("image size", "data", "image_size", "ae vae gan"),
    ("background", "data", "background", "ae vae gan"),
    ("likelihood", "loss", "likelihood", "vae"),
    ("beta", "loss", "beta", "vae"),
    ("GAN loss", "loss", "gan_loss", "gan"),
    ("R1 gamma", "loss", "r1_gamma", "gan"),
    ("augment", "loss", "augment", "gan"),
    ("epochs", None, "epochs", "ae vae gan"),
    ("batch size", None, "batch_size", "ae vae gan"),
    ("lr", None, "lr", "ae vae gan"),
    ("EMA decay", None, "ema_decay", "ae vae gan"),
    ("seed", None, "seed", "ae vae gan"),
]
_SPACE_DEPENDENT = {"precision", "recall", "density", "coverage", "diversity_ratio"}
_HIDDEN = {"run", "family", "conditional"}  # "conditional" has its own section
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;
background:#fafafa}main{max-width:1400px;margin:0 auto;padding:24px}h1{font-size:1.5rem}
h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #e3e3e6;padding:6px 10px;vertical-align:top;text-align:left}
thead th{background:#f0f0f3;position:sticky;top:0}th.row{width:12rem;color:#555;font-weight:600}
img{max-width:100%;height:auto;image-rendering:pixelated}.na{color:#999;font-style:italic}
td.num{font-variant-numeric:tabular-nums;text-align:right}td.best{background:#e6f4ea;font-weight:700}
.family{display:inline-block;padding:1px 8px;border-radius:9px;background:#e8eefc;font-size:.8rem}
dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:.85rem}
dt{color:#666}dd{margin:0}.note{color:#666;font-size:.85rem}tr.ctx td,tr.ctx th{color:#777;
font-size:.85rem}
"""


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _last_stats(path: Path) -> dict:
    """The last complete row of stats.jsonl (a half-written last line is skipped)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {}


def _image(path: Path | None, alt: str) -> str:
    """An <img> with the file embedded as a data: URI, or a muted placeholder."""
    if path is None or not path.is_file():
        return '<span class="na">not available</span>'
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{data}">'


def _sample_grid(run: Path) -> Path | None:
    """samples/grid.png, else the latest progress grid."""
    if (run / "samples" / "grid.png").is_file():
        return run / "samples" / "grid.png"
    progress = sorted((run / "progress").glob("*.png")) if (run / "progress").is_dir() else []
    return progress[-1] if progress else None


def _novelty(run: Path) -> str:
    return _image(run / "novelty.png", "closest samples beside their nearest training images")


def _duration(seconds) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return '<span class="na">not available</span>'
    minutes = seconds / 60
    return (
        f"{minutes:.1f} min"
        if minutes < 60
        else f"{int(minutes // 60)} h {int(minutes % 60):02d} min"
    )


def _config(run: Path, family: str) -> str:
    cfg = _read_json(run / "config.json").get("config", {})
    if not cfg:
        return '<span class="na">not available</span>'
    items = []
    for label, section, key, families in _CONFIG_KEYS:
        if family and family not in families.split():
            continue
        value = (cfg.get(section, {}) if section else cfg).get(key)
        if value is not None:
            items.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(str(value))}</dd>")
    return f"<dl>{''.join(items)}</dl>"


def _fmt(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return html.escape(str(value)) if value is not None else '<span class="na">n/a</span>'
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _best(values: list, how: str | None) -> set[int]:
    """Column indices holding the best numeric value of a row (ties all win)."""
    nums = {
        i: float(v)
        for i, v in enumerate(values)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }
    if how is None or len(nums) < 2 or len(set(nums.values())) == 1:
        return set()  # nothing to compare, or every run ties
    score = {"lower": lambda v: v, "higher": lambda v: -v, "one": lambda v: abs(v - 1)}[how]
    top = min(score(v) for v in nums.values())
    return {i for i, v in nums.items() if score(v) == top}


def _metrics_table(metrics: list[dict], names: list[str]) -> str:
    keys: list[str] = []
    for m in metrics:
        keys += [k for k in m if k not in keys and k not in _HIDDEN]
    keys.sort(key=lambda k: direction(k) is None)  # ranked metrics first, context rows after
    if not keys:
        return '<p class="na">no metrics.json in any run (run `pokegen evaluate RUN` first)</p>'
    spaces = {m.get("feature_space") for m in metrics if m}
    rows = []
    for key in keys:
        values = [m.get(key) for m in metrics]
        how = direction(key)
        if key in _SPACE_DEPENDENT and len(spaces) > 1:
            how = None  # different feature spaces are not comparable
        best = _best(values, how)
        arrow = {"lower": " ↓", "higher": " ↑", "one": " →1"}.get(how or "", "")
        cells = "".join(
            f'<td class="num{" best" if i in best else ""}">{_fmt(v)}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{_fmt(v)}</td>"
            for i, v in enumerate(values)
        )
        css = "" if direction(key) else ' class="ctx"'
        rows.append(f'<tr{css}><th class="row">{html.escape(key + arrow)}</th>{cells}</tr>')
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    head = f'<thead><tr><th class="row">metric</th>{head}</tr></thead>'
    return f"<table>{head}{''.join(rows)}</table>"


def _per_type(section: dict | None) -> str:
    """A conditional run's per-type table: accuracy of samples vs real holdout, per-type SWD."""
    if not section:
        return '<span class="na">not a conditional run</span>'
    titles = ("type", "samples ↑", "real holdout", "SWD ↓", "SWD mixed")
    head = "<tr>" + "".join(f"<th>{t}</th>" for t in titles) + "</tr>"
    rows = "".join(
        f"<tr><td>{html.escape(str(r.get('type')))}</td>"
        + "".join(
            f'<td class="num">{_fmt(r.get(k))}</td>'
            for k in ("sample_accuracy", "real_holdout_accuracy", "swd", "swd_mixed")
        )
        + "</tr>"
        for r in section.get("per_type", [])
    )
    return f"<table>{head}{rows}</table>"


def _conditional_table(metrics: list[dict], names: list[str]) -> str:
    """Headline numbers of the conditional runs, best per row highlighted."""
    from pokegen.evaluation.conditional import summary_rows

    picked = [
        (m["conditional"], n)
        for m, n in zip(metrics, names, strict=True)
        if isinstance(m.get("conditional"), dict)
    ]
    if not picked:
        return ""
    table = [summary_rows(c) for c, _ in picked]
    rows = []
    for i, (label, _) in enumerate(table[0]):
        values = [t[i][1] for t in table]
        how = "higher" if label.endswith("↑") else "lower" if label.endswith("↓") else None
        best = _best(values, how)
        cells = "".join(
            f'<td class="num{" best" if j in best else ""}">{_fmt(v)}</td>'
            for j, v in enumerate(values)
        )
        rows.append(f'<tr><th class="row">{html.escape(label)}</th>{cells}</tr>')
    head = "".join(f"<th>{html.escape(n)}</th>" for _, n in picked)
    imbalance = "; ".join(sorted({str(c.get("imbalance", "not recorded")) for c, _ in picked}))
    return (
        "<h2>Conditional generation: does each type look like its type?</h2>"
        '<p class="note">A small CNN trained on the real training images predicts the type; '
        "accuracy = fraction of images whose top prediction is the conditioned type (for real "
        "holdout images: the type they have). Per-type SWD compares each type's samples with the "
        f"real images of that type. Label imbalance in training: {html.escape(imbalance)}.</p>"
        f'<table><thead><tr><th class="row">metric</th>{head}</tr></thead>{"".join(rows)}</table>'
    )


def _family(run: Path) -> str:
    return str(_read_json(run / "config.json").get("config", {}).get("model", {}).get("family", ""))


def write_report(run_dirs: list[str | Path], out: str | Path) -> Path:
    """Write the comparison page to `out`; missing files show as "not available"."""
    runs = [Path(r) for r in run_dirs]
    metrics = [_read_json(r / "metrics.json") for r in runs]
    families = [m.get("family") or _family(r) for r, m in zip(runs, metrics, strict=True)]
    names = [f"{r.name} ({f})" if f else r.name for r, f in zip(runs, families, strict=True)]
    sections = [
        ("samples", lambda r: _image(_sample_grid(r), "samples")),
        ("reconstructions", lambda r: _image(r / "reconstructions.png", "reconstructions")),
        ("interpolation", lambda r: _image(r / "interpolation.gif", "interpolation")),
        ("loss curves", lambda r: _image(r / "loss.png", "loss curves")),
        ("health curves", lambda r: _image(r / "health.png", "health curves")),
        ("novelty: closest sample | nearest training image", lambda r: _novelty(r)),
        ("training time", lambda r: _duration(_last_stats(r / "stats.jsonl").get("time"))),
    ]
    conditional = {r: m.get("conditional") for r, m in zip(runs, metrics, strict=True)}
    if any(conditional.values()) or any((r / "types.png").is_file() for r in runs):
        sections[1:1] = [
            ("samples per type", lambda r: _image(r / "types.png", "one row of samples per type")),
            ("type accuracy per type", lambda r: _per_type(conditional[r])),
        ]
    head = "".join(
        f'<th><span class="family">{html.escape(f or "?")}</span> {html.escape(r.name)}</th>'
        for r, f in zip(runs, families, strict=True)
    )
    body = "".join(
        f'<tr><th class="row">{html.escape(title)}</th>{"".join(f"<td>{fn(r)}</td>" for r in runs)}'
        "</tr>"
        for title, fn in sections
    )
    config_row = "".join(f"<td>{_config(r, f)}</td>" for r, f in zip(runs, families, strict=True))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pokegen report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><main><h1>pokegen: {len(runs)} run{"s" if len(runs) != 1 else ""} side by side</h1>
<table><thead><tr><th class="row"></th>{head}</tr></thead>{body}
<tr><th class="row">key settings</th>{config_row}</tr></table>
<h2>Metrics</h2><p class="note">Best value per row highlighted (↓ lower is better, ↑ higher,
→1 closest to 1). Generation metrics compare samples with the training images; reconstruction
and likelihood use the holdout images.</p>{_metrics_table(metrics, names)}
{_conditional_table(metrics, names)}
</main></body></html>
"""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out
