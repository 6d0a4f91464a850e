"""What did we load? A text summary, a contact sheet and a label histogram for `pokegen data`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pokegen.config import DataConfig
from pokegen.data.dataset import Dataset, load_dataset
from pokegen.viz import save_figure

CONTACT_SHEET_MAX = 256


def label_histogram(ds: Dataset) -> list[tuple[str, int]]:
    """(label, image count) pairs, most frequent first."""
    if not ds.label_names:
        return []
    counts = ds.labels.sum(0).round().long().tolist()  # [K]
    return sorted(zip(ds.label_names, counts, strict=True), key=lambda kv: (-kv[1], kv[0]))


def _counts(mapping: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in mapping.items()) or "none"


def describe(ds: Dataset) -> str:
    """A multi-line human summary of a loaded dataset: what was used, left out and why."""
    info = ds.source_info
    layout = {"csv": f"CSV {info.get('csv')} + images", "folders": "folder per class"}
    lines = [f"data: {info.get('root')} ({layout.get(info.get('layout'), 'folder of images')})"]
    lines.append(
        f"images: {len(ds)} used, {len(ds.skipped)} skipped "
        f"({info.get('files_found', 0)} image files found, "
        f"{info.get('ignored_files', 0)} other files ignored)"
    )
    if ds.skipped:
        reasons = Counter(reason for _, reason in ds.skipped)
        lines.append("skipped: " + "; ".join(f"{n} {r}" for r, n in reasons.most_common()))
        lines += [f"  {path}: {reason}" for path, reason in ds.skipped[:10]]
        if len(ds.skipped) > 10:
            lines.append(f"  … and {len(ds.skipped) - 10} more")
    if ds.missing:
        shown = ", ".join(ds.missing[:8]) + (" …" if len(ds.missing) > 8 else "")
        lines.append(f"CSV rows without image: {len(ds.missing)} ({shown})")
    else:
        lines.append("CSV rows without image: 0")
    lines.append(
        f"found: formats {_counts(info.get('formats', {}))}; modes {_counts(info.get('modes', {}))}"
        f"; sizes {_counts(info.get('sizes', {}))}; "
        f"{info.get('transparent_images', 0)} with transparency"
    )
    channels = "RGBA" if info.get("channels") == 4 else "RGB"
    crop = f"on (margin {info.get('crop_margin', 0):.0%})" if info.get("crop") else "off"
    size = info.get("image_size")
    lines.append(
        f"preprocessing: {size}x{size} {channels}, {info.get('background_note')}, "
        f"crop to content {crop}, aspect kept (padded)"
    )
    histogram = label_histogram(ds)
    if histogram:
        unlabelled = int((ds.labels.sum(1) == 0).sum())
        lines.append(
            f"labels: {info.get('label_source')}, {len(histogram)} distinct, "
            f"{unlabelled} images without label"
        )
        width = max(len(name) for name, _ in histogram)
        top = max(count for _, count in histogram) or 1
        for name, count in histogram:
            bar = "#" * max(1 if count else 0, round(30 * count / top))
            lines.append(f"  {name:<{width}} {count:>5} {bar}")
    else:
        lines.append("labels: none")
    lines.append(
        f"cache: {info.get('cache')} ({info.get('load_seconds', 0):.2f} s load"
        f", {info.get('decode_seconds', 0):.2f} s decoding when built) {info.get('cache_path')}"
    )
    lines.append(f"fingerprint: {ds.fingerprint}")
    return "\n".join(lines)


def plot_label_histogram(ds: Dataset, path: Path) -> Path | None:
    """Bar chart of images per label (None when the data has no labels)."""
    histogram = label_histogram(ds)
    if not histogram:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, counts = zip(*histogram, strict=True)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(names) + 1.5), 3.2))
    ax.bar(range(len(names)), counts, color="#4c72b0")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("images")
    ax.set_title(f"{len(ds)} images, {len(names)} labels")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def inspect_data(cfg: DataConfig, out_dir: Path) -> str:
    """Show what training would see before spending minutes on it: pictures plus a summary."""
    from pokegen.viz import save_grid

    ds = load_dataset(cfg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_grid(ds.images[:CONTACT_SHEET_MAX], out_dir / "contact_sheet.png")
    written = ["contact_sheet.png"]
    if plot_label_histogram(ds, out_dir / "types.png") is not None:
        written.append("types.png")
    shown = f" (first {CONTACT_SHEET_MAX})" if len(ds) > CONTACT_SHEET_MAX else ""
    return describe(ds) + f"\nwrote {', '.join(written)}{shown} to {out_dir}"
