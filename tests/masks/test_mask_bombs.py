"""Decompression bombs (issue 14 item 6): sizes are read from the header, big ones never decoded.

A 109 KB PNG of 30000x30000 used to cost 1.9 GB and seconds to decode, 40000x40000 crashed inside
``cv2.imdecode``, and a bomb with the frame's aspect ratio was decoded and then resized.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import MaskError, MaskSizeError
from sam2_autotrack.masks.png import (
    DEFAULT_MAX_MASK_PIXELS,
    MaskResizedWarning,
    decode_mask,
    encode_mask_png,
    image_size,
)


def png(width: int, height: int, rows: int | None = None) -> bytes:
    """Return an 8-bit grey all-zero PNG (with ``rows``: its pixel data stops after them)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = bytes(width + 1)
    count = height if rows is None else rows
    data = b"".join(packer.compress(row) for _ in range(count)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """Return a real 16x16 JPEG whose frame header (SOF0) is patched to another size."""
    ok, encoded = cv2.imencode(".jpg", np.zeros((16, 16), np.uint8))
    assert ok
    data = bytearray(encoded.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("side", [30000, 40000])
def test_a_huge_png_is_refused_from_its_header(side: int) -> None:
    bomb = png(side, side, rows=8)
    assert image_size(bomb) == (side, side)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(MaskError, match=f"declares {side}x{side} pixels"):
            decode_mask(bomb)
        with pytest.raises(MaskError, match="max_pixels"):
            decode_mask(bomb, expected_wh=(side, side))  # even for a frame that big
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 1
    assert peak < 8 << 20  # nothing was decoded


def test_a_bomb_with_the_frames_aspect_ratio_is_not_decoded_and_resized() -> None:
    bomb = png(8000, 4800)  # complete and valid: 38 megapixels of zeros in 40 KB
    assert len(bomb) < 100_000
    with pytest.raises(MaskSizeError, match="more than 4 times") as info:
        decode_mask(bomb, expected_wh=(80, 48))
    assert info.value.actual_wh == (8000, 4800)
    assert info.value.expected_wh == (80, 48)


def test_other_formats_are_measured_from_their_header_too() -> None:
    assert image_size(jpeg_declaring(12000, 12000)) == (12000, 12000)
    with pytest.raises(MaskError, match="declares 12000x12000 pixels"):
        decode_mask(jpeg_declaring(12000, 12000))
    with pytest.raises(MaskError, match="more pixels than an image decoder should open"):
        decode_mask(jpeg_declaring(30000, 30000))  # beyond what Pillow even opens


def test_the_pixel_cap_is_a_parameter() -> None:
    mask = np.eye(8, dtype=bool)
    with pytest.raises(MaskError, match="max_pixels=63"):
        decode_mask(encode_mask_png(mask), max_pixels=63)
    assert (decode_mask(encode_mask_png(mask), max_pixels=64) == mask).all()
    assert DEFAULT_MAX_MASK_PIXELS >= 7680 * 4320  # an 8K frame's mask still decodes


def test_a_larger_mask_within_four_times_the_frame_is_still_resized() -> None:
    big = np.kron(np.eye(4, dtype=bool), np.ones((32, 32), dtype=bool))[:96, :128]
    with pytest.warns(MaskResizedWarning, match="128x96"):
        decoded = decode_mask(encode_mask_png(big), expected_wh=(64, 48))
    assert decoded.shape == (48, 64)
