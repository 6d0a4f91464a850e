"""Decoding: every supported format and mode, compositing, aspect-preserving fit, sizes, crop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pokegen.data.decode import Options, decode_image, square_box

RED = (220, 30, 30)


def disk(size: int = 60, radius: float = 0.3, colour=(255, 255, 255), centre=None) -> Image.Image:
    """An opaque disk on transparent pixels whose RGB is black (like the real PNGs)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    cx, cy = centre or (size / 2, size / 2)
    r = radius * size
    ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*colour, 255))
    return image


def decode(path: Path, size: int = 32, **options) -> np.ndarray:
    """Decoded image as [S, S, C] for easy pixel checks."""
    return decode_image(str(path), Options(image_size=size, **options)).array.transpose(1, 2, 0)


@pytest.mark.parametrize(("background", "corner"), [("white", 255), ("black", 0)])
def test_transparent_pixels_become_background(kaggle_dir, load, background, corner):
    ds = load(kaggle_dir, image_size=32, background=background)
    png = ds.names.index("mon000")
    assert ds.paths[png].endswith(".png")
    assert ds.images.shape == (24, 3, 32, 32)
    assert ds.images[png, :, 0, 0].tolist() == [corner] * 3
    assert ds.images[png, :, 16, 16].tolist() != [corner] * 3  # the creature survives


def test_alpha_background_keeps_transparency_with_clean_rgb(kaggle_dir, load):
    ds = load(kaggle_dir, image_size=32, background="alpha")
    png, jpg = ds.names.index("mon000"), ds.names.index("mon002")
    assert ds.images.shape == (24, 4, 32, 32)
    assert ds.images[png, :, 0, 0].tolist() == [0, 0, 0, 0]
    assert ds.images[png, 3, 16, 16] == 255
    assert ds.images[jpg, 3].min() == 255  # an opaque JPEG stays opaque
    transparent = ds.images[:, 3] == 0  # [N, S, S]
    assert transparent.any()
    assert (ds.images[:, :3].permute(1, 0, 2, 3)[:, transparent] == 0).all()


@pytest.mark.parametrize("size", [16, 32, 120])
def test_no_dark_fringe_around_transparent_edges(tmp_path, size):
    """A white disk over black-RGB transparency must stay white: compositing uses alpha."""
    path = tmp_path / "white.png"
    disk(120, 0.35).save(path)
    assert decode(path, size, background="white").min() >= 250
    opaque = decode(path, size, background="alpha")
    assert opaque[opaque[..., 3] > 0, :3].min() >= 250  # premultiplied resampling
    black = decode(path, size, background="black")
    assert black[0, 0].tolist() == [0, 0, 0] and black[size // 2, size // 2].min() >= 250


def _write_formats(folder: Path) -> dict[str, tuple[str, str]]:
    """One file per format/mode quirk; returns name -> (expected centre, expected corner)."""
    folder.mkdir(parents=True, exist_ok=True)
    rgba = disk(40, 0.3, RED)
    p = Image.new("P", (40, 40), 0)
    p.putpalette([0, 0, 0, *RED] + [0] * 762)
    ImageDraw.Draw(p).ellipse((8, 8, 32, 32), fill=1)
    p.save(folder / "palette.png", transparency=0)
    la = Image.new("LA", (40, 40), (0, 0))
    ImageDraw.Draw(la).ellipse((8, 8, 32, 32), fill=(200, 255))
    la.save(folder / "greyalpha.png")
    gif_frames = [p.copy(), Image.new("P", (40, 40), 1)]
    gif_frames[1].putpalette([0, 0, 0, 30, 30, 220] + [0] * 762)
    gif_frames[0].save(folder / "anim.gif", save_all=True, append_images=gif_frames[1:],
                       transparency=0, duration=100)  # fmt: skip
    rgba.save(folder / "lossless.webp", lossless=True)
    rgba.save(folder / "layer.tiff")
    Image.new("RGB", (40, 40), RED).save(folder / "plain.bmp")
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(folder / "print.jpg", quality=95)
    Image.new("RGB", (40, 40), RED).save(folder / "UPPER.JPEG", quality=95)
    return {
        "palette": ("red", "white"),
        "greyalpha": ("grey", "white"),
        "anim": ("red", "white"),
        "lossless": ("red", "white"),
        "layer": ("red", "white"),
        "plain": ("red", "red"),
        "print": ("red", "red"),
        "UPPER": ("red", "red"),
    }


def _colour(pixel: np.ndarray) -> str:
    r, g, b = (int(v) for v in pixel[:3])
    if min(r, g, b) >= 245:
        return "white"
    if abs(r - g) < 12 and abs(g - b) < 12:
        return "grey"
    if r > 180 and g < 70 and b < 70:
        return "red"
    return f"other{(r, g, b)}"


def test_every_format_decodes_with_transparency_honoured(tmp_path, load):
    expected = _write_formats(tmp_path / "formats")
    ds = load(tmp_path / "formats", image_size=24)
    assert ds.skipped == []
    assert set(ds.names) == set(expected)
    for i, name in enumerate(ds.names):
        image = ds.images[i].permute(1, 2, 0).numpy()  # [S, S, 3]
        centre, corner = expected[name]
        assert _colour(image[12, 12]) == centre, name
        assert _colour(image[0, 0]) == corner, name
    info = ds.source_info
    assert set(info["formats"]) == {"PNG", "GIF", "WEBP", "TIFF", "BMP", "JPEG"}
    assert {"P", "LA", "CMYK", "RGB", "RGBA"} <= set(info["modes"])
    assert info["transparent_images"] == 5


def test_sixteen_bit_png_scaled_not_clipped(tmp_path, raw_png):
    grey = tmp_path / "grey16.png"
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(grey)
    assert Image.open(grey).mode == "I;16"
    assert decode(grey, 16)[4, 4].tolist() == [156, 156, 156]  # 40000 / 257, not clipped 255
    dark = tmp_path / "dark16.png"
    Image.fromarray(np.full((8, 8), 200, np.uint16)).save(dark)
    assert decode(dark, 16)[4, 4].tolist() == [1, 1, 1]  # 200/65535 of full scale, not 200/255
    colour = np.zeros((8, 8, 3), np.uint16)
    colour[...] = (65535, 0, 32896)
    rgb16 = raw_png(tmp_path / "rgb16.png", 8, 8, 16, 2, colour)
    assert decode(rgb16, 16)[4, 4].tolist() == [255, 0, 128]
    rgba = np.zeros((16, 16, 4), np.uint16)
    rgba[4:12, 4:12] = (0, 65535, 0, 65535)  # green square, everything else transparent black
    rgba16 = raw_png(tmp_path / "rgba16.png", 16, 16, 16, 6, rgba)
    out = decode(rgba16, 16)
    assert out[0, 0].tolist() == [255, 255, 255] and out[8, 8].tolist() == [0, 255, 0]


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (60, 30), (220, 20, 20))
    image.paste((20, 20, 220), (30, 0, 60, 30))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90° clockwise
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif, quality=95)
    out = decode(path, 32)
    assert _colour(out[3, 16]) == "red"  # the stored left edge is now the top
    assert out[28, 16, 2] > 180 and out[28, 16, 0] < 80  # blue at the bottom
    assert _colour(out[16, 2]) == "white"  # tall after rotation: padded left and right


@pytest.mark.parametrize("background", ["white", "alpha"])
def test_wide_image_is_padded_not_stretched(tmp_path, background):
    path = tmp_path / "wide.png"
    Image.new("RGBA", (80, 40), (*RED, 255)).save(path)
    out = decode(path, 32, background=background)
    assert out.shape == (32, 32, 3 if background == "white" else 4)
    fill = [255, 255, 255] if background == "white" else [0, 0, 0, 0]
    assert (out[:7].reshape(-1, out.shape[2]) == fill).all()  # top band is padding
    assert (out[25:].reshape(-1, out.shape[2]) == fill).all()  # bottom band too
    assert _colour(out[16, 1]) == "red" and _colour(out[9, 30]) == "red"  # full width kept


def test_every_size_multiple_of_8_from_16_to_256(tmp_path):
    path = tmp_path / "creature.png"
    disk(120, 0.3, RED).save(path)
    for size in range(16, 257, 8):
        out = decode_image(str(path), Options(image_size=size)).array
        assert out.shape == (3, size, size) and out.dtype == np.uint8
        assert _colour(out[:, size // 2, size // 2].copy()) == "red"
        assert out[:, 0, 0].tolist() == [255, 255, 255]


@pytest.mark.parametrize("size", [16, 24, 120, 256])
def test_dataset_sizes(kaggle_dir, load, size):
    ds = load(kaggle_dir, image_size=size)
    assert ds.images.shape == (24, 3, size, size) and ds.images.dtype.is_floating_point is False
    assert ds.images.float().std() > 10  # not blank


def _content_fraction(image: np.ndarray) -> float:
    return float((np.abs(image[..., :3].astype(int) - 255).max(-1) > 30).mean())


def test_crop_to_content_enlarges_the_creature(tmp_path):
    small = disk(120, 0.12, RED, centre=(40, 80))  # small and off-centre
    small.save(tmp_path / "small.png")
    flat = Image.new("RGBA", small.size, (255, 255, 255, 255))
    flat.alpha_composite(small)
    flat.convert("RGB").save(tmp_path / "small.jpg", quality=95)  # opaque: colour-based box
    for name in ("small.png", "small.jpg"):
        plain = decode(tmp_path / name, 32)
        cropped = decode(tmp_path / name, 32, crop=True, crop_margin=0.05)
        loose = decode(tmp_path / name, 32, crop=True, crop_margin=0.4)
        assert _content_fraction(cropped) > 8 * _content_fraction(plain), name
        assert _content_fraction(cropped) > _content_fraction(loose) > _content_fraction(plain)
        ys, xs = np.nonzero(np.abs(cropped[..., :3].astype(int) - 255).max(-1) > 30)
        assert abs(ys.mean() - 15.5) < 1.5 and abs(xs.mean() - 15.5) < 1.5, name  # centred


def test_square_box_stays_inside_the_image_when_it_fits():
    assert square_box((0, 0, 10, 20), 0.0, 100, 100) == (0, 0, 20, 20)
    assert square_box((90, 40, 100, 60), 0.0, 100, 100) == (80, 40, 100, 60)
    left, top, right, bottom = square_box((10, 10, 90, 20), 0.5, 100, 30)
    assert right - left == bottom - top == 160 and left < 0 and top < 0  # padded when too big
