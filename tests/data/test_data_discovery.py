"""Discovery and labels: Kaggle layout, CSV quirks, joins, folder-per-class, plain folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pokegen.data.csvfile import read_csv
from pokegen.data.discover import discover
from pokegen.errors import DataError


def _png(path: Path, colour=(200, 40, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 12), colour).save(path)
    return path


def _csv(path: Path, text: str, crlf: bool = False, bom: bool = False) -> Path:
    body = text.strip("\n").replace("\n", "\r\n" if crlf else "\n") + ("\r\n" if crlf else "\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + body.encode("utf-8"))
    return path


def test_kaggle_fixture_layout_and_labels(kaggle_dir, load):
    ds = load(kaggle_dir, image_size=16)
    assert len(ds) == 24 and ds.skipped == [] and ds.missing == []
    assert ds.names == sorted(ds.names)  # sorted for determinism
    assert ds.label_names == ["Fire", "Flying", "Grass", "Water"]
    assert ds.labels.shape == (24, 4) and ds.labels.dtype == torch.float32
    row = ds.names.index("mon001")  # the fixture leaves Type2 empty for i % 3 == 1
    assert ds.type1[row] == "Water" and ds.type2[row] is None
    assert ds.labels[row].tolist() == [0.0, 0.0, 0.0, 1.0]
    row = ds.names.index("mon000")
    assert (ds.type1[row], ds.type2[row]) == ("Fire", "Water")
    assert ds.labels[row].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert ds.source_info["layout"] == "csv"
    assert ds.source_info["formats"] == {"PNG": 16, "JPEG": 8}


@pytest.mark.parametrize(("crlf", "bom"), [(False, False), (True, False), (True, True)])
def test_csv_line_endings_and_bom(tmp_path, crlf, bom):
    path = _csv(tmp_path / "t.csv", "Name,Type1,Type2\nabc,fire,\nDef,Water,Ice", crlf, bom)
    table = read_csv(path)
    assert table.columns == ["Name", "Type1", "Type2"]  # no BOM glued to the first column
    assert table.rows["abc"].labels == ("Fire",)  # known types canonicalised, empty Type2 dropped
    assert table.rows["abc"].type2 is None
    assert table.rows["def"].labels == ("Water", "Ice")
    assert table.warnings == []


def test_csv_unknown_types_duplicates_and_case_insensitive_join(tmp_path, load, logs):
    root = tmp_path / "d"
    root.mkdir()
    _csv(root / "pokemon.csv", """
Name,Type1,Type2
Pikachu,Electric,
pikachu,Water,
Missingno,Glitch,Bird
Eevee,Normal,
""", crlf=True)  # fmt: skip
    _png(root / "images" / "images" / "PIKACHU.png")
    _png(root / "images" / "images" / "missingno.PNG")
    _png(root / "images" / "images" / "unlisted.jpg")
    ds = load(root, image_size=16)
    assert ds.names == ["PIKACHU", "missingno", "unlisted"]  # file stems, sorted by path
    by_name = dict(zip(ds.names, ds.labels.tolist(), strict=True))
    assert ds.label_names == ["Bird", "Electric", "Glitch"]  # unknown types kept as labels
    assert by_name["PIKACHU"] == [0.0, 1.0, 0.0]  # first row wins over the duplicate
    assert by_name["missingno"] == [1.0, 0.0, 1.0]
    assert by_name["unlisted"] == [0.0, 0.0, 0.0]  # an image without a row has no label
    assert ds.type1[ds.names.index("unlisted")] is None
    assert ds.missing == ["Eevee"]  # a row without an image is reported, not fatal
    messages = [r.getMessage() for r in logs.records]
    assert sum("unknown type names" in m for m in messages) == 1
    assert any("Bird, Glitch" in m for m in messages)
    assert sum("duplicate rows" in m and "pikachu" in m for m in messages) == 1


def test_label_column_selects_one_column(kaggle_dir, load):
    ds = load(kaggle_dir, image_size=16, label_column="Type1")
    assert ds.labels.sum(1).tolist() == [1.0] * 24  # exactly one label per image
    assert ds.label_names == ["Fire", "Flying", "Grass", "Water"]
    assert ds.type2[ds.names.index("mon000")] == "Water"  # types still reported
    with pytest.raises(DataError, match=r"label column 'Colour' not in pokemon.csv; columns: Name"):
        load(kaggle_dir, image_size=16, label_column="Colour")


def test_csv_as_path_and_images_beside_it(tmp_path, load):
    _csv(tmp_path / "labels.csv", "filename;class\na.png;cat\nb.png;dog\n")
    _png(tmp_path / "a.png")
    _png(tmp_path / "b.png")
    ds = load(tmp_path / "labels.csv", image_size=16)
    assert ds.label_names == ["cat", "dog"]
    assert ds.labels.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert load(tmp_path, image_size=16).label_names == ["cat", "dog"]  # the only CSV is used


def test_images_folder_one_level(tmp_path, load):
    _csv(tmp_path / "pokemon.csv", "Name,Type1,Type2\nfoo,Fire,\n")
    _png(tmp_path / "images" / "foo.png")
    ds = load(tmp_path, image_size=16)
    assert ds.names == ["foo"] and ds.label_names == ["Fire"]


def test_csv_without_name_column_is_not_a_label_table(tmp_path, load):
    _csv(tmp_path / "stats.csv", "epoch,loss\n1,0.5\n")
    _png(tmp_path / "x.png")
    ds = load(tmp_path, image_size=16)
    assert ds.label_names == [] and ds.labels.shape == (1, 0)
    with pytest.raises(DataError, match="has no name column"):
        load(tmp_path / "stats.csv")


def test_folder_per_class_and_recursive_search(tmp_path, load):
    _png(tmp_path / "cats" / "c1.PNG")
    _png(tmp_path / "cats" / "deeper" / "c2.jpeg")
    _png(tmp_path / "dogs" / "d1.Jpg")
    _png(tmp_path / "loose.bmp")
    _png(tmp_path / ".hidden" / "h.png")
    (tmp_path / "cats" / "._c1.PNG").write_bytes(b"\x00\x05\x16\x07 resource fork")
    ds = load(tmp_path, image_size=16)
    assert ds.names == ["c1", "c2", "d1", "loose"]  # sorted by relative path, hidden skipped
    assert ds.skipped == []
    assert ds.label_names == ["cats", "dogs"]
    assert ds.labels.tolist() == [[1, 0], [1, 0], [0, 1], [0, 0]]
    assert ds.type1 == ["cats", "cats", "dogs", None]
    assert ds.source_info["layout"] == "folders"


def test_single_subfolder_gives_no_labels(tmp_path, load):
    _png(tmp_path / "pics" / "a.png")
    _png(tmp_path / "pics" / "b.png")
    ds = load(tmp_path, image_size=16)
    assert ds.labels.shape == (2, 0) and ds.type1 == [None, None]
    with pytest.raises(DataError, match="has no label CSV"):
        load(tmp_path, image_size=16, label_column="Type1")


def test_discovery_is_deterministic_and_cheap(kaggle_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(kaggle_dir, copy)
    first, second = discover(copy), discover(copy)
    assert [p.name for p in first.files] == [p.name for p in second.files]
    assert len(first.stats) == 24 and all(size > 0 for _, size, _ in first.stats)
    assert np.all(np.diff([int(p.stem[3:]) for p in first.files]) == 1)


def test_single_image_file(tmp_path, load):
    path = _png(tmp_path / "solo.webp.png")
    ds = load(path, image_size=16)
    assert ds.names == ["solo.webp"] and ds.paths == [str(path)] and ds.labels.shape == (1, 0)
