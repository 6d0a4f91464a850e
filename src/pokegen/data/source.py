"""Where the data lives: an explicit path, $POKEGEN_DATA, or the Kaggle dataset via kagglehub."""

from __future__ import annotations

import os
from pathlib import Path

from pokegen.errors import DataError

KAGGLE_DATASET = "vishalsubbiah/pokemon-images-and-types"
HINT = "pass --data DIR or set POKEGEN_DATA to a folder of images"


def _one_line(text: object, limit: int = 160) -> str:
    """First line of a message, shortened, so errors stay one line."""
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _existing(path: str, origin: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{origin}{p} does not exist; {HINT}")
    return p


def resolve_data_path(path: str | None) -> Path:
    """Find the data so a bare `pokegen train` works: --data, then $POKEGEN_DATA, then Kaggle."""
    if path:
        return _existing(path, "data path ")
    env = os.environ.get("POKEGEN_DATA")
    if env:
        return _existing(env, "POKEGEN_DATA=")
    try:
        import kagglehub  # optional dependency, imported only when needed
    except ImportError:
        raise DataError(
            f"no data given and kagglehub is not installed (pip install kagglehub); {HINT}"
        ) from None
    try:
        downloaded = Path(kagglehub.dataset_download(KAGGLE_DATASET))
    except Exception as exc:  # offline, no credentials, API change: all end the same way
        reason = _one_line(f"{type(exc).__name__}: {exc}")
        raise DataError(
            f"could not download Kaggle dataset {KAGGLE_DATASET} ({reason}); {HINT}"
        ) from None
    if not downloaded.exists():
        raise DataError(f"kagglehub returned {downloaded}, which does not exist; {HINT}")
    return downloaded
