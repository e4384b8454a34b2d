"""Pieces of a band across the frame (a rail, a pole) are background; thin objects are not."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from selection_masks import H, W, box

from sam2_autotrack.selection import SelectionOptions, select_objects
from sam2_autotrack.selection.spans import spans_the_frame


def rail_scene() -> tuple[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.bool_]]:
    """Return a frame with a shaded rail across it and a stick, a piece of the rail, the stick."""
    rng = np.random.default_rng(2)
    image = np.full((H, W, 3), 150, np.float32)
    image += rng.normal(0, 3, image.shape)
    shade = np.linspace(60, 100, W, dtype=np.float32)  # the rail's shading changes gradually
    image[100:112] = np.stack([shade, shade, shade + 10], axis=-1)[None]
    image[180:192, 60:180] = (60, 40, 160)  # a stick of its own, ending in the background
    piece = box(110, 100, 200, 112)  # the mask generator cut the rail here
    stick = box(60, 180, 180, 192)
    return np.clip(image, 0, 255).astype(np.uint8), piece, stick


def test_a_piece_of_a_rail_across_the_frame_is_background_and_a_stick_is_kept() -> None:
    image, piece, stick = rail_scene()
    masks = np.stack([piece, stick])
    selection = select_objects(masks, scores=np.array([0.9, 0.9]), image_rgb=image)
    assert selection.indices.tolist() == [1]
    assert selection.decisions[0].category == "background"
    assert selection.decisions[0].reason == (
        "background: a piece of a band across the frame (left to right)"
    )
    allowed = select_objects(
        masks, scores=np.array([0.9, 0.9]), image_rgb=image,
        options=SelectionOptions(reject_spans=False),
    )  # fmt: skip
    assert allowed.indices.tolist() == [0, 1]
    # without the image there is nothing to look past the ends with
    assert select_objects(masks, scores=np.array([0.9, 0.9])).indices.tolist() == [0, 1]


def test_only_thin_pieces_reaching_two_borders_count() -> None:
    lab = np.zeros((60, 80, 3), np.float32)
    lab[..., 0] = 70.0
    lab[20:40, :, 0] = 50.0  # a wide band across
    square = np.ones((20, 20), np.uint8)  # as wide as long: not a piece of a band
    assert spans_the_frame(square, (30, 20), lab) is None
    lab[:, 38:42, 0] = 30.0  # a thin dark pole in front of the band, top to bottom
    pole_piece = np.ones((10, 4), np.uint8)
    assert spans_the_frame(pole_piece, (38, 45), lab) == ("top", "bottom")
    bent = lab.copy()
    bent[:5, 38:42, 0] = 70.0  # the pole stops short of the top border
    assert spans_the_frame(pole_piece, (38, 45), bent) is None
    camouflaged = np.full((60, 80, 3), 30.0, np.float32)  # all of the pole's colour around it
    assert spans_the_frame(pole_piece, (38, 45), camouflaged) is None
