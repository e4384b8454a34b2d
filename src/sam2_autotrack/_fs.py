"""Atomic file writes: nothing half-written is ever left at a final path.

Every file the library produces goes through `atomic_path` (or the byte/text/JSON shortcuts):
the content is written to a temporary sibling, flushed, then renamed over the final name. A crash or
Ctrl-C leaves either the old file or the new one, never a truncated one.

The finished file has the mode any new file gets: ``0o666`` less the process umask (``0o644`` under
the usual umask ``022``), as ``open()`` would give it. The temporary file is created with
``os.open(..., 0o666)`` so the kernel applies the umask (and any default ACL) itself; reading the
umask would mean setting it, which is not thread-safe. (``tempfile.mkstemp`` would leave every
file ``0o600``, private to its owner.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_path",
    "file_sha256",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]


@contextlib.contextmanager
def atomic_path(final: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it over ``final`` if the block succeeds.

    Parameters
    ----------
    final
        The path the finished file should have. Its parent directory is created.
    suffix
        Suffix of the temporary file (defaults to ``final``'s, so tools that infer the format from
        the extension, such as ffmpeg or OpenCV, still work).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp, mode = _create_sibling(final, final.suffix if suffix is None else suffix)
    try:
        yield tmp
        # A tool may have replaced the temporary file (new inode, its own mode): restore the mode
        # a new file gets.
        if os.stat(tmp).st_mode & 0o7777 != mode:
            os.chmod(tmp, mode)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _create_sibling(final: Path, suffix: str) -> tuple[Path, int]:
    """Create an empty, uniquely named file beside ``final``; return it and its mode.

    ``0o666`` is asked for and the kernel takes the umask off, as for any new file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}{suffix}")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        try:
            mode = os.fstat(fd).st_mode & 0o7777
        finally:
            os.close(fd)
        return tmp, mode
    raise FileExistsError(f"could not create a temporary file beside {final}")  # pragma: no cover


def write_bytes_atomic(final: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``final`` atomically and return the final path."""
    with atomic_path(final) as tmp, tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(final)


def write_text_atomic(final: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``final`` atomically and return the final path."""
    return write_bytes_atomic(final, text.encode("utf-8"))


def write_json_atomic(final: str | Path, value: Any) -> Path:
    """Write ``value`` as indented JSON to ``final`` atomically and return the final path.

    Only real JSON is written: values that are not JSON-serialisable raise ``TypeError``
    instead of being stringified.
    """
    return write_text_atomic(final, json.dumps(value, indent=2, allow_nan=False) + "\n")


def file_sha256(path: str | Path, *, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
