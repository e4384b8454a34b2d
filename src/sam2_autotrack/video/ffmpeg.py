"""Find a working ffmpeg, run it with a timeout, stream frames in and out, probe a video stream.

Lookup order of :func:`find_ffmpeg`: the explicit argument, then the ``SAM2_AUTOTRACK_FFMPEG``
environment variable, then the static binary bundled with the ``imageio-ffmpeg`` package (ffmpeg 9
with libvpx-vp9, prores_ks, libx264 and alphamerge), then ``ffmpeg`` on ``PATH``. Each candidate is
run once (``-version``) to prove it works; the answer is cached per path.

Every process is started with an argument vector (never a shell), its stdout and stderr go to
temporary files (so a chatty ffmpeg can never dead-lock on a full pipe), and a watchdog kills it
when the timeout passes. Failures raise :class:`~sam2_autotrack.FFmpegError` carrying the command
and the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO

from sam2_autotrack.errors import (
    FFmpegError,
    FFmpegNotFoundError,
    NotAVideoError,
    VideoNotFoundError,
)

__all__ = [
    "FFMPEG_ENV_VAR",
    "FFmpegResult",
    "VideoStreamInfo",
    "find_ffmpeg",
    "iter_ffmpeg_output",
    "probe_video",
    "require_encoders",
    "run_ffmpeg",
]

FFMPEG_ENV_VAR = "SAM2_AUTOTRACK_FFMPEG"
"""Environment variable naming the ffmpeg executable to use."""

_FIX = (
    "install the bundled static build with `pip install imageio-ffmpeg`, or pass "
    "ffmpeg='/path/to/ffmpeg' (or set " + FFMPEG_ENV_VAR + ")"
)
_CHECK_TIMEOUT_S = 20.0
_STDERR_TAIL_LINES = 15


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


@dataclass(frozen=True)
class VideoStreamInfo:
    """The first video stream of a file, as ffmpeg decodes it.

    Parameters
    ----------
    resolution_wh
        ``(width, height)`` of the decoded frames *after* ffmpeg's automatic rotation (the
        container's display matrix), i.e. the orientation masks are drawn in.
    fps
        The stream's frame rate as an exact fraction (``30000/1001`` for 29.97).
    """

    resolution_wh: tuple[int, int]
    fps: Fraction


def _stderr_tail(text: str, lines: int = _STDERR_TAIL_LINES) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


@functools.lru_cache(maxsize=32)
def _version_of(path: str) -> str:
    """Run ``path -version``; return its first line or raise FFmpegNotFoundError (cached)."""
    try:
        proc = subprocess.run(
            [path, "-hide_banner", "-version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_CHECK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FFmpegNotFoundError(
            f"ffmpeg at {path} could not be run ({exc}); {_FIX}", command=[path, "-version"]
        ) from exc
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or "ffmpeg version" not in out:
        raise FFmpegNotFoundError(
            f"{path} does not behave like ffmpeg (`-version` exited {proc.returncode}); {_FIX}",
            command=[path, "-version"],
            stderr_tail=_stderr_tail(proc.stderr.decode("utf-8", "replace")),
        )
    return out.splitlines()[0]


def _checked(candidate: str | Path, origin: str) -> Path:
    path = Path(candidate).expanduser()
    if not path.is_file():
        found = shutil.which(str(candidate))
        if found is None:
            raise FFmpegNotFoundError(f"{origin} names {candidate}, which does not exist; {_FIX}")
        path = Path(found)
    _version_of(str(path.resolve()))
    return path.resolve()


def _bundled_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (RuntimeError, OSError):
        return None


def find_ffmpeg(explicit: str | Path | None = None) -> Path:
    """Return the path of a working ffmpeg executable.

    Parameters
    ----------
    explicit
        An ffmpeg to use (a path, or a name looked up on ``PATH``). When given, it must work:
        there is no silent fallback to another binary.

    Returns
    -------
    Path
        The resolved executable; it has answered ``-version``.

    Raises
    ------
    FFmpegNotFoundError
        No candidate exists or runs. The message says how to fix it (``pip install
        imageio-ffmpeg`` or pass ``ffmpeg=/path/to/ffmpeg``).

    Examples
    --------
    >>> exe = find_ffmpeg()
    >>> exe.is_file()
    True
    >>> find_ffmpeg(exe) == exe
    True
    """
    if explicit is not None:
        return _checked(explicit, "the ffmpeg argument")
    from_env = os.environ.get(FFMPEG_ENV_VAR, "").strip()
    if from_env:
        return _checked(from_env, f"the {FFMPEG_ENV_VAR} environment variable")
    problems: list[str] = []
    for origin, candidate in (
        ("imageio-ffmpeg", _bundled_ffmpeg()),
        ("PATH", shutil.which("ffmpeg")),
    ):
        if candidate is None:
            continue
        try:
            return _checked(candidate, origin)
        except FFmpegNotFoundError as exc:
            problems.append(str(exc))
    detail = ("; ".join(problems) + "; ") if problems else ""
    raise FFmpegNotFoundError(
        f"no working ffmpeg found ({detail}none bundled, none on PATH); {_FIX}"
    )


@functools.lru_cache(maxsize=32)
def _encoders_of(path: str) -> frozenset[str]:
    proc = subprocess.run(
        [path, "-hide_banner", "-encoders"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=_CHECK_TIMEOUT_S,
        check=False,
    )
    names: set[str] = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split()
        # Encoder lines look like " V....D libx264   libx264 H.264 ..." (6 capability flags).
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return frozenset(names)


def require_encoders(ffmpeg: str | Path | None, encoders: Sequence[str]) -> Path:
    """Check that an ffmpeg has every named encoder; return its path.

    Parameters
    ----------
    ffmpeg
        The executable, or ``None`` to use :func:`find_ffmpeg`'s choice.
    encoders
        Encoder names as ``ffmpeg -encoders`` lists them (``"libvpx-vp9"``, ``"prores_ks"``,
        ``"libx264"``).

    Returns
    -------
    Path
        The checked executable.

    Raises
    ------
    FFmpegNotFoundError
        The ffmpeg lacks one of the encoders (the message lists which).

    Examples
    --------
    >>> require_encoders(None, ["libvpx-vp9", "prores_ks", "libx264"]).is_file()
    True
    """
    exe = find_ffmpeg(ffmpeg)
    missing = [name for name in encoders if name not in _encoders_of(str(exe))]
    if missing:
        raise FFmpegNotFoundError(
            f"ffmpeg at {exe} lacks the encoder(s) {', '.join(missing)}; use a build that has "
            f"them: {_FIX}"
        )
    return exe


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
            stderr_tail=_stderr_tail(stderr),
        )
    tail = _stderr_tail(stderr)
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
        The executable, or ``None`` for :func:`find_ffmpeg`'s choice.
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
                f"could not start {exe} ({exc}); {_FIX}", command=command
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
        The executable, or ``None`` for :func:`find_ffmpeg`'s choice.
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
                f"could not start {exe} ({exc}); {_FIX}", command=command
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
                        stderr_tail=_stderr_tail(_read_text(err_file)),
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


_SIZE_RE = re.compile(r"\bn:\s*0\b.*?\bs:(\d+)x(\d+)")
_RATE_RE = re.compile(r"config in time_base: \S+, frame_rate: (\d+)/(\d+)")


def probe_video(
    source: str | Path, *, ffmpeg: str | Path | None = None, timeout: float = 60.0
) -> VideoStreamInfo:
    """Decode the first frame of ``source`` with ffmpeg and report its size and frame rate.

    ffmpeg's automatic rotation is applied, so ``resolution_wh`` is the displayed orientation —
    the one ffmpeg hands to filters when the video is an input (no ffprobe needed).

    Parameters
    ----------
    source
        The video file.
    ffmpeg
        The executable, or ``None`` for :func:`find_ffmpeg`'s choice.
    timeout
        Seconds the probe may take.

    Returns
    -------
    VideoStreamInfo
        Size after rotation and the exact frame rate.

    Raises
    ------
    VideoNotFoundError
        ``source`` does not exist.
    NotAVideoError
        ffmpeg cannot decode a video frame from it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> clip = pathlib.Path(tempfile.mkdtemp()) / "clip.mkv"
    >>> _ = run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=33x21:rate=30000/1001",
    ...                 "-frames:v", "2", "-c:v", "ffv1", str(clip)], timeout=60)
    >>> probe_video(clip)
    VideoStreamInfo(resolution_wh=(33, 21), fps=Fraction(30000, 1001))
    """
    path = Path(source)
    if not path.is_file():
        raise VideoNotFoundError(f"video {path} does not exist; check the path", path=path)
    try:
        result = run_ffmpeg(
            [
                "-loglevel",
                "info",
                "-i",
                path,
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-vf",
                "showinfo",
                "-f",
                "null",
                "-",
            ],
            ffmpeg=ffmpeg,
            timeout=timeout,
        )
    except FFmpegNotFoundError:
        raise
    except FFmpegError as exc:
        raise NotAVideoError(
            f"ffmpeg cannot decode a video stream from {path}; pass a video file "
            f"(ffmpeg said: {exc.stderr_tail})",
            path=path,
        ) from exc
    size = _SIZE_RE.search(result.stderr)
    rate = _RATE_RE.search(result.stderr)
    if size is None or rate is None:
        raise NotAVideoError(
            f"ffmpeg decoded no video frame from {path}; pass a video with at least one frame",
            path=path,
        )
    num, den = int(rate.group(1)), int(rate.group(2))
    if num <= 0 or den <= 0:
        raise NotAVideoError(
            f"{path} reports no frame rate ({num}/{den}); re-mux it with one "
            "(ffmpeg -r FPS -i in -c copy out)",
            path=path,
        )
    return VideoStreamInfo(
        resolution_wh=(int(size.group(1)), int(size.group(2))), fps=Fraction(num, den)
    )
