"""Decoding frames for the model: every mode to RGB, EXIF orientation, clear errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inference.preprocess import ImageLoadError, load_rgb, to_rgb
from tests.gen import jpeg_bytes, write


@pytest.mark.parametrize("mode", ["CMYK", "L", "1", "P", "RGBA", "LA", "I;16", "I", "F"])
def test_any_mode_becomes_8bit_rgb_when_normalised(mode):
    src = Image.new("RGB", (40, 30), (200, 100, 50))
    im = src.convert(mode) if mode not in ("I;16", "I", "F") else Image.new(mode, (40, 30))
    out = to_rgb(im)
    assert out.mode == "RGB" and out.size == (40, 30)


def test_sixteen_bit_image_keeps_its_contrast_when_converted():
    arr = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    out = np.asarray(to_rgb(Image.fromarray(arr)))
    assert out.min() == 0 and out.max() == 255


def test_exif_orientation_is_applied_when_decoding(tmp_path):
    # A 60x20 frame, left half red, stored with orientation 6 (rotate 90 degrees clockwise).
    arr = np.zeros((20, 60, 3), np.uint8)
    arr[:, :30] = (255, 0, 0)
    ex = Image.Exif()
    ex[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", exif=ex.tobytes(), quality=95)
    p = write(tmp_path / "rot.jpg", buf.getvalue())
    _, thumb = load_rgb(p, 32)
    # After rotating clockwise the red half is on top: red (76 in gray) above black (0).
    assert thumb[:8].mean() > 60 > 10 > thumb[-8:].mean()


def test_truncated_and_corrupt_files_raise_a_clear_error_when_decoded(tmp_path):
    full = jpeg_bytes((256, 192), seed=3)
    cut = write(tmp_path / "cut.jpg", full[: len(full) // 2])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_rgb(cut, 64)
    junk = write(tmp_path / "junk.jpg", b"not an image")
    with pytest.raises(ImageLoadError, match="not a readable image"):
        load_rgb(junk, 64)


def test_output_is_square_uint8_of_the_model_size_when_decoded(tmp_path):
    p = write(tmp_path / "a.jpg", jpeg_bytes((320, 240), seed=1))
    rgb, thumb = load_rgb(p, 96)
    assert rgb.shape == (96, 96, 3) and rgb.dtype == np.uint8
    assert thumb.shape == (32, 32)
