"""Shared fixtures: a tiny synthetic Kaggle-layout dataset, the real dataset, an isolated cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT.parent / "shared/data/pokemon-images-and-types"

TYPE_COLOURS = {
    "Fire": (230, 80, 40),
    "Water": (50, 110, 230),
    "Grass": (60, 180, 70),
    "Flying": (160, 150, 230),
}
FIXTURE_TYPES = tuple(TYPE_COLOURS)


def _creature(rng: np.random.Generator, size: int, colour: tuple[int, int, int]) -> Image.Image:
    """An RGBA creature-like blob (body, belly, eye) on a fully transparent background.

    Transparent pixels have BLACK RGB, exactly like the real dataset's PNGs.
    """
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    cx, cy = size / 2 + rng.uniform(-2, 2), size / 2 + rng.uniform(-2, 2)
    rx, ry = size * rng.uniform(0.22, 0.32), size * rng.uniform(0.26, 0.36)
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(*colour, 255))
    belly = tuple(min(255, c + 70) for c in colour)
    draw.ellipse((cx - rx / 2, cy, cx + rx / 2, cy + ry * 0.8), fill=(*belly, 255))
    eye = max(1.0, size / 20)
    draw.ellipse((cx + rx / 3 - eye, cy - ry / 2 - eye, cx + rx / 3 + eye, cy - ry / 2 + eye),
                 fill=(20, 20, 20, 255))  # fmt: skip
    return image


def make_kaggle_fixture(root: Path, n: int = 24, size: int = 40) -> Path:
    """Write a deterministic Kaggle-layout dataset (pokemon.csv + images/images) under root.

    ~2/3 RGBA PNGs (black RGB under transparency), ~1/3 RGB JPGs on white; the CSV has CRLF
    endings, a UTF-8 BOM and rows without Type2. Returns root.
    """
    rng = np.random.default_rng(1234)
    images = root / "images" / "images"
    images.mkdir(parents=True, exist_ok=True)
    rows = ["Name,Type1,Type2"]
    for i in range(n):
        name = f"mon{i:03d}"
        type1 = FIXTURE_TYPES[i % len(FIXTURE_TYPES)]
        type2 = "" if i % 3 == 1 else FIXTURE_TYPES[(i + 1 + (i // 4) % 3) % len(FIXTURE_TYPES)]
        rows.append(f"{name},{type1},{type2}")
        creature = _creature(rng, size, TYPE_COLOURS[type1])
        if i % 3 == 2:
            flat = Image.new("RGBA", creature.size, (255, 255, 255, 255))
            flat.alpha_composite(creature)
            flat.convert("RGB").save(images / f"{name}.jpg", quality=92)
        else:
            creature.save(images / f"{name}.png")
    (root / "pokemon.csv").write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    return root


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point POKEGEN_CACHE at a per-session temp dir so tests never write to ~/.cache."""
    cache = tmp_path_factory.mktemp("pokegen-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POKEGEN_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="session")
def kaggle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-image Kaggle-layout dataset shared by the whole session (treat as read-only)."""
    return make_kaggle_fixture(tmp_path_factory.mktemp("kaggle"))


@pytest.fixture
def make_kaggle() -> Callable[..., Path]:
    """The fixture builder, for tests that need their own (mutable) copy or other sizes."""
    return make_kaggle_fixture


@pytest.fixture
def real_data_dir() -> Path:
    """The real Kaggle dataset beside the repo; skips the test when it is absent."""
    if not (REAL_DATA / "pokemon.csv").is_file():
        pytest.skip(f"real dataset not found at {REAL_DATA}")
    return REAL_DATA
