"""Reading a label CSV (Kaggle's pokemon.csv or similar) tolerant of real-world quirks."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from pokegen.data.decode import IMAGE_EXTENSIONS
from pokegen.errors import DataError

KNOWN_TYPES = (
    "Bug", "Dark", "Dragon", "Electric", "Fairy", "Fighting", "Fire", "Flying", "Ghost",
    "Grass", "Ground", "Ice", "Normal", "Poison", "Psychic", "Rock", "Steel", "Water",
)  # fmt: skip
NAME_COLUMNS = ("name", "pokemon", "filename", "file", "image", "imagename", "img", "id")
FALLBACK_LABEL_COLUMNS = ("label", "class", "category", "type")


@dataclass(frozen=True)
class Row:
    """One CSV row reduced to what the dataset needs."""

    name: str
    type1: str | None
    type2: str | None
    labels: tuple[str, ...]


@dataclass
class CsvLabels:
    """Rows keyed by lower-cased image stem, in file order, plus warnings to show the user."""

    path: Path
    columns: list[str]
    rows: dict[str, Row] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _norm(column: str) -> str:
    return re.sub(r"[^a-z0-9]", "", column.lower())


def name_key(value: str) -> str:
    """Join key between a CSV name and an image file: lower-case stem without image suffix."""
    value = value.strip().replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = value.rpartition(".")
    if dot and "." + ext.lower() in IMAGE_EXTENSIONS:
        value = stem
    return value.lower()


def _decode(raw: bytes, path: Path, warnings: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{path.name}: not UTF-8, read as Latin-1")
        return raw.decode("latin-1")


def _header_and_rows(text: str) -> tuple[list[str], list[list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = next((d for d in (";", "\t", "|") if d in first), ",")
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    rows = [[c.strip() for c in r] for r in rows if any(c.strip() for c in r)]
    if not rows:
        return [], []
    return rows[0], rows[1:]


def name_column(header: list[str]) -> int | None:
    """Index of the column naming each image, or None when the CSV has none."""
    normed = [_norm(c) for c in header]
    for wanted in NAME_COLUMNS:
        if wanted in normed:
            return normed.index(wanted)
    return None


def has_name_column(path: Path) -> bool:
    """Whether a CSV looks like an image label table (cheap: reads the header only)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    header, _ = _header_and_rows(head.split("\n", 1)[0] + "\n")
    return name_column(header) is not None


def _find_column(header: list[str], wanted: str) -> int | None:
    if wanted in header:
        return header.index(wanted)
    lowered = [c.lower() for c in header]
    return lowered.index(wanted.lower()) if wanted.lower() in lowered else None


def _canonical_type(value: str, known: dict[str, str], unknown: set[str]) -> str | None:
    if not value:
        return None
    canonical = known.get(value.lower())
    if canonical is None:
        unknown.add(value)
        return value
    return canonical


def read_csv(path: Path, label_column: str | None = None) -> CsvLabels:
    """Parse a label CSV: CRLF/LF, BOM, missing Type2, unknown types, duplicates (first wins)."""
    warnings: list[str] = []
    try:
        text = _decode(path.read_bytes(), path, warnings)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    header, body = _header_and_rows(text)
    out = CsvLabels(path=path, columns=header, warnings=warnings)
    name_idx = name_column(header)
    if name_idx is None:
        raise DataError(f"{path} has no name column (columns: {', '.join(header) or 'none'})")
    normed = [_norm(c) for c in header]
    t1 = normed.index("type1") if "type1" in normed else None
    t2 = normed.index("type2") if "type2" in normed else None
    label_idx: int | None = None
    if label_column is not None:
        label_idx = _find_column(header, label_column)
        if label_idx is None:
            raise DataError(
                f"label column {label_column!r} not in {path.name}; columns: {', '.join(header)}"
            )
    elif t1 is None and t2 is None:
        label_idx = next((normed.index(c) for c in FALLBACK_LABEL_COLUMNS if c in normed), None)
    known = {t.lower(): t for t in KNOWN_TYPES}
    unknown: set[str] = set()
    duplicates: list[str] = []
    unnamed = 0
    for cells in body:
        cells = cells + [""] * (len(header) - len(cells))
        name = cells[name_idx]
        if not name:
            unnamed += 1
            continue
        key = name_key(name)
        if key in out.rows:
            duplicates.append(name)
            continue
        type1 = _canonical_type(cells[t1], known, unknown) if t1 is not None else None
        type2 = _canonical_type(cells[t2], known, unknown) if t2 is not None else None
        if label_idx is not None:
            labels = (cells[label_idx],) if cells[label_idx] else ()
        else:
            labels = tuple(dict.fromkeys(t for t in (type1, type2) if t))
        out.rows[key] = Row(name=name, type1=type1, type2=type2, labels=labels)
    if unknown:
        listed = ", ".join(sorted(unknown)[:10]) + (" …" if len(unknown) > 10 else "")
        warnings.append(f"{path.name}: unknown type names kept as labels: {listed}")
    if duplicates:
        listed = ", ".join(duplicates[:5]) + (" …" if len(duplicates) > 5 else "")
        count = len(duplicates)
        warnings.append(f"{path.name}: {count} duplicate rows ignored (first wins): {listed}")
    if unnamed:
        warnings.append(f"{path.name}: {unnamed} rows without a name ignored")
    return out
