r"""The mask index file (``.msq``): one `MaskSequence` on disk, read lazily, frame by frame.

A run folder keeps its masks twice: as PNGs (the format users open) and, beside them, as one
``.msq`` file per object holding exactly the sequence's compressed frames, so that loading a run
reads a few bytes per frame instead of decoding every PNG, and reading a frame later costs one
small read plus the decompression (about 0.5 ms at 720p).

Layout (all integers little-endian):

| bytes | content |
| --- | --- |
| 0–7 | magic ``b"\x89MSQ\r\n\x1a\n"`` |
| 8–11 | format version (``1``), u32 |
| 12–15, 16–19 | width, height, u32 |
| 20–23 | CRC-32 of the index table, u32 |
| 24–31 | frame count ``T``, u64 |
| 32–39 | byte offset of the index table, u64 |
| 40 … | the frames, back to back, each compressed with zlib (see below) |
| index | ``T`` entries of three u64: the frame's byte offset, length, mask area in pixels |

A frame is the mask's pixels packed row-major, 8 a byte, the first in the high bit
(``numpy.packbits``), then zlib-compressed. The index ends the file.

[`write_mask_file`][sam2_autotrack.masks.write_mask_file] writes it atomically from a sequence
(without recompressing anything); [`open_mask_file`][sam2_autotrack.masks.open_mask_file] checks the
header, the size and the index checksum and returns a
[`MaskSequence`][sam2_autotrack.masks.MaskSequence] that reads its frames from the file on demand.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks._blobs import FileBlobs, file_identity
from sam2_autotrack.masks.store import MaskSequence

__all__ = ["MASK_FILE_SUFFIX", "open_mask_file", "write_mask_file"]

MASK_FILE_SUFFIX = ".msq"
"""File name suffix of a mask index file."""
_MAGIC = b"\x89MSQ\r\n\x1a\n"
_VERSION = 1
_HEADER = struct.Struct("<8sIIIIQQ")
_ENTRY = np.dtype([("offset", "<u8"), ("length", "<u8"), ("area", "<u8")])


def write_mask_file(path: str | Path, sequence: MaskSequence) -> Path:
    """Write ``sequence`` to ``path`` as a mask index file, atomically; return the path.

    The frames are copied as they are stored (already compressed): writing costs about the
    file's size in I/O and holds one frame at a time.

    Parameters
    ----------
    path
        Where to write (its folder is created; an existing file is replaced).
    sequence
        The masks to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> seq = MaskSequence.from_array(np.eye(4, dtype=bool)[None].repeat(3, axis=0))
    >>> path = write_mask_file(pathlib.Path(tempfile.mkdtemp()) / "obj_1.msq", seq)
    >>> loaded = open_mask_file(path)
    >>> loaded == seq, loaded.source == path, loaded.areas.tolist()
    (True, True, [4, 4, 4])
    """
    final = Path(path)
    count = len(sequence)
    index = np.zeros(count, dtype=_ENTRY)
    index["area"] = sequence.areas
    width, height = sequence.resolution_wh
    with atomic_path(final) as tmp, tmp.open("wb") as handle:
        handle.write(b"\0" * _HEADER.size)
        offset = _HEADER.size
        for t in range(count):
            blob = sequence._blob(t)
            handle.write(blob)
            index[t]["offset"] = offset
            index[t]["length"] = len(blob)
            offset += len(blob)
        table = index.tobytes()
        handle.write(table)
        handle.seek(0)
        crc = zlib.crc32(table) & 0xFFFFFFFF
        handle.write(_HEADER.pack(_MAGIC, _VERSION, width, height, crc, count, offset))
        handle.flush()
        os.fsync(handle.fileno())
    return final


def open_mask_file(path: str | Path) -> MaskSequence:
    """Open a mask index file as a `MaskSequence` that reads its frames on demand.

    Only the header and the index (24 bytes per frame) are read now; each frame is read from the
    file when it is asked for. The sequence is read-only.

    Parameters
    ----------
    path
        A file written by [`write_mask_file`][sam2_autotrack.masks.write_mask_file] (``.msq``).

    Returns
    -------
    MaskSequence
        A read-only sequence whose ``source`` is ``path``.

    Raises
    ------
    MaskError
        The file is missing, is not a mask index file, or is truncated or corrupt (the message
        says which); a frame read later from a file replaced since raises too.
    """
    file = Path(path)
    try:
        with file.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            header = handle.read(_HEADER.size)
            width, height, crc, count, table_at = _check_header(file, header)
            table_size = count * _ENTRY.itemsize
            if table_at + table_size != stat.st_size or table_at < _HEADER.size:
                raise MaskError(
                    f"{file} is truncated or damaged ({stat.st_size} bytes; its header expects "
                    f"{table_at + table_size}); delete it to read the PNG masks instead"
                )
            handle.seek(table_at)
            table = handle.read(table_size)
    except OSError as exc:
        raise MaskError(f"cannot read the mask index {file}: {exc.strerror}") from None
    if zlib.crc32(table) & 0xFFFFFFFF != crc:
        raise MaskError(f"the index of {file} is corrupt (checksum mismatch); delete the file")
    index = np.frombuffer(table, dtype=_ENTRY)
    offsets = index["offset"].astype(np.int64)
    lengths = index["length"].astype(np.int64)
    areas = index["area"].astype(np.int64)
    if count and (
        offsets.min() < _HEADER.size
        or int((offsets + lengths).max()) > table_at
        or int(areas.max()) > width * height
    ):
        raise MaskError(f"the index of {file} points outside its frames; delete the file")
    blobs = FileBlobs(file, file_identity(stat), offsets, lengths)
    return MaskSequence._over((width, height), blobs, areas)


def _check_header(file: Path, header: bytes) -> tuple[int, int, int, int, int]:
    if len(header) < _HEADER.size or not header.startswith(_MAGIC):
        raise MaskError(f"{file} is not a mask index file (.msq); delete it or pass another file")
    _, version, width, height, crc, count, table_at = _HEADER.unpack(header)
    if version != _VERSION:
        raise MaskError(
            f"{file} is a version {version} mask index; this sam2_autotrack reads version "
            f"{_VERSION} (delete the file to read the PNG masks instead)"
        )
    if width < 1 or height < 1:
        raise MaskError(f"{file} declares a {width}x{height} mask; the file is corrupt")
    return width, height, crc, count, table_at
