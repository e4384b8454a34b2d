"""Where a [`MaskSequence`][sam2_autotrack.masks.MaskSequence] keeps its compressed frames.

Two stores with one small interface (``len``, ``get(i)``, ``take(slice)``, ``lengths``):

- `MemoryBlobs`: a list of ``bytes`` in memory; appendable (what trackers fill).
- `FileBlobs`: byte ranges of a file, read on demand (what a run folder's index gives).
  Nothing of the file is held in memory but its offsets; each read opens the file, checks it is
  still the file that was opened (device, inode, size, modification time) and reads one range.
  A file replaced or rewritten since is refused instead of being read at stale offsets.

Private to [`sam2_autotrack.masks`][sam2_autotrack.masks].
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError

__all__ = ["Blobs", "FileBlobs", "MemoryBlobs", "file_identity"]


def file_identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    """Return what tells a file from its replacement: device, inode, size, mtime (ns)."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class MemoryBlobs:
    """Compressed frames held as ``bytes`` in a list (appendable)."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[bytes] = ()) -> None:
        self._items = list(items)

    def __len__(self) -> int:
        return len(self._items)

    def append(self, blob: bytes) -> None:
        self._items.append(blob)

    def get(self, index: int) -> bytes:
        return self._items[index]

    def take(self, index: slice) -> MemoryBlobs:
        return MemoryBlobs(self._items[index])

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.fromiter((len(b) for b in self._items), dtype=np.int64, count=len(self._items))


class FileBlobs:
    """Compressed frames stored as byte ranges of a file, read one range at a time (read-only).

    Parameters
    ----------
    path
        The file.
    identity
        `file_identity` of the file when its index was read; a read finding another
        file there raises [`MaskError`][sam2_autotrack.MaskError].
    offsets, lengths
        ``(T,)`` byte offset and length of each frame's range.
    """

    __slots__ = ("_identity", "_lengths", "_offsets", "_path")

    def __init__(
        self,
        path: Path,
        identity: tuple[int, int, int, int],
        offsets: NDArray[np.int64],
        lengths: NDArray[np.int64],
    ) -> None:
        self._path = Path(path)
        self._identity = identity
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self._lengths = np.asarray(lengths, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._offsets.shape[0])

    @property
    def path(self) -> Path:
        return self._path

    def get(self, index: int) -> bytes:
        offset, length = int(self._offsets[index]), int(self._lengths[index])
        try:
            fd = os.open(self._path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise MaskError(
                f"cannot read the masks in {self._path} ({exc.strerror}); the run folder was "
                "moved or deleted since it was loaded: load it again"
            ) from None
        try:
            if file_identity(os.fstat(fd)) != self._identity:
                raise MaskError(
                    f"{self._path} changed since it was loaded (a new run wrote into the same "
                    "folder?); load the run folder again"
                )
            if hasattr(os, "pread"):
                data = os.pread(fd, length, offset)
            else:  # pragma: no cover - Windows has no pread
                data = _seek_read(fd, offset, length)
        finally:
            os.close(fd)
        if len(data) != length:
            raise MaskError(f"{self._path} is truncated; load the run folder again")
        return data

    def take(self, index: slice) -> FileBlobs:
        return FileBlobs(self._path, self._identity, self._offsets[index], self._lengths[index])

    @property
    def lengths(self) -> NDArray[np.int64]:
        lengths: NDArray[np.int64] = self._lengths.copy()
        return lengths


def _seek_read(fd: int, offset: int, length: int) -> bytes:  # pragma: no cover - no pread (Windows)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


Blobs = MemoryBlobs | FileBlobs
"""Either store."""
