"""One object's masks as the evaluation reads them: frame by frame, whatever holds them.

The evaluation never needs a whole ``(T, H, W)`` stack: it scores frame after frame. So it takes,
per object, a `MaskFrames` — a ``(T, H, W)`` shape and ``frames[t]`` — made by
`as_mask_frames` from

- a ``(T, H, W)`` array (validated once, as every mask stack);
- a [`MaskSequence`][sam2_autotrack.masks.MaskSequence] or any view shaped like one (``shape``,
  ``len``, ``view[t]`` — a [`UnionSequence`][sam2_autotrack.masks.UnionSequence], a run's
  ``mask_sequence()``): read one frame at a time, nothing stacked;

and `png_frames` reads a folder's images one at a time; `picked_frames` keeps some
frames of another source (ground truth of every frame scored on a run's mask frames).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError, MaskSizeError
from sam2_autotrack.masks.validate import as_mask, as_mask_stack

__all__ = ["MaskFrames", "MaskSource", "as_mask_frames", "picked_frames", "png_frames"]


class MaskFrames(Protocol):
    """A ``(T, H, W)`` bool mask sequence read one ``(H, W)`` frame at a time."""

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(T, H, W)``."""
        ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> NDArray[np.bool_]:
        """Frame ``index`` as ``(H, W)`` bool."""
        ...


MaskSource = NDArray[Any] | MaskFrames
"""What the evaluation takes per object: a ``(T, H, W)`` array, or frames read one at a time."""


class _LazyFrames:
    """Frames of a view (a MaskSequence, ...), each checked as a mask when read."""

    def __init__(self, source: Any, shape: tuple[int, int, int], name: str) -> None:
        self._source = source
        self.shape = shape
        self._name = name

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: int) -> NDArray[np.bool_]:
        frame = as_mask(self._source[index], name=f"{self._name}[{index}]")
        if frame.shape != self.shape[1:]:
            raise EvaluationError(
                f"{self._name}[{index}] has shape {frame.shape} but the sequence is "
                f"{self.shape}; every frame of a sequence must have the same size"
            )
        return frame


def as_mask_frames(value: Any, *, name: str) -> MaskFrames:
    """Return ``value`` as frames read one at a time (an array is checked as a whole here).

    Raises
    ------
    EvaluationError
        ``value`` is not a ``(T, H, W)`` mask sequence.

    Examples
    --------
    >>> from sam2_autotrack.masks import MaskSequence
    >>> frames = as_mask_frames(MaskSequence.from_array(np.ones((2, 3, 4), bool)), name="a")
    >>> frames.shape, frames[1].dtype
    ((2, 3, 4), dtype('bool'))
    """
    shape = getattr(value, "shape", None)
    if not isinstance(value, np.ndarray) and isinstance(shape, tuple) and len(shape) == 3:
        return _LazyFrames(value, (int(shape[0]), int(shape[1]), int(shape[2])), name)
    try:
        stack: NDArray[np.bool_] = as_mask_stack(value, name=name)
    except MaskError as exc:
        raise EvaluationError(f"{exc} (a (T, H, W) mask sequence per object)") from exc
    return stack


class _Picked:
    def __init__(self, source: MaskFrames, indices: Sequence[int]) -> None:
        self._source = source
        self._indices = [int(i) for i in indices]
        self.shape = (len(self._indices), *source.shape[1:])

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, index: int) -> NDArray[np.bool_]:
        return self._source[self._indices[index]]


def picked_frames(source: MaskFrames, indices: Sequence[int]) -> MaskFrames:
    """Return frames ``indices`` of ``source`` (read when asked for, never copied).

    Examples
    --------
    >>> stack = np.arange(4)[:, None, None] == np.arange(4)[None, None, :]
    >>> picked = picked_frames(stack, [1, 3])
    >>> picked.shape, int(np.argmax(picked[1][0]))
    ((2, 1, 4), 3)
    """
    return _Picked(source, indices)


class _PngFrames:
    def __init__(self, files: Sequence[Path]) -> None:
        self._files = list(files)
        first = _read_image(self._files[0])
        self._first_hw = first.shape
        self.shape = (len(self._files), int(first.shape[0]), int(first.shape[1]))

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, index: int) -> NDArray[np.bool_]:
        file = self._files[index]
        image = _read_image(file)
        if image.shape != self._first_hw:
            h0, w0 = self._first_hw
            raise MaskSizeError(
                f"mask {file} is {image.shape[1]}x{image.shape[0]} but {self._files[0].name} is "
                f"{w0}x{h0}; every frame of an object must have the same size",
                expected_wh=(w0, h0),
                actual_wh=(int(image.shape[1]), int(image.shape[0])),
            )
        mask: NDArray[np.bool_] = image > 127
        return mask


def _read_image(file: Path) -> NDArray[np.uint8]:
    image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise MaskError(f"cannot decode mask image {file}; re-export it as an 8-bit PNG")
    return np.asarray(image, dtype=np.uint8)


def png_frames(files: Sequence[Path]) -> MaskFrames:
    """Return image files (one per frame) as mask frames, decoded one at a time when read.

    A pixel is foreground when its grey value is above 127. The first file is decoded now (for
    the size); a later file of another size raises [`MaskSizeError`][sam2_autotrack.MaskSizeError]
    when it is read.

    Raises
    ------
    MaskError
        The first image cannot be decoded (later ones raise when they are read).
    """
    if not files:
        raise EvaluationError("no mask images given; pass at least one frame")
    return _PngFrames(files)
