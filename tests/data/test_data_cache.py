"""The decoded-tensor cache: warm loads skip decoding; any input or option change rebuilds."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
import torch

import pokegen.data.dataset as dataset_module
from pokegen.config import DataConfig
from pokegen.data import load_dataset
from pokegen.data.cache import fingerprint
from pokegen.data.decode import Options


@pytest.fixture
def data(kaggle_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture that tests may modify."""
    return Path(shutil.copytree(kaggle_dir, tmp_path / "data"))


@pytest.fixture
def count_decodes(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = dataset_module.decode_image

    def counting(path, opts):
        calls.append(path)
        return original(path, opts)

    monkeypatch.setattr(dataset_module, "decode_image", counting)
    return calls


def _cfg(data: Path, cache: Path, **options) -> DataConfig:
    options.setdefault("image_size", 24)
    return DataConfig(path=str(data), cache_dir=str(cache), **options)


def test_warm_load_is_identical_and_never_decodes(data, tmp_path, monkeypatch):
    cfg = _cfg(data, tmp_path / "cache")
    cold = load_dataset(cfg)
    assert cold.source_info["cache"] == "miss"

    def refuse(path, opts):
        raise AssertionError(f"decoded {path} on a warm load")

    monkeypatch.setattr(dataset_module, "decode_image", refuse)
    warm = load_dataset(cfg)
    assert warm.source_info["cache"] == "hit"
    assert torch.equal(warm.images, cold.images) and warm.images.dtype == torch.uint8
    assert torch.equal(warm.labels, cold.labels) and warm.labels.dtype == torch.float32
    for field in ("names", "paths", "label_names", "type1", "type2", "skipped", "missing"):
        assert getattr(warm, field) == getattr(cold, field), field
    assert warm.fingerprint == cold.fingerprint
    stored = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert stored == [".json", ".safetensors"]  # no pickle, no leftover temporary files


def test_mtime_change_invalidates(data, tmp_path, count_decodes):
    cfg = _cfg(data, tmp_path / "cache")
    first = load_dataset(cfg)
    target = data / "images" / "images" / "mon004.png"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    count_decodes.clear()
    second = load_dataset(cfg)
    assert second.source_info["cache"] == "miss" and len(count_decodes) == 24
    assert second.fingerprint != first.fingerprint
    assert torch.equal(second.images, first.images)  # same pixels, rebuilt nonetheless


def test_csv_edit_invalidates_labels(data, tmp_path):
    cfg = _cfg(data, tmp_path / "cache")
    before = load_dataset(cfg)
    csv = data / "pokemon.csv"
    text = csv.read_bytes().replace(b"mon000,Fire,Water", b"mon000,Ice,Water")
    csv.write_bytes(text)
    after = load_dataset(cfg)
    assert after.source_info["cache"] == "miss"
    assert "Ice" in after.label_names and "Ice" not in before.label_names


@pytest.mark.parametrize(
    "change",
    [{"image_size": 32}, {"background": "black"}, {"crop": True}, {"crop_margin": 0.2}],
)
def test_option_change_invalidates(data, tmp_path, count_decodes, change):
    base = load_dataset(_cfg(data, tmp_path / "cache"))
    count_decodes.clear()
    changed = load_dataset(_cfg(data, tmp_path / "cache", **change))
    assert changed.source_info["cache"] == "miss" and len(count_decodes) == 24
    assert changed.fingerprint != base.fingerprint


def test_fingerprint_covers_every_option_and_file():
    stats = [("/d/a.png", 10, 1), ("/d/b.png", 20, 2)]
    base = Options()
    keys = {fingerprint(stats, None, base, None)}
    for name, value in [("image_size", 32), ("background", "alpha"), ("crop", True),
                        ("crop_margin", 0.1)]:  # fmt: skip
        keys.add(fingerprint(stats, None, dataclasses.replace(base, **{name: value}), None))
    keys.add(fingerprint(stats[:1], None, base, None))
    keys.add(fingerprint([("/d/a.png", 11, 1), stats[1]], None, base, None))
    keys.add(fingerprint(stats, ("/d/p.csv", 5, 5), base, None))
    keys.add(fingerprint(stats, None, base, "Type1"))
    assert len(keys) == 9
    assert fingerprint(stats, None, base, None) == fingerprint(list(stats), None, Options(), None)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "sidecar"])
def test_corrupt_cache_is_rebuilt(data, tmp_path, logs, damage):
    cache = tmp_path / "cache"
    cold = load_dataset(_cfg(data, cache))
    tensors = next(cache.glob("*.safetensors"))
    sidecar = tensors.with_suffix(".json")
    if damage == "truncate":
        tensors.write_bytes(tensors.read_bytes()[:1000])
    elif damage == "garbage":
        tensors.write_bytes(b"\xff" * tensors.stat().st_size)
    else:
        sidecar.write_text('{"names": [')
    logs.clear()
    rebuilt = load_dataset(_cfg(data, cache))
    assert rebuilt.source_info["cache"] == "miss"
    assert torch.equal(rebuilt.images, cold.images)
    assert sum("ignoring corrupt cache" in r.getMessage() for r in logs.records) == 1
    assert load_dataset(_cfg(data, cache)).source_info["cache"] == "hit"


def test_unwritable_cache_only_warns(data, tmp_path, logs):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    ds = load_dataset(_cfg(data, blocker))
    assert len(ds) == 24 and ds.source_info["cache_path"] is None
    assert any("cannot write cache" in r.getMessage() for r in logs.records)


def test_cache_location_from_environment(data, tmp_path, monkeypatch):
    monkeypatch.setenv("POKEGEN_CACHE", str(tmp_path / "env-cache"))
    ds = load_dataset(DataConfig(path=str(data), image_size=16))
    assert Path(ds.source_info["cache_path"]).parent == tmp_path / "env-cache"
    assert load_dataset(DataConfig(path=str(data), image_size=16)).source_info["cache"] == "hit"
