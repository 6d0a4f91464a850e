"""resolve_data_path: explicit path, $POKEGEN_DATA, then kagglehub (optional, may be offline)."""

from __future__ import annotations

import sys
import types

import pytest

from pokegen.data import resolve_data_path
from pokegen.data.source import KAGGLE_DATASET
from pokegen.errors import DataError


def _fake_kagglehub(download) -> types.ModuleType:
    module = types.ModuleType("kagglehub")
    module.dataset_download = download
    return module


def test_explicit_path_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("POKEGEN_DATA", str(tmp_path / "elsewhere"))
    assert resolve_data_path(str(tmp_path)) == tmp_path
    with pytest.raises(DataError, match="does not exist"):
        resolve_data_path(str(tmp_path / "nope"))


def test_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("POKEGEN_DATA", str(tmp_path))
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # must not be needed
    assert resolve_data_path(None) == tmp_path
    monkeypatch.setenv("POKEGEN_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataError, match="POKEGEN_DATA="):
        resolve_data_path(None)


def test_kagglehub_download(kaggle_dir, monkeypatch):
    monkeypatch.delenv("POKEGEN_DATA", raising=False)
    asked = []

    def download(handle: str) -> str:
        asked.append(handle)
        return str(kaggle_dir)

    monkeypatch.setitem(sys.modules, "kagglehub", _fake_kagglehub(download))
    assert resolve_data_path(None) == kaggle_dir
    assert asked == [KAGGLE_DATASET] == ["vishalsubbiah/pokemon-images-and-types"]


def test_offline_download_is_one_line_error(monkeypatch):
    monkeypatch.delenv("POKEGEN_DATA", raising=False)

    def download(handle: str) -> str:
        raise ConnectionError("Failed to resolve 'www.kaggle.com'\n  many\n  lines")

    monkeypatch.setitem(sys.modules, "kagglehub", _fake_kagglehub(download))
    with pytest.raises(DataError) as info:
        resolve_data_path(None)
    message = str(info.value)
    assert "\n" not in message and "ConnectionError" in message
    assert "--data DIR" in message and "POKEGEN_DATA" in message


def test_kagglehub_missing(monkeypatch):
    monkeypatch.delenv("POKEGEN_DATA", raising=False)
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # makes `import kagglehub` fail
    with pytest.raises(DataError, match=r"kagglehub is not installed.*--data DIR.*POKEGEN_DATA"):
        resolve_data_path(None)
