from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from sam2_autotrack.errors import MaskError, MaskSizeError
from sam2_autotrack.masks.png import (
    MaskResizedWarning,
    decode_mask,
    encode_mask_png,
    write_mask_png,
)

Image = pytest.importorskip("PIL.Image")  # Pillow comes with scikit-image


def disc_mask(width: int = 64, height: int = 48) -> np.ndarray[Any, np.dtype[np.bool_]]:
    yy, xx = np.mgrid[:height, :width]
    mask = (xx - width * 0.4) ** 2 + (yy - height * 0.5) ** 2 < (min(width, height) * 0.3) ** 2
    mask[2:6, width - 12 : width - 3] = True  # a second, rectangular component
    return mask


def pil_bytes(image: Any, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def cv_bytes(array: np.ndarray[Any, Any], extension: str = ".png") -> bytes:
    ok, encoded = cv2.imencode(extension, array)
    assert ok
    return encoded.tobytes()


MASK = disc_mask()
WHITE_ON_BLACK = np.where(MASK, 255, 0).astype(np.uint8)


# -- every image mode -------------------------------------------------------------------------


def test_png_modes_built_with_pillow() -> None:
    grey = Image.fromarray(WHITE_ON_BLACK)
    sources = {
        "L": grey,
        "1": grey.convert("1"),
        "RGB": grey.convert("RGB"),
        "RGBA (opaque: luminance)": grey.convert("RGBA"),
        "LA (opaque: luminance)": grey.convert("LA"),
        "P": grey.convert("P"),
    }
    for name, image in sources.items():
        decoded = decode_mask(pil_bytes(image))
        assert decoded.dtype == np.bool_, name
        np.testing.assert_array_equal(decoded, MASK, err_msg=name)


def test_la_and_rgba_with_varying_alpha_use_the_alpha() -> None:
    # Colour says "everything is foreground"; only the alpha channel carries the mask.
    white = np.full_like(WHITE_ON_BLACK, 255)
    la = Image.fromarray(np.dstack([white, WHITE_ON_BLACK]), mode="LA")
    rgba = Image.fromarray(np.dstack([white, white, white, WHITE_ON_BLACK]), mode="RGBA")
    np.testing.assert_array_equal(decode_mask(pil_bytes(la)), MASK)
    np.testing.assert_array_equal(decode_mask(pil_bytes(rgba)), MASK)


def test_palette_uses_colours_not_indices() -> None:
    # Index 0 is painted white and index 1 black, so reading indices would invert the mask.
    indices = (~MASK).astype(np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([255, 255, 255, 0, 0, 0])
    np.testing.assert_array_equal(decode_mask(pil_bytes(image)), MASK)


def test_palette_with_transparency_uses_alpha() -> None:
    indices = MASK.astype(np.uint8)
    image = Image.fromarray(indices, mode="P")
    image.putpalette([200, 200, 200, 220, 220, 220])  # both bright: colour alone says "all"
    np.testing.assert_array_equal(decode_mask(pil_bytes(image, transparency=0)), MASK)


def test_sixteen_bit_pngs_threshold_at_half_their_range() -> None:
    full = np.where(MASK, 65535, 0).astype(np.uint16)
    np.testing.assert_array_equal(decode_mask(cv_bytes(full)), MASK)
    np.testing.assert_array_equal(decode_mask(cv_bytes(np.dstack([full] * 3))), MASK)
    np.testing.assert_array_equal(decode_mask(cv_bytes(np.dstack([full] * 4))), MASK)
    # 255 is "white" in 8 bits but only 0.4% of the 16-bit range: background.
    dim = np.where(MASK, 255, 0).astype(np.uint16)
    assert not decode_mask(cv_bytes(dim)).any()


def test_threshold_is_half_of_the_range() -> None:
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    decoded = decode_mask(cv_bytes(ramp))
    np.testing.assert_array_equal(decoded, ramp >= 128)
    rgb = decode_mask(cv_bytes(np.dstack([ramp] * 3)))
    np.testing.assert_array_equal(rgb, ramp >= 128)


def test_coloured_masks_use_luminance() -> None:
    image = np.zeros((4, 4, 3), dtype=np.uint8)  # BGR for OpenCV
    image[0, 0] = (0, 255, 0)  # pure green: luminance 150 -> foreground
    image[0, 1] = (255, 0, 0)  # pure blue: luminance 29 -> background
    image[0, 2] = (0, 0, 255)  # pure red: luminance 76 -> background
    decoded = decode_mask(cv_bytes(image))
    assert decoded[0, 0]
    assert not decoded[0, 1]
    assert not decoded[0, 2]


def test_jpeg_noise_stays_background() -> None:
    compressed = cv_bytes(WHITE_ON_BLACK, ".jpg")
    noisy = cv2.imdecode(np.frombuffer(compressed, np.uint8), cv2.IMREAD_GRAYSCALE)
    naive = noisy >= 1  # the seed script's threshold
    decoded = decode_mask(compressed)
    naive_errors = int((naive != MASK).sum())
    our_errors = int((decoded != MASK).sum())
    assert naive_errors > 20, "the JPEG should be noisy enough to ruin a threshold of 1"
    assert our_errors * 10 < naive_errors
    assert our_errors <= 0.01 * MASK.size


def test_low_quality_jpeg_and_lossy_webp() -> None:
    for data in (
        cv_bytes(WHITE_ON_BLACK, ".jpg"),
        pil_bytes(Image.fromarray(WHITE_ON_BLACK), "JPEG", quality=30),
        pil_bytes(Image.fromarray(WHITE_ON_BLACK).convert("RGB"), "WEBP", quality=40),
    ):
        decoded = decode_mask(data)
        assert decoded.shape == MASK.shape
        intersection = np.logical_and(decoded, MASK).sum()
        union = np.logical_or(decoded, MASK).sum()
        assert intersection / union > 0.95


def test_lossless_webp_is_exact() -> None:
    data = pil_bytes(Image.fromarray(WHITE_ON_BLACK), "WEBP", lossless=True)
    np.testing.assert_array_equal(decode_mask(data), MASK)


# -- sources ----------------------------------------------------------------------------------


def test_path_str_and_bytes_sources_agree(tmp_path: Path) -> None:
    data = encode_mask_png(MASK)
    file = tmp_path / "mask.png"
    file.write_bytes(data)
    for source in (data, file, str(file), bytearray(data)):
        np.testing.assert_array_equal(decode_mask(source), MASK)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"", "empty"),
        (b"definitely not an image", "not a decodable image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a decodable image"),
        ("https://replicate.delivery/mask.png", "download it first"),
    ],
)
def test_undecodable_sources_raise_mask_error(source: bytes | str, message: str) -> None:
    with pytest.raises(MaskError, match=message):
        decode_mask(source)


def test_missing_file_raises_mask_error(tmp_path: Path) -> None:
    with pytest.raises(MaskError, match="does not exist"):
        decode_mask(tmp_path / "missing.png")
    with pytest.raises(MaskError, match="does not exist"):
        decode_mask(tmp_path)  # a directory


# -- sizes ------------------------------------------------------------------------------------


def test_matching_size_passes_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = decode_mask(encode_mask_png(MASK), expected_wh=(64, 48))
    np.testing.assert_array_equal(decoded, MASK)


def test_same_aspect_ratio_is_resized_nearest_with_a_warning() -> None:
    small = disc_mask(32, 24)
    with pytest.warns(MaskResizedWarning, match=r"32x24.*64x48"):
        decoded = decode_mask(encode_mask_png(small), expected_wh=(64, 48))
    # Nearest-neighbour by an exact factor of 2: every pixel becomes a 2x2 block.
    np.testing.assert_array_equal(decoded, np.kron(small, np.ones((2, 2), dtype=bool)))


def test_aspect_ratio_within_one_pixel_of_rounding_is_resized() -> None:
    small = disc_mask(427, 240)  # 1280x720 scaled to 240 rows: 426.67 columns, rounded
    with pytest.warns(MaskResizedWarning):
        decoded = decode_mask(encode_mask_png(small), expected_wh=(1280, 720))
    assert decoded.shape == (720, 1280)
    assert abs(decoded.mean() - small.mean()) < 0.01


def test_resize_warning_is_a_user_warning() -> None:
    assert issubclass(MaskResizedWarning, UserWarning)


@pytest.mark.parametrize("expected_wh", [(64, 64), (48, 64), (100, 48), (65, 46)])
def test_other_aspect_ratio_raises_mask_size_error(expected_wh: tuple[int, int]) -> None:
    with pytest.raises(MaskSizeError) as info:
        decode_mask(encode_mask_png(MASK), expected_wh=expected_wh)
    error = info.value
    assert error.expected_wh == expected_wh
    assert error.actual_wh == (64, 48)
    assert "64x48" in str(error)
    assert f"{expected_wh[0]}x{expected_wh[1]}" in str(error)
    assert isinstance(error, MaskError)


def test_non_positive_expected_size_is_rejected() -> None:
    with pytest.raises(MaskError, match="positive"):
        decode_mask(encode_mask_png(MASK), expected_wh=(0, 48))


# -- encoding ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)))
def test_encode_decode_round_trip(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> None:
    before = mask.copy()
    decoded = decode_mask(encode_mask_png(mask), expected_wh=(mask.shape[1], mask.shape[0]))
    np.testing.assert_array_equal(decoded, mask)
    np.testing.assert_array_equal(mask, before)  # input untouched


def test_encoded_png_is_white_on_black_8bit_greyscale() -> None:
    image = Image.open(io.BytesIO(encode_mask_png(MASK)))
    assert image.format == "PNG"
    assert image.mode == "L"
    pixels = np.asarray(image)
    assert set(np.unique(pixels).tolist()) == {0, 255}
    np.testing.assert_array_equal(pixels == 255, MASK)


def test_encode_accepts_zero_one_integers() -> None:
    np.testing.assert_array_equal(decode_mask(encode_mask_png(MASK.astype(np.uint8))), MASK)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((2, 3, 4), dtype=bool), "2-D"),
        (np.zeros((0, 5), dtype=bool), "non-empty"),
        (WHITE_ON_BLACK, "boolean"),
        (np.full((3, 3), 0.5), "boolean"),
    ],
)
def test_encode_rejects_non_masks(array: np.ndarray[Any, Any], message: str) -> None:
    with pytest.raises(MaskError, match=message):
        encode_mask_png(array)


def test_write_mask_png_is_atomic_and_decodable(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "obj_1.png"
    assert write_mask_png(target, MASK) == target
    np.testing.assert_array_equal(decode_mask(target), MASK)
    assert [p.name for p in target.parent.iterdir()] == ["obj_1.png"]  # no temp files left
    write_mask_png(target, ~MASK)  # overwrite in place
    np.testing.assert_array_equal(decode_mask(target), ~MASK)
