"""Compact mask sequences: one object's masks through a video, a few kilobytes per frame.

A ``(T, H, W)`` bool stack costs ``H × W`` bytes per frame (0.9 MB at 720p), so holding every
object's stack makes memory grow with the length of the video.
[`MaskSequence`][sam2_autotrack.masks.MaskSequence] keeps each frame bit-packed and zlib-compressed
instead (typically 2–10 KB for an object's mask at 720p, about 0.5 ms to pack or unpack), so a
tracker can append frame by frame and a reader can fetch any frame, iterate, or — for short clips —
ask for the whole stack.

It is append-only while it is being filled and read-only afterwards by convention; every read
returns a fresh array, so callers may modify what they get.

The compressed frames live in memory, or — for a sequence read from a run folder's mask index
([`open_mask_file`][sam2_autotrack.masks.open_mask_file]) — in a file, read frame by frame on
demand, so loading a run costs a few bytes per frame whatever its length.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks._blobs import Blobs, FileBlobs, MemoryBlobs
from sam2_autotrack.masks.validate import as_mask, as_mask_stack

__all__ = ["FrameStack", "MaskSequence"]

_LEVEL = 1  # zlib level: masks are mostly long runs; level 1 is ~5x faster than 6, barely larger


class FrameStack(Sequence[NDArray[np.bool_]]):
    """A ``(T, H, W)`` bool stack read one ``(H, W)`` frame at a time.

    The common face of [`MaskSequence`][sam2_autotrack.masks.MaskSequence] and
    [`UnionSequence`][sam2_autotrack.masks.UnionSequence]: subclasses give ``len``, ``shape`` and
    ``view[t]`` (a fresh array per read); iteration, ``np.asarray(view)`` and `to_array` come from
    here.
    """

    __slots__ = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(T, H, W)`` of the stack this view stands for."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[NDArray[np.bool_]]:
        for index in range(len(self)):
            yield self[index]

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        array = self.to_array()
        return array if dtype is None else array.astype(dtype)

    def to_array(self) -> NDArray[np.bool_]:
        """Return the whole ``(T, H, W)`` bool stack (for short clips; it costs ``T·H·W`` bytes).

        Returns
        -------
        numpy.ndarray
            ``(T, H, W)`` bool, a new array.
        """
        out = np.zeros(self.shape, dtype=bool)
        for t in range(len(self)):
            out[t] = self[t]
        return out


class MaskSequence(FrameStack):
    """One object's ``(H, W)`` bool masks, frame after frame, stored compressed.

    Parameters
    ----------
    resolution_wh
        ``(width, height)`` of every mask.
    frames
        Masks to start with: an ``(T, H, W)`` array or an iterable of ``(H, W)`` masks.

    Examples
    --------
    >>> seq = MaskSequence((4, 3))
    >>> m = np.zeros((3, 4), bool); m[1, 1:3] = True
    >>> seq.append(m); seq.append(~m)
    >>> len(seq), seq.shape, seq.areas.tolist()
    (2, (2, 3, 4), [2, 10])
    >>> bool((seq[0] == m).all()), seq.to_array().dtype
    (True, dtype('bool'))
    """

    __slots__ = ("_areas", "_blobs", "_height", "_width")

    def __init__(
        self,
        resolution_wh: tuple[int, int],
        frames: NDArray[np.bool_] | Iterable[NDArray[np.bool_]] | None = None,
    ) -> None:
        width, height = (int(resolution_wh[0]), int(resolution_wh[1]))
        if width < 1 or height < 1:
            raise MaskError(f"resolution_wh must be positive (width, height); got {resolution_wh}")
        self._width = width
        self._height = height
        self._blobs: Blobs = MemoryBlobs()
        self._areas = array("q")
        if frames is not None:
            self.extend(frames)

    @classmethod
    def _over(
        cls, resolution_wh: tuple[int, int], blobs: Blobs, areas: Iterable[int]
    ) -> MaskSequence:
        """Return a sequence over already compressed frames (used by ``masks.store_file``)."""
        sequence = cls(resolution_wh)
        sequence._blobs = blobs
        if isinstance(areas, np.ndarray):
            sequence._areas = array("q", np.ascontiguousarray(areas, dtype=np.int64).tobytes())
        else:
            sequence._areas = array("q", areas)
        if len(sequence._areas) != len(blobs):
            raise MaskError(f"{len(blobs)} frames but {len(sequence._areas)} areas")
        return sequence

    def _blob(self, index: int) -> bytes:
        """Return the stored (packed, zlib-compressed) bytes of frame ``index``."""
        return self._blobs.get(index)

    @classmethod
    def from_array(cls, masks: Any, *, name: str = "masks") -> MaskSequence:
        """Build a sequence from a ``(T, H, W)`` stack (checked like every mask stack).

        Parameters
        ----------
        masks
            ``(T, H, W)`` masks (non-bool values are tested for non-zero); not modified.
        name
            How the argument is called in error messages.

        Returns
        -------
        MaskSequence
            A new in-memory sequence holding the ``T`` frames, compressed.

        Raises
        ------
        MaskError
            ``masks`` is not a 3-D stack.

        Examples
        --------
        >>> MaskSequence.from_array(np.ones((2, 3, 4), bool)).shape
        (2, 3, 4)
        """
        stack = as_mask_stack(masks, name=name)
        return cls((stack.shape[2], stack.shape[1]), stack)

    # -- filling ----------------------------------------------------------------------------

    def append(self, mask: Any) -> None:
        """Add the next frame's ``(H, W)`` mask (copied and compressed; the input is untouched).

        Parameters
        ----------
        mask
            ``(H, W)`` mask of this sequence's size (non-bool values are tested for non-zero).

        Raises
        ------
        MaskError
            A mask of another size or not 2-D, or a sequence read from a file (read-only).
        """
        if not isinstance(self._blobs, MemoryBlobs):
            raise MaskError(
                f"this sequence reads its frames from {self._blobs.path} and cannot be appended "
                "to; copy it first: MaskSequence(seq.resolution_wh, seq)"
            )
        frame = as_mask(mask, name="mask")
        if frame.shape != (self._height, self._width):
            raise MaskError(
                f"mask is {frame.shape[1]}x{frame.shape[0]} but this sequence holds "
                f"{self._width}x{self._height} masks; every frame must have the same size"
            )
        packed = np.packbits(frame, axis=None)
        self._blobs.append(zlib.compress(packed.tobytes(), _LEVEL))
        self._areas.append(int(np.count_nonzero(frame)))

    def extend(self, masks: NDArray[np.bool_] | Iterable[NDArray[np.bool_]]) -> None:
        """Append every mask of a ``(T, H, W)`` stack or an iterable of ``(H, W)`` masks.

        Parameters
        ----------
        masks
            The masks, in frame order, each as [`append`][sam2_autotrack.masks.MaskSequence.append]
            takes it.

        Raises
        ------
        MaskError
            As ``append``; the masks before the bad one stay appended.
        """
        if isinstance(masks, np.ndarray) and masks.ndim == 3:
            masks = as_mask_stack(masks)
        for mask in masks:
            self.append(mask)

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._blobs)

    @overload
    def __getitem__(self, index: int) -> NDArray[np.bool_]: ...

    @overload
    def __getitem__(self, index: slice) -> MaskSequence: ...

    def __getitem__(self, index: int | slice) -> NDArray[np.bool_] | MaskSequence:
        """Return frame ``index`` as a new ``(H, W)`` bool array (a slice gives a sequence)."""
        if isinstance(index, slice):
            return MaskSequence._over(
                self.resolution_wh, self._blobs.take(index), self._areas[index]
            )
        size = self._height * self._width
        try:
            raw = zlib.decompress(self._blobs.get(index))
        except zlib.error as exc:
            raise MaskError(f"frame {index} of {self!r} is corrupt ({exc})") from None
        if len(raw) != (size + 7) // 8:
            raise MaskError(
                f"frame {index} of {self!r} holds {len(raw)} bytes, not the {(size + 7) // 8} of a "
                f"{self._width}x{self._height} mask; the stored masks are corrupt"
            )
        flat = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=size).astype(bool)
        return flat.reshape(self._height, self._width)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return (self._width, self._height)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(T, H, W)`` of the stack this sequence stands for."""
        return (len(self), self._height, self._width)

    @property
    def areas(self) -> NDArray[np.int64]:
        """``(T,)`` mask area in pixels per frame (known without decompressing)."""
        return np.array(self._areas, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes of the compressed frames (in memory, or in the file they are read from)."""
        return int(self._blobs.lengths.sum())

    @property
    def source(self) -> Path | None:
        """The file the frames are read from, or ``None`` when they are held in memory."""
        return self._blobs.path if isinstance(self._blobs, FileBlobs) else None

    def __repr__(self) -> str:
        return (
            f"MaskSequence(frames={len(self)}, resolution_wh={self.resolution_wh}, "
            f"nbytes={self.nbytes})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MaskSequence):
            return NotImplemented
        return (
            self.resolution_wh == other.resolution_wh
            and len(self) == len(other)
            and self._areas == other._areas
            and all(self._blob(t) == other._blob(t) for t in range(len(self)))
        )

    __hash__ = None  # type: ignore[assignment]
