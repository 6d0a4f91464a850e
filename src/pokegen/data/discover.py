"""Finding image files and their labels: Kaggle layout, CSV + images, or plain folders."""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pokegen.data.csvfile import CsvLabels, has_name_column, name_key, read_csv
from pokegen.data.decode import IMAGE_EXTENSIONS
from pokegen.errors import DataError

IGNORED_NAMES = ("__MACOSX", "Thumbs.db")


@dataclass
class Source:
    """Candidate image files (sorted) with their labels, before any pixel is decoded."""

    root: Path
    layout: str  # "csv" | "folders" (folder-per-class) | "flat"
    csv_path: Path | None
    files: list[Path] = field(default_factory=list)
    stats: list[tuple[str, int, int]] = field(default_factory=list)  # (path, size, mtime_ns)
    labels: list[tuple[str, ...]] = field(default_factory=list)  # per file
    type1: list[str | None] = field(default_factory=list)
    type2: list[str | None] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # CSV names without an image file
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[str] = field(default_factory=list)
    ignored_files: int = 0  # files without an image extension


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def walk_images(root: Path) -> tuple[list[Path], list[tuple[str, str]], int]:
    """All image files under root, sorted; symlink loops and unreadable folders are skipped."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    ignored = 0
    visited: set[str] = set()
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]  # (folder, real paths above it)
    while stack:
        folder, ancestors = stack.pop()
        real = os.path.realpath(folder)
        if real in ancestors:
            skipped.append((str(folder), "symlink loop"))
            continue
        if real in visited:
            skipped.append((str(folder), "folder already included through another link"))
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append((str(folder), f"cannot list folder ({exc.strerror or exc})"))
            continue
        subfolders = []
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            path = folder / entry.name
            try:
                is_dir = entry.is_dir()
                is_file = entry.is_file()
                if entry.is_symlink() and not (is_dir or is_file):
                    os.stat(path)  # raises ELOOP for self-referencing links
                    raise FileNotFoundError(errno.ENOENT, "broken symlink")
            except OSError as exc:
                looped = exc.errno == errno.ELOOP
                if looped or Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS:
                    skipped.append((str(path), "symlink loop" if looped else "broken symlink"))
                continue
            if is_dir:
                subfolders.append(path)
            elif Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS:
                files.append(path)
            else:
                ignored += 1
        stack.extend((sub, (*ancestors, real)) for sub in reversed(subfolders))
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    return files, skipped, ignored


def _pick_csv(folder: Path, warnings: list[str]) -> Path | None:
    """The folder's label CSV: pokemon.csv, or the only CSV that has a name-like column."""
    try:
        csvs = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    except OSError as exc:
        raise DataError(f"cannot list {folder} ({exc.strerror or exc})") from None
    named = [p for p in csvs if has_name_column(p)]
    for p in named:
        if p.name.lower() == "pokemon.csv":
            return p
    if len(named) > 1:
        listed = ", ".join(p.name for p in named)
        warnings.append(f"several label CSVs in {folder} ({listed}); pass one as the data path")
    return named[0] if len(named) == 1 else None


def _image_folder(base: Path) -> Path:
    for candidate in (base / "images" / "images", base / "images"):
        if candidate.is_dir():
            return candidate
    return base


def _stat_files(src: Source, files: list[Path]) -> None:
    for path in files:
        try:
            st = os.stat(path)
        except OSError as exc:
            src.skipped.append((str(path), f"cannot read ({exc.strerror or exc})"))
            continue
        src.files.append(path)
        src.stats.append((str(path), st.st_size, st.st_mtime_ns))


def _label_from_csv(src: Source, table: CsvLabels) -> None:
    found: set[str] = set()
    for path in src.files:
        key = name_key(path.name)
        row = table.rows.get(key)
        found.add(key)
        src.labels.append(row.labels if row else ())
        src.type1.append(row.type1 if row else None)
        src.type2.append(row.type2 if row else None)
    src.missing = [row.name for key, row in table.rows.items() if key not in found]


def _label_from_folders(src: Source, image_root: Path) -> None:
    classes = {p.relative_to(image_root).parts[0] for p in src.files if p.parent != image_root}
    src.layout = "folders" if len(classes) >= 2 else "flat"
    for path in src.files:
        parts = path.relative_to(image_root).parts
        label = parts[0] if src.layout == "folders" and len(parts) > 1 else None
        src.labels.append((label,) if label else ())
        src.type1.append(label)
        src.type2.append(None)


def discover(path: Path, label_column: str | None = None) -> Source:
    """Decide the layout of `path` and list its image files with labels (no decoding yet)."""
    path = Path(os.path.abspath(path.expanduser()))
    if not path.exists():
        raise DataError(f"{path} does not exist")
    warnings: list[str] = []
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix not in IMAGE_EXTENSIONS and suffix != ".csv":
            raise DataError(f"{path} is neither a folder of images nor a CSV file")
        csv_path = path if suffix == ".csv" else None
        base = path.parent
    else:
        csv_path = _pick_csv(path, warnings)
        base = path
    table = read_csv(csv_path, label_column) if csv_path else None
    if table is None and label_column is not None:
        raise DataError(f"label column {label_column!r} given but {path} has no label CSV")
    src = Source(root=path, layout="csv" if table else "flat", csv_path=csv_path)
    src.warnings = warnings + (table.warnings if table else [])
    if path.is_file() and csv_path is None:
        files, skipped, ignored, image_root = [path], [], 0, base
    else:
        image_root = _image_folder(base) if table else base
        files, skipped, ignored = walk_images(image_root)
    src.skipped.extend(skipped)
    src.ignored_files = ignored
    _stat_files(src, files)
    if table:
        _label_from_csv(src, table)
    else:
        _label_from_folders(src, image_root)
    return src


def log_discovery(src: Source, log: logging.Logger) -> None:
    """Emit discovery warnings once each (decode skips are logged by the loader)."""
    for message in src.warnings:
        log.warning(message)
