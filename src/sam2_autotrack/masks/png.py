"""Mask images in and out: decode any PNG/JPEG/WebP mask into a bool array, write lossless PNGs.

Hosted SAM 2 returns white-on-black 8-bit PNG masks at the input's size, but masks also arrive as
RGB(A), palette, 16-bit, or lossy JPEG/WebP files. [`decode_mask`][sam2_autotrack.masks.decode_mask]
reduces every one of them to ``(H, W)`` bool with a threshold at *half* the value range, so
compression noise around the edges (values of 1..30 in a JPEG) never turns into foreground.

Masks come from a server, so they are untrusted: a 100 KB PNG can declare 30000x30000 pixels and
cost gigabytes to decode (or crash the decoder). The size is read from the file's header first
(`image_size`) and anything over ``max_pixels``, or far larger than the frame it belongs to,
is refused before a single pixel is decoded.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack.errors import MaskError, MaskSizeError
from sam2_autotrack.masks.validate import as_mask

__all__ = [
    "DEFAULT_MAX_MASK_PIXELS",
    "MaskResizedWarning",
    "decode_mask",
    "encode_mask_png",
    "image_size",
    "write_mask_png",
]

DEFAULT_MAX_MASK_PIXELS = 1 << 26
"""Largest mask `decode_mask` decodes by default: 67 megapixels (an 8K frame has 33)."""
_MAX_SIDE_FACTOR = 4
"""A mask may be at most this many times the frame's width and height (then it is resized)."""
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ITU-R BT.601 luma weights, in OpenCV's BGR channel order.
_LUMA_BGR = np.array([0.114, 0.587, 0.299])


class MaskResizedWarning(UserWarning):
    """A mask had the frame's aspect ratio but not its size, and was resized (nearest-neighbour).

    Emitted by [`decode_mask`][sam2_autotrack.masks.decode_mask] when ``expected_wh`` is given. Turn
    it into an error with ``warnings.simplefilter("error", MaskResizedWarning)`` to insist on exact
    sizes.
    """


def _load_bytes(source: bytes | bytearray | memoryview | str | Path) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "mask bytes"
    text = str(source)
    if text.startswith(("http://", "https://")):
        raise MaskError(
            f"decode_mask got a URL ({text}); download it first and pass the bytes or a local path"
        )
    path = Path(source)
    if not path.is_file():
        raise MaskError(f"mask file {path} does not exist or is not a file; check the path")
    return path.read_bytes(), f"mask file {path}"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return an encoded image's ``(width, height)`` from its header, without decoding it.

    PNG sizes are read from the ``IHDR`` chunk; other formats (JPEG, WebP, ...) from Pillow's
    lazy open, which parses the header only. ``None`` when no image header is recognised.

    Examples
    --------
    >>> image_size(encode_mask_png(np.zeros((3, 5), dtype=bool)))
    (5, 3)
    >>> image_size(b"not an image") is None
    True
    """
    size = _header_size(data)
    return size if isinstance(size, tuple) else None


def _header_size(data: bytes) -> tuple[int, int] | str | None:
    """``(width, height)`` from the header; a reason when Pillow refused it for its size."""
    if data[:8] == _PNG_SIGNATURE:
        if len(data) >= 24 and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                return int(image.size[0]), int(image.size[1])
        except Image.DecompressionBombError as exc:
            return str(exc)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None


def _check_size(
    size_wh: tuple[int, int],
    what: str,
    expected_wh: tuple[int, int] | None,
    max_pixels: int,
) -> None:
    """Refuse, before decoding, a mask with too many pixels or far larger than its frame."""
    width, height = size_wh
    if width * height > max_pixels:
        raise MaskError(
            f"{what} declares {width}x{height} pixels ({width * height:,}), more than "
            f"max_pixels={max_pixels:,}: it was not decoded (a decompression bomb, or not a "
            "mask); pass a larger max_pixels= if masks this big are expected"
        )
    if expected_wh is not None and (
        width > _MAX_SIDE_FACTOR * expected_wh[0] or height > _MAX_SIDE_FACTOR * expected_wh[1]
    ):
        raise MaskSizeError(
            f"{what} declares {width}x{height} pixels, more than {_MAX_SIDE_FACTOR} times the "
            f"{expected_wh[0]}x{expected_wh[1]} frame it belongs to: it was not decoded (a "
            "decompression bomb, or a mask of another video); produce the mask from the frame "
            "at the video's own resolution",
            expected_wh=expected_wh,
            actual_wh=(width, height),
        )


def _half_range(dtype: np.dtype[Any]) -> float:
    """Half of the value range: 128 for uint8, 32768 for uint16, 0.5 for float images."""
    if np.issubdtype(dtype, np.integer):
        return float((int(np.iinfo(dtype).max) + 1) // 2)
    return 0.5


def _threshold(channel: NDArray[Any]) -> NDArray[np.bool_]:
    """Foreground where the value is at least half of the dtype's range."""
    return np.asarray(channel >= _half_range(channel.dtype), dtype=np.bool_)


def _luminance(image_bgr: NDArray[Any]) -> NDArray[np.float64]:
    weighted: NDArray[np.float64] = image_bgr[..., :3].astype(np.float64) @ _LUMA_BGR
    return weighted


def _image_to_bool(image: NDArray[Any], what: str) -> NDArray[np.bool_]:
    if image.ndim == 2:
        return _threshold(image)
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise MaskError(
            f"{what} decodes to an image of shape {image.shape}; expected a grey, RGB or RGBA "
            "image (H, W), (H, W, 3) or (H, W, 4)"
        )
    if image.shape[2] == 1:
        return _threshold(image[..., 0])
    if image.shape[2] == 4:
        alpha = image[..., 3]
        if alpha.min() != alpha.max():
            return _threshold(alpha)
    luminance = _luminance(image)
    if np.issubdtype(image.dtype, np.integer):
        # Round first so a grey pixel (v, v, v) compares exactly as the integer v would.
        luminance = np.rint(luminance)
    return np.asarray(luminance >= _half_range(image.dtype), dtype=np.bool_)


def _aspect_matches(actual_wh: tuple[int, int], expected_wh: tuple[int, int]) -> bool:
    (aw, ah), (ew, eh) = actual_wh, expected_wh
    return abs(ah * ew / aw - eh) <= 1.0 and abs(aw * eh / ah - ew) <= 1.0


def decode_mask(
    source: bytes | str | Path,
    *,
    expected_wh: tuple[int, int] | None = None,
    max_pixels: int = DEFAULT_MAX_MASK_PIXELS,
) -> NDArray[np.bool_]:
    """Decode a mask image (PNG, JPEG, WebP, ...) into an ``(H, W)`` bool array.

    The image is read unchanged (palettes expanded to their colours, 16-bit kept 16-bit) and
    reduced to one channel: grey images as they are; RGBA by alpha if alpha varies, otherwise by
    luminance; RGB and palette images by luminance (BT.601). Foreground is every pixel at or above
    half of the value range (128 for 8-bit, 32768 for 16-bit, 0.5 for float images), so JPEG/WebP
    ringing next to the edges stays background.

    Not for multi-object index images (e.g. DAVIS annotations, where each object is a palette
    index): those need their indices, not their colours.

    Parameters
    ----------
    source
        The encoded image bytes, or the path of an image file.
    expected_wh
        ``(width, height)`` of the frame the mask belongs to. A mask of another size but the same
        aspect ratio (within one pixel of rounding) is resized nearest-neighbour with a
        [`MaskResizedWarning`][sam2_autotrack.MaskResizedWarning], unless it is more than 4 times
        the frame's width or height; any other size raises
        [`MaskSizeError`][sam2_autotrack.MaskSizeError].
    max_pixels
        Largest pixel count decoded; checked on the header, before decoding.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool mask (``H, W`` from ``expected_wh`` if given).

    Raises
    ------
    MaskError
        The bytes are not a decodable image, the file does not exist, or the image declares
        more than ``max_pixels`` pixels.
    MaskSizeError
        The size differs from ``expected_wh`` and the aspect ratio differs too, or the mask is
        more than 4 times the frame's width or height.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((4, 6), dtype=bool)
    >>> mask[1:3, 2:5] = True
    >>> decoded = decode_mask(encode_mask_png(mask), expected_wh=(6, 4))
    >>> bool((decoded == mask).all())
    True
    """
    data, what = _load_bytes(source)
    if not data:
        raise MaskError(f"{what} is empty (0 bytes); pass a PNG, JPEG or WebP mask image")
    expected = None if expected_wh is None else (int(expected_wh[0]), int(expected_wh[1]))
    if expected is not None and (expected[0] <= 0 or expected[1] <= 0):
        raise MaskError(f"expected_wh must be a positive (width, height); got {expected_wh}")
    declared = _header_size(data)
    if isinstance(declared, str):
        raise MaskError(
            f"{what} declares more pixels than an image decoder should open ({declared}): it "
            "was not decoded (a decompression bomb, or not a mask)"
        )
    image = None
    if declared is not None:
        _check_size(declared, what, expected, max_pixels)
        try:
            image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error:
            image = None
    if image is None or image.size == 0:
        raise MaskError(
            f"{what} ({len(data)} bytes starting {data[:8]!r}) is not a decodable image; pass a "
            "PNG, JPEG or WebP mask (white object on black)"
        )
    mask = _image_to_bool(np.asarray(image), what)
    if expected is None:
        return mask
    actual = (int(mask.shape[1]), int(mask.shape[0]))
    if actual == expected:
        return mask
    if not _aspect_matches(actual, expected):
        raise MaskSizeError(
            f"{what} is {actual[0]}x{actual[1]} (width x height) but the frame is "
            f"{expected[0]}x{expected[1]}, a different aspect ratio; produce the mask from the "
            "frame at the video's own resolution",
            expected_wh=expected,
            actual_wh=actual,
        )
    warnings.warn(
        f"{what} is {actual[0]}x{actual[1]} but the frame is {expected[0]}x{expected[1]} (same "
        "aspect ratio); resized it nearest-neighbour. Send frames at native resolution to get "
        "pixel-exact masks.",
        MaskResizedWarning,
        stacklevel=2,
    )
    resized = cv2.resize(mask.view(np.uint8), expected, interpolation=cv2.INTER_NEAREST_EXACT)
    return np.asarray(resized, dtype=bool)


def encode_mask_png(mask: NDArray[np.generic]) -> bytes:
    r"""Encode a mask as a lossless white-on-black 8-bit greyscale PNG (255 = foreground).

    Parameters
    ----------
    mask
        ``(H, W)`` bool array (0/1 integer arrays are accepted too). Not modified.

    Returns
    -------
    bytes
        The PNG file's bytes; [`decode_mask`][sam2_autotrack.masks.decode_mask] turns them back into
        ``mask``.

    Raises
    ------
    MaskError
        ``mask`` is not 2-D, is empty, or holds values other than 0/1.

    Examples
    --------
    >>> import numpy as np
    >>> encode_mask_png(np.eye(3, dtype=bool))[:8]
    b'\x89PNG\r\n\x1a\n'
    """
    binary = as_mask(mask, strict=True)
    pixels = np.where(binary, np.uint8(255), np.uint8(0))
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV only fails here for unsupported input, excluded above
        raise MaskError(f"OpenCV could not encode a {binary.shape} mask as PNG")
    return encoded.tobytes()


def write_mask_png(path: str | Path, mask: NDArray[np.generic]) -> Path:
    """Write a mask as a white-on-black 8-bit PNG, atomically.

    Parameters
    ----------
    path
        Destination file (parent directories are created).
    mask
        ``(H, W)`` bool array (0/1 integer arrays are accepted too).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> out = write_mask_png(pathlib.Path(tempfile.mkdtemp()) / "m.png", np.eye(3, dtype=bool))
    >>> bool((decode_mask(out) == np.eye(3, dtype=bool)).all())
    True
    """
    return write_bytes_atomic(path, encode_mask_png(mask))
