"""`main()`: parse, run one sub-command, turn every outcome into an exit status and one line."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2

from sam2_autotrack.cli.commands import COMMANDS
from sam2_autotrack.cli.parser import build_parser
from sam2_autotrack.errors import AutotrackError, ConfigError

__all__ = ["main"]


def _quiet_native_logs() -> None:
    """Silence OpenCV's and FFmpeg's own log lines, unless the user set their variables.

    Lines such as ``moov atom not found`` or ``[ WARN:0@0.5] global cap.cpp`` would come before
    the command's one-line error and say less than it does.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when a capture opens
    if "OPENCV_LOG_LEVEL" not in os.environ:  # read when cv2 loads, so set it directly too
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _interrupted(out: Path | None) -> str:
    if out is None or not (out / "INCOMPLETE").is_file():
        return "sam2-autotrack: interrupted"
    return (
        f"sam2-autotrack: interrupted; {out} is incomplete (see its INCOMPLETE file) — run the "
        "same command again to resume: a Replicate prediction already created is resumed, not "
        "paid again"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sam2-autotrack``; return the exit status.

    0 success; 1 failure (one line on stderr saying why and what to do); 2 bad usage or an
    invalid option (argparse's message, or one ``ConfigError`` line); 130 interrupted (the run
    folder is marked incomplete, and the message says how to resume).

    Parameters
    ----------
    argv
        The arguments after the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status (0, 1, 2 or 130), for ``sys.exit``.
    """
    _quiet_native_logs()
    args = build_parser().parse_args(argv)
    out = getattr(args, "out", None)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(_interrupted(out), file=sys.stderr)
        return 130
    except ConfigError as exc:
        print(f"sam2-autotrack: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except AutotrackError as exc:
        print(f"sam2-autotrack: error: {_one_line(exc)}", file=sys.stderr)
        return 1
