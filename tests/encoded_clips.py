"""Small encoded clips and decoders shared by the alpha and overlay video tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.video import run_ffmpeg

FRAMES = 10


def make_clip(path: Path, *, size: str, rate: str, source: str = "testsrc=") -> Path:
    run_ffmpeg(
        ["-loglevel", "error", "-f", "lavfi", "-i", f"{source}size={size}:rate={rate}",
         "-frames:v", str(FRAMES), "-c:v", "libx264", "-pix_fmt", "yuv444p", "-crf", "10", path],
        timeout=60,
    )  # fmt: skip
    return path


def moving_masks(count: int, height: int, width: int, seed: int = 0) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    masks = np.zeros((count, height, width), dtype=bool)
    yy, xx = np.mgrid[0:height, 0:width]
    for t in range(count):
        cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
        masks[t] = (yy - cy) ** 2 / (0.3 * height) ** 2 + (xx - cx) ** 2 / (0.25 * width) ** 2 < 1
        masks[t, : height // 6, : width // 5] = True  # a corner block touching the border
    return masks


def decode_alpha(path: Path, resolution_wh: tuple[int, int]) -> NDArray[np.uint8]:
    # The libvpx decoder must be chosen before -i: ffmpeg's native VP9 decoder drops the alpha.
    decoder = ["-c:v", "libvpx-vp9"] if path.suffix == ".webm" else []
    result = run_ffmpeg(
        ["-loglevel", "error", *decoder, "-i", path, "-vf", "alphaextract",
         "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        timeout=60,
    )  # fmt: skip
    width, height = resolution_wh
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width)


def decode_rgb(path: Path, resolution_wh: tuple[int, int]) -> NDArray[np.uint8]:
    result = run_ffmpeg(
        ["-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        timeout=60,
    )
    width, height = resolution_wh
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width, 3)


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)
