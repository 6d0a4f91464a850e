"""Bad input is skipped with one warning line each, never a traceback, hang or huge allocation."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pokegen.errors import DataError


def _noise_png(size: int = 48, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 4), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def _noise_jpg(size: int = 48) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def messy(tmp_path: Path, raw_png) -> Path:
    """Two good images among every kind of broken file."""
    root = tmp_path / "messy"
    root.mkdir()
    (root / "good1.png").write_bytes(_noise_png(seed=1))
    (root / "good2.jpg").write_bytes(_noise_jpg())
    png = _noise_png(seed=2)
    (root / "truncated.png").write_bytes(png[: len(png) // 2])
    (root / "truncated.jpg").write_bytes(_noise_jpg()[:300])
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("this is not a picture\n")
    (root / "garbage.webp").write_bytes(os.urandom(200))
    (root / "notes.txt").write_text("ignored: not an image extension")
    raw_png(root / "bomb.png", 100_000, 100_000, 8, 6, None)  # 10^10 pixels in 57 bytes
    raw_png(root / "large.png", 10_000, 10_000, 8, 2, None)  # above Pillow's warning limit
    raw_png(root / "big.png", 9_000, 9_000, 8, 2, None)  # below it, above ours (64 MP)
    return root


EXPECTED = {
    "truncated.png": "truncated",
    "truncated.jpg": "truncated",
    "empty.png": "empty file",
    "text.png": "not an image",
    "garbage.webp": "not an image",
    "bomb.png": "too large (decompression bomb)",
    "large.png": "too large (10000x10000 pixels)",
    "big.png": "too large (9000x9000 pixels)",
}


def test_each_bad_file_skipped_with_one_warning(messy, load, logs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning (e.g. DecompressionBombWarning) leaks
        ds = load(messy, image_size=16)
    assert sorted(ds.names) == ["good1", "good2"]
    reasons = {Path(p).name: r for p, r in ds.skipped}
    assert reasons == EXPECTED
    lines = [r.getMessage() for r in logs.records if r.name == "pokegen"]
    for name, reason in EXPECTED.items():
        matching = [line for line in lines if name in line]
        assert matching == [f"skipping {messy / name}: {reason}"]
    assert any(line.startswith(f"skipped {len(EXPECTED)} files") for line in lines)
    assert ds.source_info["ignored_files"] == 1
    assert "Traceback" not in logs.text


def test_bad_files_replayed_from_cache(messy, load, logs):
    first = load(messy, image_size=16)
    logs.clear()
    second = load(messy, image_size=16)
    assert second.source_info["cache"] == "hit"
    assert second.skipped == first.skipped
    assert sum("skipping " in r.getMessage() for r in logs.records) == len(EXPECTED)


def test_unreadable_file_skipped(tmp_path, load):
    (tmp_path / "ok.png").write_bytes(_noise_png())
    locked = tmp_path / "locked.png"
    locked.write_bytes(_noise_png(seed=3))
    locked.chmod(0)
    try:
        try:
            locked.open("rb").close()
            pytest.skip("running as a user (root) who can read a mode-000 file")
        except PermissionError:
            pass
        ds = load(tmp_path, image_size=16)
        assert ds.names == ["ok"]
        assert ds.skipped == [(str(locked), "permission denied")]
    finally:
        locked.chmod(0o644)


def test_permission_error_reported_even_as_root(tmp_path, load, monkeypatch):
    """Root can read mode-000 files, so simulate the OS refusing to open one."""
    (tmp_path / "ok.png").write_bytes(_noise_png())
    (tmp_path / "locked.png").write_bytes(_noise_png(seed=3))
    real_open = Image.open

    def guarded(fp, *args, **kwargs):
        if str(fp).endswith("locked.png"):
            raise PermissionError(13, "Permission denied", str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", guarded)
    ds = load(tmp_path, image_size=16)
    assert ds.names == ["ok"]
    assert ds.skipped == [(str(tmp_path / "locked.png"), "permission denied")]


def test_symlink_loops_do_not_hang(tmp_path, load, logs):
    root = tmp_path / "links"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "one.png").write_bytes(_noise_png())
    (root / "a" / "b" / "up").symlink_to(root / "a")  # loop back to an ancestor
    (root / "a" / "self.png").symlink_to(root / "a" / "self.png")  # ELOOP on stat
    (root / "a" / "gone.png").symlink_to(root / "nowhere.png")
    (root / "again").symlink_to(root / "a" / "b")  # same folder a second time: not a loop
    ds = load(root, image_size=16)
    assert ds.names == ["one"]  # found exactly once
    reasons = {Path(p).name: r for p, r in ds.skipped}
    assert reasons["up"] == "symlink loop"
    assert reasons["self.png"] == "symlink loop"
    assert reasons["gone.png"] == "broken symlink"
    assert reasons["b" if "b" in reasons else "again"].startswith("folder already included")
    assert sum("skipping" in r.getMessage() for r in logs.records) == len(ds.skipped)


def test_folder_without_usable_images(tmp_path, load, logs):
    (tmp_path / "broken.png").write_text("nope")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(DataError, match=r"^no usable images in .* \(2 files skipped\)$"):
        load(tmp_path)
    assert sum(r.getMessage().startswith("skipping ") for r in logs.records) == 2  # said why
    empty = tmp_path / "void"
    empty.mkdir()
    with pytest.raises(DataError, match=r"\(0 files skipped\)"):
        load(empty)


def test_nonexistent_path(tmp_path, load):
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "missing")


def test_unsupported_single_file(tmp_path, load):
    path = tmp_path / "readme.txt"
    path.write_text("hello")
    with pytest.raises(DataError, match="neither a folder of images nor a CSV"):
        load(path)
