"""GrabCut cut-outs: inside a box (the box fallback) and around clicks (the click fallback)."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.backends.local.grabcut import grabcut_box, grabcut_clicks, refine_outline
from sam2_autotrack.errors import ConfigError


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.integers(20, 60, size=(90, 120, 3), dtype=np.uint8)  # noisy dark background
    yy, xx = np.mgrid[:90, :120]
    disc = (yy - 45) ** 2 + (xx - 40) ** 2 <= 18**2
    square = np.zeros((90, 120), bool)
    square[20:50, 80:110] = True
    image[disc] = (210, 60, 50)
    image[square] = (60, 200, 80)
    return image, disc, square


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / np.logical_or(a, b).sum())


def test_a_box_cuts_out_the_object_it_frames() -> None:
    image, disc, square = _scene()
    cut = grabcut_box(image, (18, 23, 63, 68))
    assert _iou(cut, disc) > 0.9
    assert not (cut & square).any()
    box = np.zeros_like(cut)
    box[23:68, 18:63] = True
    assert not (cut & ~box).any(), "never more than what lies inside the box"


def test_a_loose_box_over_two_objects_keeps_the_one_at_its_centre() -> None:
    image, disc, square = _scene()
    cut = grabcut_box(image, (15, 15, 115, 75))
    assert cut.any()
    assert _iou(cut, disc) > 0.8 or _iou(cut, square) > 0.8
    assert not (_iou(cut, disc) > 0.1 and _iou(cut, square) > 0.1), "one connected part only"


def test_a_box_over_the_whole_frame_still_runs() -> None:
    image, _, _ = _scene()
    cut = grabcut_box(image, (0, 0, 120, 90))
    assert cut.shape == (90, 120)


def test_the_cut_is_deterministic() -> None:
    image, _, _ = _scene()
    assert (grabcut_box(image, (18, 23, 63, 68)) == grabcut_box(image, (18, 23, 63, 68))).all()


@pytest.mark.parametrize(
    "box", [(10, 10, 10, 20), (30, 10, 20, 20), (0, 0, 121, 90), (-1, 0, 5, 5)]
)
def test_boxes_outside_the_frame_or_empty_are_refused(box: tuple[int, int, int, int]) -> None:
    image, _, _ = _scene()
    with pytest.raises(ConfigError, match="is not a box inside the 120x90 frame"):
        grabcut_box(image, box)


def test_clicks_cut_out_the_object_under_them() -> None:
    image, disc, _ = _scene()
    cut = grabcut_clicks(image, np.array([[40, 45]]), np.array([[95, 35]]))
    assert _iou(cut, disc) > 0.85
    assert not cut[35, 95]


def _blocky(mask: np.ndarray, cell: int) -> np.ndarray:
    """Return a superpixel-like ``mask``: every cell holding a fifth of it, whole."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    for y in range(0, h, cell):
        for x in range(0, w, cell):
            if mask[y : y + cell, x : x + cell].mean() >= 0.2:
                out[y : y + cell, x : x + cell] = True
    return out


def test_a_blocky_outline_settles_on_the_objects_edges() -> None:
    image, disc, square = _scene()
    coarse = _blocky(disc, 6)
    click = np.array([[40, 45]])
    before = _iou(coarse, disc)
    fine = refine_outline(image, coarse, click, band_fraction=0.15)
    assert before < 0.85
    assert _iou(fine, disc) > 0.95
    assert fine[45, 40]
    assert not (fine & square).any()
    assert _iou(coarse, _blocky(disc, 6)) == 1.0, "the input is not modified"
    # no band: the mask as it is
    assert np.array_equal(refine_outline(image, coarse, click, band_fraction=0.0), coarse)


def test_a_large_object_is_cut_downscaled_to_the_same_outline() -> None:
    image = np.full((600, 700, 3), 30, np.uint8)
    image[100:500, 150:550] = (220, 200, 40)
    truth = np.zeros((600, 700), bool)
    truth[100:500, 150:550] = True
    loose = np.zeros_like(truth)
    loose[88:512, 140:562] = True
    fine = refine_outline(image, loose, np.array([[350, 300]]), band_fraction=0.15)
    assert _iou(fine, truth) > 0.98


def test_a_cut_that_loses_a_click_leaves_the_mask_as_it_was() -> None:
    image, disc, _ = _scene()
    # the mask reaches out along a thin arm of background to a click that lies on it
    reaching = disc.copy()
    reaching[44:47, 55:75] = True
    fine = refine_outline(image, reaching, np.array([[73, 45]]), band_fraction=0.15)
    assert np.array_equal(fine, reaching)
    # the click inside the disc: the arm (background) goes
    trimmed = refine_outline(image, reaching, np.array([[40, 45]]), band_fraction=0.15)
    assert not trimmed[45, 70]
    assert _iou(trimmed, disc) > 0.95


def test_a_cut_that_replaces_much_of_the_mask_leaves_it_as_it_was() -> None:
    image = np.full((80, 80, 3), 40, np.uint8)
    image[34:46, 34:46] = (230, 220, 60)  # a small bright object in a large proposal
    proposal = np.zeros((80, 80), bool)
    proposal[20:60, 20:60] = True
    kept = refine_outline(image, proposal, np.array([[40, 40]]), band_fraction=0.15)
    assert np.array_equal(kept, proposal)
