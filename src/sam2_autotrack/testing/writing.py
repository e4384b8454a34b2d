"""Write synthetic clips to disk: an H.264 video through ffmpeg, and whole-folder replacement."""

from __future__ import annotations

import os
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.video.process import run_ffmpeg

__all__ = ["encode_h264", "replace_dir"]


def encode_h264(
    frames: NDArray[np.uint8], path: Path, *, fps: float, crf: int, timeout_s: float
) -> None:
    """Encode ``(T, H, W, 3)`` RGB frames to an H.264 yuv420p file, atomically."""
    _, height, width, _ = frames.shape
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path) as tmp:
        run_ffmpeg(
            [
                "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                "-r", f"{rate.numerator}/{rate.denominator}", "-i", "pipe:0",
                "-c:v", "libx264", "-preset", "fast", "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-f", "mp4", str(tmp),
            ],
            timeout=timeout_s,
            stdin=(np.ascontiguousarray(frame).tobytes() for frame in frames),
        )  # fmt: skip


def replace_dir(new: Path, final: Path) -> None:
    """Move folder ``new`` to ``final``, replacing whatever was there (never half-replaced)."""
    if final.exists():
        trash = final.with_name(f".{final.name}.old.{os.getpid()}")
        if trash.exists():
            shutil.rmtree(trash)
        os.replace(final, trash)
        os.replace(new, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(new, final)
