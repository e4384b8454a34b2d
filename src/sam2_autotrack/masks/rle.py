"""COCO run-length encoding of masks (pycocotools-compatible), both ways.

The mask is scanned column by column (Fortran order), the run lengths start with a (possibly
empty) run of zeros, and ``counts`` is the compact string form: runs after the second stored as
differences to the run two before, written 5 bits per character with a continuation bit, offset
by 48. [`decode_rle`][sam2_autotrack.masks.decode_rle] also reads the uncompressed form (``counts``
as a list of ints).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError

__all__ = ["decode_rle", "encode_rle"]


def encode_rle(mask: Any) -> dict[str, Any]:
    """Encode one ``(H, W)`` mask as pycocotools-compatible compressed RLE.

    Parameters
    ----------
    mask
        ``(H, W)`` bool mask (non-zero counts as foreground); not modified.

    Returns
    -------
    dict
        ``{"size": [H, W], "counts": str}``, the same as ``pycocotools.mask.encode`` gives (with
        ``counts`` as ``str`` instead of ``bytes``, as COCO JSON stores it).

    Raises
    ------
    MaskError
        ``mask`` is not 2-D.

    Examples
    --------
    >>> m = np.zeros((3, 3), dtype=bool); m[1, 1] = True
    >>> encode_rle(m)
    {'size': [3, 3], 'counts': '414'}
    >>> bool((decode_rle(encode_rle(m)) == m).all())
    True
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(f"encode_rle needs one (H, W) mask; got shape {array.shape}")
    height, width = array.shape
    flat = (array != 0).ravel(order="F")
    counts = _run_lengths(flat)
    return {"size": [int(height), int(width)], "counts": _counts_to_string(counts)}


def _run_lengths(flat: NDArray[np.bool_]) -> list[int]:
    if flat.size == 0:
        return []
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(edges).tolist()
    return [0, *runs] if flat[0] else runs


def _counts_to_string(counts: list[int]) -> str:
    chars: list[str] = []
    for i, count in enumerate(counts):
        value = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            chunk = value & 0x1F
            value >>= 5  # arithmetic shift: negative differences end at -1
            more = value != -1 if chunk & 0x10 else value != 0
            if more:
                chunk |= 0x20
            chars.append(chr(chunk + 48))
    return "".join(chars)


def _counts_from_string(text: str) -> list[int]:
    counts: list[int] = []
    position = 0
    while position < len(text):
        value = 0
        shift = 0
        more = True
        while more:
            if position >= len(text):
                raise MaskError("RLE counts string ends in the middle of a number; it is truncated")
            chunk = ord(text[position]) - 48
            if not 0 <= chunk < 64:
                raise MaskError(
                    f"RLE counts string has an invalid character {text[position]!r}; pass the "
                    "counts exactly as pycocotools wrote them"
                )
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            position += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def decode_rle(rle: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Decode COCO RLE (compressed string/bytes or uncompressed list counts) to a mask.

    Parameters
    ----------
    rle
        ``{"size": [H, W], "counts": str | bytes | list[int]}``.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool.

    Raises
    ------
    MaskError
        Malformed RLE, or run lengths that do not add up to ``H * W``.

    Examples
    --------
    >>> decode_rle({"size": [2, 2], "counts": [1, 2, 1]}).tolist()
    [[False, True], [True, False]]
    """
    try:
        height, width = (int(v) for v in rle["size"])
        raw = rle["counts"]
    except (KeyError, TypeError, ValueError) as exc:
        raise MaskError(f'RLE must be {{"size": [H, W], "counts": ...}}; got {rle!r:.80}') from exc
    if isinstance(raw, bytes):
        raw = raw.decode("ascii")
    counts = _counts_from_string(raw) if isinstance(raw, str) else [int(c) for c in raw]
    if any(c < 0 for c in counts) or sum(counts) != height * width:
        raise MaskError(
            f"RLE run lengths sum to {sum(counts)} (or are negative) but size {height}x{width} "
            f"needs {height * width}; the RLE does not belong to a mask of this size"
        )
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, counts)
    return flat.reshape((height, width), order="F")
