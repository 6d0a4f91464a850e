"""Fixtures for the data-layer tests: a loader with a private cache and a raw PNG writer."""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pokegen.config import DataConfig
from pokegen.data import Dataset, load_dataset


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., Dataset]:
    """load_dataset(DataConfig(path=..., **options)) with a cache private to the test."""
    cache = tmp_path / "cache"

    def _load(path: Path | str, **options) -> Dataset:
        options.setdefault("cache_dir", str(cache))
        return load_dataset(DataConfig(path=str(path), **options))

    return _load


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything the 'pokegen' logger says, INFO and up."""
    caplog.set_level(logging.INFO, logger="pokegen")
    return caplog


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_raw_png(path: Path, width: int, height: int, bit_depth: int, colour_type: int,
                  pixels: np.ndarray | None) -> Path:  # fmt: skip
    """Write a PNG byte by byte: 16-bit colour Pillow cannot save, or a header-only bomb."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = b""
    if pixels is not None:  # [H, W, C] big-endian samples, filter byte 0 per row
        rows = pixels.astype(">u2" if bit_depth == 16 else "u1").reshape(height, -1)
        body = zlib.compress(b"".join(b"\x00" + row.tobytes() for row in rows))
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body)
    path.write_bytes(data + _chunk(b"IEND", b""))
    return path


@pytest.fixture
def raw_png() -> Callable[..., Path]:
    return write_raw_png
