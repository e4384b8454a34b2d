"""Find a working ffmpeg and check that it has the encoders a job needs.

Lookup order of [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]: the explicit argument, then the
``SAM2_AUTOTRACK_FFMPEG`` environment variable, then the static binary bundled with the
``imageio-ffmpeg`` package (ffmpeg with libvpx-vp9, prores_ks, libx264 and alphamerge), then
``ffmpeg`` on ``PATH``. Each candidate is run once (``-version``) to prove it works; the answer is
cached per path. Running ffmpeg is `sam2_autotrack.video.process`'s job.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from sam2_autotrack.errors import FFmpegNotFoundError

__all__ = [
    "FFMPEG_ENV_VAR",
    "FFMPEG_FIX_HINT",
    "find_ffmpeg",
    "require_encoders",
    "stderr_tail",
]

FFMPEG_ENV_VAR = "SAM2_AUTOTRACK_FFMPEG"
"""Environment variable naming the ffmpeg executable to use."""

FFMPEG_FIX_HINT = (
    "install the bundled static build with `pip install imageio-ffmpeg`, or pass "
    "ffmpeg='/path/to/ffmpeg' (or set " + FFMPEG_ENV_VAR + ")"
)
"""How to get a working ffmpeg; every "no ffmpeg" message ends with it."""

_CHECK_TIMEOUT_S = 20.0
_STDERR_TAIL_LINES = 15


def stderr_tail(text: str, lines: int = _STDERR_TAIL_LINES) -> str:
    r"""Return the last ``lines`` non-blank lines of ffmpeg's stderr, for error messages.

    Examples
    --------
    >>> stderr_tail("a\n\nb\nc\n", lines=2)
    'b\nc'
    """
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
            f"ffmpeg at {path} could not be run ({exc}); {FFMPEG_FIX_HINT}",
            command=[path, "-version"],
        ) from exc
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or "ffmpeg version" not in out:
        raise FFmpegNotFoundError(
            f"{path} does not behave like ffmpeg (`-version` exited {proc.returncode}); "
            + FFMPEG_FIX_HINT,
            command=[path, "-version"],
            stderr_tail=stderr_tail(proc.stderr.decode("utf-8", "replace")),
        )
    return out.splitlines()[0]


def _checked(candidate: str | Path, origin: str) -> Path:
    path = Path(candidate).expanduser()
    if not path.is_file():
        found = shutil.which(str(candidate))
        if found is None:
            raise FFmpegNotFoundError(
                f"{origin} names {candidate}, which does not exist; {FFMPEG_FIX_HINT}"
            )
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
        f"no working ffmpeg found ({detail}none bundled, none on PATH); {FFMPEG_FIX_HINT}"
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
        The executable, or ``None`` to use [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]'s
        choice.
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
            f"them: {FFMPEG_FIX_HINT}"
        )
    return exe
