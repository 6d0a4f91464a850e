"""The real Kaggle dataset: every image loads, joins to its types, and composites correctly."""

from __future__ import annotations

import pytest

from pokegen.config import DataConfig
from pokegen.data import load_dataset


@pytest.mark.integration
def test_real_dataset_loads_completely(real_data_dir, tmp_path):
    cfg = DataConfig(path=str(real_data_dir), image_size=32, cache_dir=str(tmp_path / "c"))
    ds = load_dataset(cfg)
    assert len(ds) == 809 and ds.skipped == [] and ds.missing == []
    assert all(t is not None for t in ds.type1)  # every image joined to a CSV row
    assert len(ds.label_names) == 18 and ds.labels.shape == (809, 18)
    assert ds.labels.sum(1).min() >= 1 and ds.labels.sum(1).max() <= 2
    assert ds.source_info["formats"] == {"PNG": 721, "JPEG": 88}
    assert ds.source_info["transparent_images"] == 721
    assert ds.images.shape == (809, 3, 32, 32)
    assert 150 < ds.images.float().mean() < 250  # mostly white background, not black
    assert ds.images.float().std() > 30
    bulbasaur = ds.names.index("bulbasaur")
    assert ds.images[bulbasaur, :, 0, 0].tolist() == [255, 255, 255]
    assert ds.type1[bulbasaur] == "Grass" and ds.type2[bulbasaur] == "Poison"


@pytest.mark.integration
def test_real_dataset_black_background(real_data_dir, tmp_path):
    cfg = DataConfig(path=str(real_data_dir), image_size=16, background="black",
                     cache_dir=str(tmp_path / "c"))  # fmt: skip
    ds = load_dataset(cfg)
    bulbasaur = ds.names.index("bulbasaur")
    assert ds.images[bulbasaur, :, 0, 0].tolist() == [0, 0, 0]
    assert ds.images[bulbasaur].float().mean() > 8  # the creature is still there
