"""Progress reporting on stderr: a bar on a terminal, sparse lines in logs and CI."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

__all__ = ["StderrProgress", "note"]


def note(message: str, *, stream: TextIO | None = None) -> None:
    """Print one ``sam2-autotrack: ...`` line on stderr (or ``stream``)."""
    out = stream if stream is not None else sys.stderr
    print(f"sam2-autotrack: {message}", file=out, flush=True)


class StderrProgress:
    """A [`ProgressCallback`][sam2_autotrack.ProgressCallback] that draws a progress bar on stderr.

    On a terminal the bar is redrawn in place; otherwise (pipes, CI logs) a line is printed at most
    every ``interval`` seconds and when a stage completes, so logs stay short.

    Parameters
    ----------
    stream
        Where to write (default ``sys.stderr``).
    width
        Bar width in characters.
    interval
        Minimum seconds between lines when not on a terminal.
    prefix
        Text put before every line (e.g. the video's name in batch runs).

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> bar = StderrProgress(stream=buf, interval=0)
    >>> bar("track", 5, 10)
    >>> bar("track", 10, 10)
    >>> "10/10" in buf.getvalue()
    True
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        width: int = 28,
        interval: float = 2.0,
        prefix: str = "",
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._interval = interval
        self._prefix = prefix
        self._lock = threading.Lock()
        self._last_print: float | None = None
        self._started: dict[str, float] = {}
        isatty = getattr(self._stream, "isatty", None)
        self._tty = bool(isatty()) if callable(isatty) else False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Report that ``done`` of ``total`` units of ``stage`` are finished."""
        with self._lock:
            now = time.monotonic()
            started = self._started.setdefault(stage, now)
            finished = total is not None and done >= total
            if (
                not self._tty
                and not finished
                and self._last_print is not None
                and now - self._last_print < self._interval
            ):
                return
            self._last_print = now
            elapsed = now - started
            if total:
                fraction = min(max(done / total, 0.0), 1.0)
                filled = round(fraction * self._width)
                bar = "█" * filled + "░" * (self._width - filled)
                rate = done / elapsed if elapsed > 0 else 0.0
                text = (
                    f"{self._prefix}{stage:>9} ▕{bar}▏ {done}/{total} "
                    f"{fraction:4.0%} {rate:5.1f}/s {elapsed:5.1f}s"
                )
            else:
                text = f"{self._prefix}{stage:>9} {done} {elapsed:5.1f}s"
            if self._tty:
                end = "\n" if finished else ""
                self._stream.write("\r\x1b[2K" + text + end)
            else:
                self._stream.write(text + "\n")
            self._stream.flush()
