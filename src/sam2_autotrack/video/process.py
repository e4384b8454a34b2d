"""Run ffmpeg with a timeout, streaming bytes into it or frames out of it.

Every process is started with an argument vector (never a shell), its stdout and stderr go to
temporary files (so a chatty ffmpeg can never dead-lock on a full pipe), and a watchdog kills it
when the timeout passes. Failures raise [`FFmpegError`][sam2_autotrack.FFmpegError] carrying the
command and the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sam2_autotrack.errors import FFmpegError, FFmpegNotFoundError
from sam2_autotrack.video.ffmpeg import FFMPEG_FIX_HINT, find_ffmpeg, stderr_tail

__all__ = ["FFmpegResult", "iter_ffmpeg_output", "run_ffmpeg"]


@dataclass(frozen=True)
class FFmpegResult:
    """What a finished ffmpeg run produced.

    Parameters
    ----------
    command
        The full argument vector, executable first.
    returncode
        The exit status (always 0: failures raise instead).
    stdout
        Everything ffmpeg wrote to stdout.
    stderr
        Everything ffmpeg wrote to stderr (decoded as UTF-8, undecodable bytes replaced).
    """

    command: list[str]
    returncode: int
    stdout: bytes
    stderr: str


class _Watchdog:
    """Kill a process when a timeout passes; remember that it did."""

    def __init__(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._proc.kill()

    def cancel(self) -> None:
        self._timer.cancel()


def _check_timeout(timeout: float) -> None:
    if not timeout > 0:
        raise FFmpegError(f"timeout must be a positive number of seconds; got {timeout!r}")


def _read_text(handle: IO[bytes]) -> str:
    handle.flush()
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")


def _failure(
    command: list[str], stderr: str, *, returncode: int | None, timed_out: bool, timeout: float
) -> FFmpegError:
    shown = " ".join(command)
    if timed_out:
        return FFmpegError(
            f"ffmpeg timed out after {timeout:g} s and was killed: {shown}; raise timeout= or "
            "make the input shorter",
            command=command,
            stderr_tail=stderr_tail(stderr),
        )
    tail = stderr_tail(stderr)
    return FFmpegError(
        f"ffmpeg failed with exit status {returncode}: {shown}\n--- ffmpeg stderr (tail) ---\n"
        f"{tail}\n--- fix the input or the options named above ---",
        command=command,
        stderr_tail=tail,
    )


def run_ffmpeg(
    args: Sequence[str | Path],
    *,
    ffmpeg: str | Path | None = None,
    timeout: float,
    stdin_bytes: bytes | None = None,
    stdin: Iterable[bytes] | None = None,
) -> FFmpegResult:
    """Run ffmpeg with ``args``, optionally streaming data to its stdin; wait at most ``timeout``.

    Parameters
    ----------
    args
        Arguments after the executable (``-hide_banner`` is prepended; ``-nostdin`` too when
        nothing is fed to stdin).
    ffmpeg
        The executable, or ``None`` for [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]'s
        choice.
    timeout
        Seconds the whole run may take, stdin streaming included; then ffmpeg is killed.
    stdin_bytes
        Bytes written to ffmpeg's stdin (``-i pipe:0``).
    stdin
        An iterable of byte chunks (for example one raw frame each) streamed to stdin as ffmpeg
        consumes them, so no giant buffer is built. Mutually exclusive with ``stdin_bytes``. If
        ffmpeg stops reading early (``-frames:v``) the remaining chunks are not requested.

    Returns
    -------
    FFmpegResult
        The command, exit status, stdout bytes and stderr text.

    Raises
    ------
    FFmpegError
        ffmpeg exited non-zero or timed out; the message holds the command and stderr tail.
    FFmpegNotFoundError
        No usable ffmpeg.

    Examples
    --------
    >>> result = run_ffmpeg(
    ...     ["-f", "lavfi", "-i", "color=black:size=4x2:rate=1", "-frames:v", "1",
    ...      "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ...     timeout=60,
    ... )
    >>> result.stdout == bytes(8)
    True
    """
    _check_timeout(timeout)
    if stdin_bytes is not None and stdin is not None:
        raise FFmpegError("run_ffmpeg got both stdin_bytes and stdin; pass only one of them")
    exe = find_ffmpeg(ffmpeg)
    feeding = stdin_bytes is not None or stdin is not None
    command = [str(exe), "-hide_banner", *([] if feeding else ["-nostdin"]), *map(str, args)]
    chunks: Iterable[bytes] = [stdin_bytes] if stdin_bytes is not None else (stdin or [])
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE if feeding else subprocess.DEVNULL,
                stdout=out_file,
                stderr=err_file,
            )
        except OSError as exc:
            raise FFmpegNotFoundError(
                f"could not start {exe} ({exc}); {FFMPEG_FIX_HINT}", command=command
            ) from exc
        watchdog = _Watchdog(proc, timeout)
        try:
            if proc.stdin is not None:
                try:
                    for chunk in chunks:
                        if watchdog.fired:
                            break
                        proc.stdin.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # ffmpeg stopped reading: it finished early or failed (see its status)
                finally:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
                        proc.stdin.close()
            returncode = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            watchdog.cancel()
        stderr = _read_text(err_file)
        if watchdog.fired or returncode != 0:
            raise _failure(
                command, stderr, returncode=returncode, timed_out=watchdog.fired, timeout=timeout
            )
        out_file.seek(0)
        return FFmpegResult(command, returncode, out_file.read(), stderr)


def iter_ffmpeg_output(
    args: Sequence[str | Path],
    *,
    chunk_bytes: int,
    ffmpeg: str | Path | None = None,
    timeout: float,
) -> Generator[bytes, None, None]:
    """Run ffmpeg writing to ``pipe:1`` and yield its stdout in chunks of exactly ``chunk_bytes``.

    Use it to decode frames one at a time (``-f rawvideo -pix_fmt rgb24 pipe:1`` with
    ``chunk_bytes = width * height * 3``) without holding the video in memory. Closing the
    generator early kills ffmpeg.

    Parameters
    ----------
    args
        Arguments after the executable (``-hide_banner -nostdin`` are prepended).
    chunk_bytes
        Size of each yielded chunk; a trailing partial chunk is an error.
    ffmpeg
        The executable, or ``None`` for [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]'s
        choice.
    timeout
        Seconds the whole run may take (including the time the consumer spends between chunks).

    Yields
    ------
    bytes
        One chunk of ``chunk_bytes`` bytes.

    Raises
    ------
    FFmpegError
        ffmpeg failed, timed out, or its output was not a whole number of chunks.

    Examples
    --------
    >>> frames = iter_ffmpeg_output(
    ...     ["-f", "lavfi", "-i", "color=white:size=2x2:rate=5", "-frames:v", "3",
    ...      "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ...     chunk_bytes=4, timeout=60,
    ... )
    >>> [frame.hex() for frame in frames]
    ['ffffffff', 'ffffffff', 'ffffffff']
    """
    _check_timeout(timeout)
    if chunk_bytes <= 0:
        raise FFmpegError(f"chunk_bytes must be a positive byte count; got {chunk_bytes}")
    exe = find_ffmpeg(ffmpeg)
    command = [str(exe), "-hide_banner", "-nostdin", *map(str, args)]
    with tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file
            )
        except OSError as exc:
            raise FFmpegNotFoundError(
                f"could not start {exe} ({exc}); {FFMPEG_FIX_HINT}", command=command
            ) from exc
        watchdog = _Watchdog(proc, timeout)
        finished = False
        try:
            assert proc.stdout is not None
            while True:
                chunk = proc.stdout.read(chunk_bytes)
                if not chunk:
                    break
                if len(chunk) != chunk_bytes:
                    returncode = proc.wait()
                    if watchdog.fired or returncode != 0:
                        break
                    raise FFmpegError(
                        f"ffmpeg's output ended with a partial chunk of {len(chunk)} bytes "
                        f"(expected multiples of {chunk_bytes}): {' '.join(command)}; check the "
                        "frame size and pixel format",
                        command=command,
                        stderr_tail=stderr_tail(_read_text(err_file)),
                    )
                yield chunk
            returncode = proc.wait()
            finished = True
        finally:
            watchdog.cancel()
            if not finished:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if watchdog.fired or returncode != 0:
            raise _failure(
                command,
                _read_text(err_file),
                returncode=returncode,
                timed_out=watchdog.fired,
                timeout=timeout,
            )
