"""inspect_data: the contact sheet, the label histogram and the human summary."""

from __future__ import annotations

from PIL import Image

from pokegen.config import DataConfig
from pokegen.data import inspect_data


def test_inspect_writes_pictures_and_counts(kaggle_dir, tmp_path):
    (kaggle_dir / "pokemon.csv").read_bytes()  # the session fixture stays untouched
    cfg = DataConfig(path=str(kaggle_dir), image_size=16, cache_dir=str(tmp_path / "c"))
    text = inspect_data(cfg, tmp_path / "out")
    sheet = Image.open(tmp_path / "out" / "contact_sheet.png")
    assert sheet.size == (5 * 18 + 2, 5 * 18 + 2)  # 24 images in a 5x5 grid of 16px + padding
    assert Image.open(tmp_path / "out" / "types.png").size[0] > 100
    assert "images: 24 used, 0 skipped" in text
    assert "CSV rows without image: 0" in text
    assert "transparency composited onto white" in text
    assert "crop to content off" in text
    assert "formats PNG 16, JPEG 8" in text and "sizes 40x40 24" in text
    assert "labels: CSV Type1 + Type2, 4 distinct" in text
    assert "cache: miss" in text
    again = inspect_data(cfg, tmp_path / "out")
    assert "cache: hit" in again


def test_inspect_without_labels_and_with_problems(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    Image.new("RGBA", (30, 20), (10, 200, 10, 255)).save(folder / "a.png")
    (folder / "b.png").write_text("not an image")
    cfg = DataConfig(path=str(folder), image_size=16, crop=True, background="alpha",
                     cache_dir=str(tmp_path / "c"))  # fmt: skip
    text = inspect_data(cfg, tmp_path / "out")
    assert not (tmp_path / "out" / "types.png").exists()
    assert Image.open(tmp_path / "out" / "contact_sheet.png").mode == "RGBA"
    assert "images: 1 used, 1 skipped" in text
    assert f"{folder / 'b.png'}: not an image" in text
    assert "labels: none" in text and "crop to content on (margin 5%)" in text
    assert "16x16 RGBA" in text and "kept as a 4th channel" in text
