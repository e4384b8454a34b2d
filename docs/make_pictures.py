"""Render the notebooks' key pictures into ``docs/images/`` for the Notebooks page.

Run it from a checkout after changing the pipeline or the pictures, then commit the PNGs::

    .venv/bin/pip install -e ".[samples,viz]"
    .venv/bin/python docs/make_pictures.py

It runs ``notebooks/01_quickstart.ipynb``'s steps on the bundled real clip (*Big Buck Bunny*,
1280x720, 132 frames) with the embedded CPU engine — no token, no network — and draws each step
with ``sam2_autotrack.viz``. The pictures are scaled to at most ``WIDTH`` pixels and stored as
palette PNGs of ``COLOURS`` colours (Pillow, which the ``viz`` extra's matplotlib brings), so that
each stays under 200 KB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sam2_autotrack import AutoTracker, viz
from sam2_autotrack.testing import sample_video

OUT = Path(__file__).resolve().parent / "images"
WIDTH = 720
COLOURS = 128
LIMIT_BYTES = 200_000


def small(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Scale ``image`` to at most ``WIDTH`` pixels wide (area averaging, no ringing)."""
    height, width = image.shape[:2]
    if width <= WIDTH:
        return image
    size = (WIDTH, round(height * WIDTH / width))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def save(figure: viz.Figure, name: str) -> Path:
    """Write ``figure`` as ``OUT/name``, a small palette PNG; check the size limit."""
    path = OUT / name
    picture = Image.fromarray(small(figure.image)).quantize(COLOURS, dither=Image.Dither.NONE)
    picture.save(path, optimize=True)
    size = path.stat().st_size
    print(f"{path.relative_to(OUT.parent)}: {size // 1000} KB, {figure.resolution_wh} shown")
    if size > LIMIT_BYTES:
        sys.exit(f"{name} is {size} bytes, over {LIMIT_BYTES}; lower WIDTH or COLOURS")
    return path


def main() -> None:
    """Run the quick-start notebook's steps and save its four pictures."""
    video = sample_video("bigbuckbunny")
    OUT.mkdir(exist_ok=True)
    with AutoTracker(backend="local") as tracker, tempfile.TemporaryDirectory() as work:
        frame0 = tracker.first_frame(video)
        proposals = tracker.propose(frame0, video=video, work_dir=Path(work))
        selection = tracker.select(proposals, image_rgb=frame0)
        save(viz.show_proposals(frame0, proposals, selection=selection), "proposals.png")
        clicks = tracker.seed(selection)
        save(viz.show_selection(frame0, selection, clicks), "selection.png")
        result = tracker.propagate(video, clicks, work_dir=Path(work))
        save(viz.filmstrip(result, n=6), "filmstrip.png")
        chart = viz.area_plot(result)
        save(chart, "area_plot.png")
        print("area_plot text:", "; ".join(chart.text) or "no jumps, no drift")


if __name__ == "__main__":
    main()
