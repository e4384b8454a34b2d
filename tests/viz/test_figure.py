"""Tests of sam2_autotrack.viz.figure: the picture object, PNG and atomic saving."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.errors import ExportError, MaskError
from sam2_autotrack.viz import Figure

H, W = 120, 160


def _image(seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, size=(H, W, 3), dtype=np.uint8)


def _decode(png: bytes) -> NDArray[np.uint8]:
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def test_figure_png_round_trips_and_saves_atomically(tmp_path: Path) -> None:
    image = _image(3)
    figure = Figure(image, title="noise")
    assert np.array_equal(_decode(figure._repr_png_()), image)
    saved = figure.save(tmp_path / "sub" / "noise.png")
    assert np.array_equal(_decode(saved.read_bytes()), image)
    figure.save(tmp_path / "noise.jpg")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["noise.jpg", "noise.png"]
    with pytest.raises(ExportError, match=r"\.png"):
        figure.save(tmp_path / "noise.gif")


def test_figure_copies_and_validates_its_image() -> None:
    image = _image()
    figure = Figure(image)
    image[:] = 0
    assert figure.image.any()
    with pytest.raises(MaskError, match=r"\(H, W, 3\)"):
        Figure(np.zeros((4, 4), np.uint8))


def test_figure_repr_and_size() -> None:
    figure = Figure(np.zeros((30, 50, 3), np.uint8), title="empty", text=["a", "b"])
    assert repr(figure) == "Figure('empty', 50x30)"
    assert figure.resolution_wh == (50, 30)
    assert figure.text == ("a", "b")
