"""The report must read in a real browser: render it in headless Chromium and look at the pixels."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from test_report import _fake_run

from pokegen.evaluation.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html, png, width=1200, height=1600):
    """Headless Chromium with the flags this offline machine needs; returns the PNG path."""
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={png.parent / 'chromium-profile'}", "--hide-scrollbars",
        f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    return png


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_with_images_in_headless_chromium(tmp_path):
    a = _fake_run(tmp_path, "run-a", "vae", {"swd_mean": 40.0, "recall": 0.3})
    b = _fake_run(tmp_path, "run-b", "gan", {"swd_mean": 25.5, "recall": 0.2})
    page = write_report([a, b], tmp_path / "report.html")
    shot = np.asarray(Image.open(screenshot(page, tmp_path / "shot.png")).convert("RGB"))
    assert shot.shape[:2] == (1600, 1200)
    # Text and embedded images drew something: many distinct colours, not a blank page.
    colours = np.unique(shot.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 200
    # The two run columns each hold picture content (the random test grids are colourful).
    saturation = shot.max(axis=2).astype(int) - shot.min(axis=2)
    left, right = saturation[:, : 1200 // 2], saturation[:, 1200 // 2 :]
    assert (left > 60).sum() > 500 and (right > 60).sum() > 500
