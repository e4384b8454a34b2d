"""Mask exports: per-object PNG sequences, DAVIS-style palette PNGs, COCO JSON with compressed RLE.

File names use the *source* frame index (``frame_00030.png`` is source frame 30), so masks exported
every k-th frame line up with the video. Every file is written atomically.

The RLE codec is pycocotools-compatible: the mask is scanned column by column (Fortran order), the
run lengths start with a (possibly empty) run of zeros, and ``counts`` is the compact string form
(runs after the second stored as differences to the run two before, written 5 bits per character
with a continuation bit, offset by 48).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sam2_autotrack._fs import atomic_path, write_bytes_atomic, write_json_atomic
from sam2_autotrack.errors import ExportError, MaskError, MaskSizeError
from sam2_autotrack.export.palette import davis_palette
from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    feather_alpha,
    hold_indices,
)
from sam2_autotrack.masks.validate import checked_mask_stacks

__all__ = [
    "davis_palette",
    "decode_rle",
    "encode_rle",
    "write_coco_json",
    "write_mask_sequences",
    "write_palette_pngs",
]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _checked_masks(masks: Mapping[str, Any], frame_indices: Any) -> dict[str, NDArray[np.bool_]]:
    stacks = checked_mask_stacks(masks)
    shape = next(iter(stacks.values())).shape
    indices = np.asarray(frame_indices)
    if indices.shape != (shape[0],):
        raise MaskError(
            f"frame_indices must have shape ({shape[0]},), one index per mask frame; "
            f"got {indices.shape}"
        )
    if indices.size:
        hold_indices(indices, int(indices[-1]) + 1)  # validates order and sign
    return stacks


def _safe_folder(object_id: str) -> str:
    if not _SAFE_NAME.match(object_id) or object_id in {".", ".."}:
        raise ExportError(
            f"object id {object_id!r} cannot be used as a folder name; use ids made of letters, "
            "digits, '.', '_' and '-' (starting with a letter or digit)"
        )
    return object_id


def _png_bytes(image: NDArray[np.uint8]) -> bytes:
    ok, encoded = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ExportError("OpenCV could not encode a PNG; check the mask array is (H, W) uint8")
    return encoded.tobytes()


def write_mask_sequences(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_dir: str | Path,
    hold_to: int | None = None,
    cleanup: MaskCleanup | None = None,
) -> dict[str, list[Path]]:
    """Write one folder of white-on-black 8-bit PNG masks per object.

    Files are ``out_dir/<object_id>/frame_{i:05d}.png`` with ``i`` the source frame index, 255
    where the object is and 0 elsewhere (intermediate values only with ``cleanup.feather_px``).

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool}``, all the same shape. Ids must be safe folder names.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_dir
        Folder to write into (created).
    hold_to
        A source frame count: write a PNG for *every* frame ``0 .. hold_to - 1``, each mask held
        until the next mask frame (frames before the first mask are empty). ``None`` writes only
        the mask frames.
    cleanup
        Hole filling, speck removal and edge feathering (default: none).

    Returns
    -------
    dict of str to list of Path
        The files written per object, in frame order.

    Examples
    --------
    >>> import tempfile
    >>> masks = {"car": np.ones((2, 4, 6), dtype=bool)}
    >>> files = write_mask_sequences(masks, frame_indices=[0, 5], out_dir=tempfile.mkdtemp())
    >>> [p.name for p in files["car"]]
    ['frame_00000.png', 'frame_00005.png']
    """
    stacks = _checked_masks(masks, frame_indices)
    options = cleanup if cleanup is not None else MaskCleanup()
    indices = np.asarray(frame_indices, dtype=np.int64)
    if hold_to is None:
        frames = indices
        positions = np.arange(indices.size)
    else:
        frames = np.arange(hold_to, dtype=np.int64)
        positions = hold_indices(indices, hold_to)
    root = Path(out_dir)
    written: dict[str, list[Path]] = {}
    for object_id, stack in stacks.items():
        folder = root / _safe_folder(object_id)
        cleaned = options.apply(stack)
        files: list[Path] = []
        cache: dict[int, bytes] = {}
        for frame, position in zip(frames.tolist(), positions.tolist(), strict=True):
            if position not in cache:
                cache.clear()
                alpha = (
                    np.zeros(stack.shape[1:], dtype=np.uint8)
                    if position < 0
                    else feather_alpha(cleaned[position], radius_px=options.feather_px)
                )
                cache[position] = _png_bytes(alpha)
            files.append(write_bytes_atomic(folder / f"frame_{frame:05d}.png", cache[position]))
        written[object_id] = files
    return written


def _label_image(stacks: Mapping[str, NDArray[np.bool_]], t: int) -> NDArray[np.uint8]:
    first = next(iter(stacks.values()))
    labels = np.zeros(first.shape[1:], dtype=np.uint8)
    for label, stack in enumerate(stacks.values(), start=1):
        labels[stack[t]] = label  # later objects are drawn over earlier ones
    return labels


def write_palette_pngs(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_dir: str | Path,
    cleanup: MaskCleanup | None = None,
) -> list[Path]:
    """Write one indexed (palette) PNG per mask frame, DAVIS style.

    Pixel value 0 is background and ``k`` (1-based) is the k-th object of ``masks`` in order; where
    objects overlap the later one wins. The PNG carries the DAVIS palette, so viewers show colours
    while evaluation tools read the indices. Files are ``out_dir/frame_{i:05d}.png``.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool}``, at most 255 objects, all the same shape.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_dir
        Folder to write into (created).
    cleanup
        Hole filling and speck removal (feathering does not apply to index masks).

    Returns
    -------
    list of Path
        The files written, in frame order.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> a = np.zeros((1, 2, 3), dtype=bool); a[0, 0, 0] = True
    >>> out_dir = tempfile.mkdtemp()
    >>> [path] = write_palette_pngs({"a": a, "b": ~a}, frame_indices=[0], out_dir=out_dir)
    >>> with Image.open(path) as image:
    ...     image.mode, np.asarray(image).tolist()
    ('P', [[1, 2, 2], [2, 2, 2]])
    """
    stacks = _checked_masks(masks, frame_indices)
    if len(stacks) > 255:
        raise ExportError(
            f"palette PNGs hold at most 255 objects; got {len(stacks)} — use "
            "write_mask_sequences or write_coco_json instead"
        )
    options = cleanup if cleanup is not None else MaskCleanup()
    cleaned = {oid: options.apply(stack) for oid, stack in stacks.items()}
    palette = davis_palette().tobytes()
    root = Path(out_dir)
    written: list[Path] = []
    for t, frame in enumerate(np.asarray(frame_indices, dtype=np.int64).tolist()):
        labels = _label_image(cleaned, t)
        image = Image.frombytes("P", (labels.shape[1], labels.shape[0]), labels.tobytes())
        image.putpalette(palette)
        final = root / f"frame_{frame:05d}.png"
        with atomic_path(final) as tmp:
            image.save(tmp, format="PNG", optimize=False)
        written.append(final)
    return written


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


def _bbox_xywh(mask: NDArray[np.bool_]) -> list[float]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    x0, x1, y0, y1 = int(cols[0]), int(cols[-1]), int(rows[0]), int(rows[-1])
    return [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]


def write_coco_json(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_path: str | Path,
    video_name: str,
    resolution_wh: tuple[int, int],
    cleanup: MaskCleanup | None = None,
) -> Path:
    """Write COCO-style JSON: one image per mask frame, one RLE annotation per object per frame.

    Layout: ``videos`` (one entry), ``images`` (``id``, ``frame_index``, ``file_name``, size),
    ``categories`` (a single ``"object"`` category), ``objects`` (``id`` 1..K with the object's
    ``name``) and ``annotations`` (``image_id``, ``object_id``/``track_id``, ``object_name``,
    ``frame_index``, ``segmentation`` as compressed RLE, ``area``, ``bbox`` ``[x, y, w, h]``,
    ``iscrowd`` 0). Frames where an object's mask is empty get no annotation. pycocotools'
    ``COCO`` class loads the file as is.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool}``, all the same shape.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_path
        Destination ``.json`` (written atomically).
    video_name
        Name recorded for the video (for example the file name).
    resolution_wh
        ``(width, height)`` of the video; must match the masks.
    cleanup
        Hole filling and speck removal (feathering does not apply to RLE).

    Returns
    -------
    Path
        ``out_path``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> m = np.zeros((1, 4, 5), dtype=bool); m[0, 1:3, 2:4] = True
    >>> path = write_coco_json({"cup": m}, frame_indices=[0], video_name="demo.mp4",
    ...                        resolution_wh=(5, 4),
    ...                        out_path=pathlib.Path(tempfile.mkdtemp()) / "coco.json")
    >>> ann = json.loads(path.read_text())["annotations"][0]
    >>> ann["object_name"], ann["area"], ann["bbox"]
    ('cup', 4, [2.0, 1.0, 2.0, 2.0])
    """
    stacks = _checked_masks(masks, frame_indices)
    first = next(iter(stacks.values()))
    width, height = (int(v) for v in resolution_wh)
    actual_wh = (int(first.shape[2]), int(first.shape[1]))
    if actual_wh != (width, height):
        raise MaskSizeError(
            f"masks are {actual_wh[0]}x{actual_wh[1]} but resolution_wh is {width}x{height}; "
            "pass the video's (width, height)",
            expected_wh=(width, height),
            actual_wh=actual_wh,
        )
    options = cleanup if cleanup is not None else MaskCleanup()
    frames = np.asarray(frame_indices, dtype=np.int64).tolist()
    images = [
        {
            "id": t + 1,
            "video_id": 1,
            "frame_index": frame,
            "file_name": f"frame_{frame:05d}.jpg",
            "width": width,
            "height": height,
        }
        for t, frame in enumerate(frames)
    ]
    objects = [{"id": k, "name": oid, "category_id": 1} for k, oid in enumerate(stacks, start=1)]
    annotations: list[dict[str, Any]] = []
    for k, (object_id, stack) in enumerate(stacks.items(), start=1):
        cleaned = options.apply(stack)
        for t, frame in enumerate(frames):
            mask = cleaned[t]
            area = int(mask.sum())
            if area == 0:
                continue
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": t + 1,
                    "video_id": 1,
                    "category_id": 1,
                    "object_id": k,
                    "track_id": k,
                    "object_name": object_id,
                    "frame_index": frame,
                    "segmentation": encode_rle(mask),
                    "area": area,
                    "bbox": _bbox_xywh(mask),
                    "iscrowd": 0,
                }
            )
    document = {
        "info": {"description": f"sam2_autotrack masks for {video_name}"},
        "videos": [
            {"id": 1, "name": video_name, "width": width, "height": height, "frames": frames}
        ],
        "images": images,
        "categories": [{"id": 1, "name": "object", "supercategory": "object"}],
        "objects": objects,
        "annotations": annotations,
    }
    return write_json_atomic(out_path, document)
