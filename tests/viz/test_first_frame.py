"""Tests of sam2_autotrack.viz.first_frame: proposals with their fate, selections with clicks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import Click, ClickSet, MaskProposals
from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.selection import Selection, SelectionOptions, select_objects
from sam2_autotrack.viz import palette, show_proposals, show_selection
from sam2_autotrack.viz.draw import font_scale, text_box, text_size
from sam2_autotrack.viz.first_frame import proposal_label_origins

H, W = 120, 160


def _image(seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, size=(H, W, 3), dtype=np.uint8)


def _rect(y0: int, y1: int, x0: int, x1: int) -> NDArray[np.bool_]:
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


# -- proposals ------------------------------------------------------------------------------------


def _proposals() -> NDArray[np.bool_]:
    return np.stack(
        [
            _rect(10, 60, 10, 70),  # an object
            _rect(70, 110, 90, 150),  # another object
            _rect(11, 60, 10, 70),  # a near-duplicate of 0
        ]
    )


def test_show_proposals_colours_every_proposal() -> None:
    image = _image()
    masks = _proposals()[:2]
    figure = show_proposals(image, MaskProposals(masks=masks), alpha=1.0)
    assert figure.image.shape == image.shape
    colours = palette(2)
    # Corners just inside each mask (away from the centred number label and the 1-2 px outline).
    assert figure.image[14, 14].tolist() == colours[0].tolist()
    assert figure.image[74, 94].tolist() == colours[1].tolist()
    assert np.array_equal(figure.image[115, 5], image[115, 5])


def _selection(masks: NDArray[np.bool_]) -> Selection:
    selection = select_objects(masks)
    assert 2 not in selection.indices.tolist(), "the near-duplicate must be rejected"
    return selection


def _with_reason(selection: Selection, index: int, reason: str) -> Selection:
    decisions = tuple(
        dataclasses.replace(d, reason=reason) if d.index == index else d
        for d in selection.decisions
    )
    return dataclasses.replace(selection, decisions=decisions)


def test_show_proposals_draws_rejection_reasons_in_the_legend() -> None:
    image, masks = _image(), _proposals()
    selection = _selection(masks)
    figure = show_proposals(image, masks, selection=selection)
    assert figure.image.shape[1] == W
    assert figure.image.shape[0] > H, "a legend panel goes under the image"
    rejected = next(d for d in selection.decisions if not d.kept)
    assert any(rejected.reason in line for line in figure.text)
    kept_lines = [line for line in figure.text if "kept as obj_" in line]
    assert len(kept_lines) == len(selection)

    # Same picture, another reason text: only the legend pixels change.
    other = show_proposals(image, masks, selection=_with_reason(selection, rejected.index, "speck"))
    assert other.image.shape == figure.image.shape
    assert np.array_equal(other.image[:H], figure.image[:H])
    assert not np.array_equal(other.image[H:], figure.image[H:])


def test_a_kept_proposal_wears_its_objects_colour_in_both_pictures() -> None:
    image = _image()
    # The first object is proposal 1 (listed second), so index colours and object colours differ.
    masks = np.stack([_rect(70, 110, 90, 150), _rect(10, 60, 10, 70)])
    selection = select_objects(masks, scores=np.array([0.5, 1.0]))
    order = selection.indices.tolist()
    assert order[0] == 1, order
    proposals = show_proposals(image, masks, selection=selection, alpha=1.0).image
    chosen = show_selection(image, selection, alpha=1.0).image
    for k, index in enumerate(order):
        y, x = np.argwhere(masks[index])[0] + 4  # just inside the corner, off the label
        assert proposals[y, x].tolist() == palette(k + 1)[k].tolist()
        assert proposals[y, x].tolist() == chosen[y, x].tolist()


def test_show_proposals_hatches_a_rejected_region() -> None:
    image = np.full((H, W, 3), 100, np.uint8)
    masks = np.stack([_rect(10, 60, 10, 70), _rect(70, 110, 90, 150), _rect(0, 3, 0, 3)])
    selection = select_objects(masks)
    rejected = [d.index for d in selection.decisions if not d.kept]
    assert rejected, "the 3x3 speck must be rejected"
    # Build a selection that rejects the big second rectangle so the hatch has room to show.
    forced = _with_reason(selection, 1, "background: touches 2 borders")
    forced = dataclasses.replace(
        forced,
        masks=forced.masks[forced.indices != 1],
        scores=forced.scores[forced.indices != 1],
        indices=forced.indices[forced.indices != 1],
        decisions=tuple(
            dataclasses.replace(d, kept=False) if d.index == 1 else d for d in forced.decisions
        ),
    )
    figure = show_proposals(image, masks, selection=forced, alpha=1.0)
    colour = palette(3)[1]
    inner = figure.image[:H][76:104, 96:120]  # inside rectangle 1, left of its label
    is_colour = (inner == colour).all(axis=-1)
    is_background = (inner == 100).all(axis=-1)
    assert is_colour.any(), "hatch lines in the proposal's colour"
    assert is_background.any(), "the image shows between the hatch lines"
    assert any("touches 2 borders" in line for line in figure.text)


def test_show_proposals_rejects_a_selection_of_other_proposals() -> None:
    masks = _proposals()
    selection = _selection(masks)
    with pytest.raises(MaskError, match="proposals the selection was made from"):
        show_proposals(_image(), masks[:1], selection=selection)


def test_a_kept_label_is_drawn_whole_over_a_rejected_duplicate() -> None:
    # Proposal 0 is kept; 1 is its near-duplicate, whose label used to be drawn later on the same
    # spot and cover "0" of "0:obj_1", so the picture read "1:obj_1" while the legend said "#0".
    image = _image()
    masks = np.stack([_rect(31, 90, 40, 120), _rect(30, 90, 40, 120)])
    # the hand-weighted ranking keeps 0 (the calibrated objectness prefers the 1-px larger copy)
    selection = select_objects(masks, options=SelectionOptions(objectness="weighted"))
    assert selection.indices.tolist() == [0]
    figure = show_proposals(image, masks, selection=selection)
    alone = show_proposals(image, masks[:1], selection=select_objects(masks[:1]))
    scale = font_scale(W)
    origins = proposal_label_origins(masks, {0: "0:obj_1", 1: "1"}, [0], scale)
    assert set(origins) == {0, 1}, "both labels are drawn"
    assert origins[0] == proposal_label_origins(masks[:1], {0: "0:obj_1"}, [0], scale)[0]
    x0, y0, x1, y1 = text_box("0:obj_1", origins[0], scale)
    np.testing.assert_array_equal(figure.image[y0:y1, x0:x1], alone.image[y0:y1, x0:x1])
    # The duplicate's hatch stays off the kept object (only its 1-px outline is drawn).
    np.testing.assert_array_equal(figure.image[70:85, 45:115], alone.image[70:85, 45:115])
    assert "#0 kept as obj_1" in figure.text
    assert any(line.startswith("#1 duplicate") for line in figure.text)


def _boxes_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_never_overlap_and_kept_ones_are_always_placed() -> None:
    # Ten nested rectangles share one centre: every label wants the same spot.
    masks = np.stack([_rect(10 + k, 110 - k, 10 + k, 150 - k) for k in range(10)])
    labels = {i: f"{i}" for i in range(10)}
    labels[7] = "7:obj_1"
    scale = font_scale(W)
    origins = proposal_label_origins(masks, labels, [7], scale)
    assert 7 in origins
    assert len(origins) >= 5
    for i, (x, y) in origins.items():
        text_w, text_h = text_size(labels[i], scale)
        assert 0 <= x <= W - text_w, "inside the image"
        assert text_h <= y < H, "inside the image"
    boxes = [text_box(labels[i], origins[i], scale) for i in origins]
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            assert not _boxes_overlap(a, b)


def test_show_proposals_checks_alpha_before_work() -> None:
    with pytest.raises(ConfigError, match="alpha"):
        show_proposals(np.zeros((2, 2), np.uint8), np.zeros((1, 2, 2), bool), alpha=-0.1)


# -- selection and clicks -------------------------------------------------------------------------


def test_show_selection_draws_plus_and_minus_markers_at_the_clicks() -> None:
    image = _image()
    before = image.copy()
    masks = np.stack([_rect(10, 60, 10, 70), _rect(70, 110, 90, 150)])
    clicks = ClickSet.build(
        [
            Click(x=30, y=30, label=1, object_id="obj_1"),
            Click(x=120, y=90, label=1, object_id="obj_2"),
            Click(x=120, y=40, label=0, object_id="obj_1"),
        ],
        resolution_wh=(W, H),
    )
    radius = 8
    figure = show_selection(image, masks, clicks, marker_radius=radius)
    assert np.array_equal(image, before)
    picture = figure.image[:H]
    white = [255, 255, 255]
    colours = palette(2)
    for click in clicks:
        assert picture[click.y, click.x].tolist() == white, "the marker is centred on the click"
        assert picture[click.y, click.x - 5].tolist() == white, "horizontal bar of + and −"
        above = picture[click.y - 5, click.x].tolist()
        if click.is_positive:
            assert above == white, "a + has a vertical bar"
        else:
            assert above == colours[0].tolist(), "a − has none: its object's colour shows"
    assert picture[30, 30 + radius - 1].tolist() == colours[0].tolist()
    assert picture[90, 120 + radius - 1].tolist() == colours[1].tolist()
    assert figure.text == ("obj_1: 1 +, 1 -", "obj_2: 1 +, 0 -")


def test_show_selection_accepts_a_selection_and_checks_click_space() -> None:
    masks = _proposals()
    selection = _selection(masks)
    figure = show_selection(_image(), selection)
    assert figure.text == tuple(f"obj_{k + 1}" for k in range(len(selection)))
    wrong = ClickSet.build([Click(x=1, y=1)], resolution_wh=(W * 2, H * 2))
    with pytest.raises(MaskError, match="own pixels"):
        show_selection(_image(), selection, wrong)


def test_show_selection_checks_its_options() -> None:
    masks = np.stack([_rect(10, 60, 10, 70)])
    with pytest.raises(ConfigError, match="marker_radius"):
        show_selection(_image(), masks, marker_radius=0)
    with pytest.raises(ConfigError, match="alpha"):
        show_selection(_image(), masks, alpha=2.0)
