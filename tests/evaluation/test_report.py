from __future__ import annotations

import json
import re

import torch

from pokegen.evaluation.report import write_report
from pokegen.viz import save_gif, save_grid, to_pil


def _fake_run(root, name, family, metrics, full=True):
    run = root / name
    (run / "samples").mkdir(parents=True)
    gen = torch.Generator().manual_seed(len(name))
    images = torch.rand(4, 3, 8, 8, generator=gen) * 2 - 1
    if full:
        save_grid(images, run / "samples" / "grid.png")
        save_grid(images, run / "reconstructions.png")
        save_gif([to_pil(im) for im in images], run / "interpolation.gif")
        save_grid(images, run / "novelty.png")
        save_grid(images, run / "loss.png")
    else:  # only progress grids: the latest one stands in for samples
        save_grid(images, run / "progress" / "epoch00002.png")
        save_grid(images, run / "progress" / "epoch00010.png")
    cfg = {"config": {"model": {"family": family, "arch": "resnet", "latent_dim": 64}, "epochs": 8}}
    (run / "config.json").write_text(json.dumps(cfg))
    (run / "stats.jsonl").write_text('{"step": 1, "time": 60}\n{"step": 2, "time": 754.0}\n{"st')
    (run / "metrics.json").write_text(json.dumps({"family": family, **metrics}))
    return run


def test_report_side_by_side(tmp_path):
    a = _fake_run(
        tmp_path, "run-a", "vae", {"swd_mean": 40.0, "recall": 0.3, "fid": None, "precision": 0.0}
    )
    b = _fake_run(
        tmp_path, "run-b", "gan", {"swd_mean": 25.5, "recall": 0.2, "precision": 0.0}, full=False
    )
    out = write_report([a, b], tmp_path / "report.html")
    page = out.read_text()
    assert "run-a" in page and "run-b" in page and "vae" in page and "gan" in page
    assert page.count('src="data:image/png;base64,') == 5
    assert 'src="data:image/gif;base64,' in page
    assert not re.search(r"""(src|href)=["']?https?:""", page) and "http" not in page
    assert "not available" in page  # run-b has no reconstructions/GIF/curves
    assert "12.6 min" in page  # last complete stats row, half-written line ignored
    assert re.search(r'class="num best">25.5<', page)  # SWD: lower wins
    assert re.search(r'class="num best">0.3<', page)  # recall: higher wins
    assert not re.search(r'class="num best">0<', page)  # a tie everywhere marks nothing
    assert "image-rendering:pixelated" in page


def test_report_survives_empty_run_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    page = write_report([tmp_path / "empty"], tmp_path / "r.html").read_text()
    assert "not available" in page and "no metrics.json" in page
