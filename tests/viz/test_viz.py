"""Tests of sam2_autotrack.viz: pictures of proposals, selections, filmstrips and area charts."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import Click, ClickSet, MaskProposals, ObjectTracks
from sam2_autotrack.errors import AutotrackError, ExportError, MaskError, MissingDependencyError
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.selection.select import Selection, select_objects
from sam2_autotrack.video import probe_video, read_frame
from sam2_autotrack.viz import (
    Figure,
    area_plot,
    filmstrip,
    overlay_masks,
    palette,
    show_proposals,
    show_selection,
)

H, W = 120, 160


def _image(seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, size=(H, W, 3), dtype=np.uint8)


def _rect(y0: int, y1: int, x0: int, x1: int) -> NDArray[np.bool_]:
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def _decode(png: bytes) -> NDArray[np.uint8]:
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


# -- palette, overlay, figure ---------------------------------------------------------------------


def test_palette_colours_are_distinct_and_stable() -> None:
    colours = palette(25)
    assert colours.shape == (25, 3)
    assert colours.dtype == np.uint8
    assert len({tuple(c) for c in colours.tolist()}) == 25
    assert np.array_equal(palette(5), colours[:5])


def test_overlay_paints_only_inside_masks_and_leaves_input_untouched() -> None:
    image = _image()
    before = image.copy()
    masks = np.stack([_rect(10, 50, 10, 60), _rect(60, 100, 80, 150)])
    colours = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    out = overlay_masks(image, masks, colors=colours, alpha=1.0, outline=0)
    assert np.array_equal(image, before)
    assert (out[masks[0]] == colours[0]).all()
    assert (out[masks[1]] == colours[1]).all()
    outside = ~(masks[0] | masks[1])
    assert np.array_equal(out[outside], image[outside])


def test_overlay_blends_with_alpha() -> None:
    image = np.full((H, W, 3), 100, np.uint8)
    out = overlay_masks(image, _rect(0, 10, 0, 10), colors=np.array([[200, 0, 0]], np.uint8),
                        alpha=0.5, outline=0)  # fmt: skip
    assert out[5, 5].tolist() == [150, 50, 50]


def test_overlay_rejects_masks_of_another_size() -> None:
    with pytest.raises(MaskError, match="pixel space"):
        overlay_masks(_image(), np.zeros((1, H + 1, W), bool))


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


# -- filmstrip ------------------------------------------------------------------------------------


def test_filmstrip_from_frames_picks_evenly_spaced_frames() -> None:
    frames = np.stack([np.full((40, 60, 3), 10 * t, np.uint8) for t in range(10)])
    masks = np.zeros((10, 40, 60), bool)
    masks[:, 10:30, 20:40] = True
    figure = filmstrip(frames, {"obj_1": masks}, n=4, columns=2, thumb_width=60, alpha=1.0)
    assert figure.image.shape == (2 * 40, 2 * 60, 3)
    assert figure.text == ("frame 0", "frame 3", "frame 6", "frame 9")
    colour = palette(1)[0].tolist()
    for k, t in enumerate((0, 3, 6, 9)):
        row, col = divmod(k, 2)
        tile = figure.image[row * 40 : (row + 1) * 40, col * 60 : (col + 1) * 60]
        assert tile[20, 30].tolist() == colour
        assert tile[38, 2].tolist() == [10 * t] * 3, "the right frame under the masks"


def test_filmstrip_uses_given_frame_numbers_and_caps_n() -> None:
    frames = np.zeros((3, 20, 20, 3), np.uint8)
    masks = np.zeros((3, 20, 20), bool)
    figure = filmstrip(frames, masks, n=10, frame_indices=[0, 5, 10], thumb_width=20)
    assert figure.text == ("frame 0", "frame 5", "frame 10")


def test_filmstrip_checks_its_inputs() -> None:
    frames = np.zeros((3, 20, 20, 3), np.uint8)
    with pytest.raises(MaskError, match="T=3"):
        filmstrip(frames, {"obj_1": np.zeros((2, 20, 20), bool)})
    with pytest.raises(MaskError, match="pass the masks"):
        filmstrip(frames)
    with pytest.raises(AutotrackError, match="n must be"):
        filmstrip(frames, np.zeros((3, 20, 20), bool), n=0)


def test_filmstrip_reads_the_frames_of_a_result(testsrc_mp4: Path) -> None:
    info = probe_video(testsrc_mp4)
    width, height = info.resolution_wh
    indices = np.arange(0, info.frame_count, 2)
    masks = np.zeros((len(indices), height, width), bool)  # empty masks: frames show unchanged
    tracks = ObjectTracks(
        masks={"obj_1": masks}, frame_indices=indices, frame_count=info.frame_count
    )
    clicks = ClickSet.build([Click(x=1, y=1)], resolution_wh=(width, height))
    result = TrackResult.from_arrays(tracks, clicks=clicks, video=testsrc_mp4)
    figure = filmstrip(result, n=2, columns=2, thumb_width=width)
    last = int(indices[-1])
    assert figure.text == ("frame 0", f"frame {last}")
    right = figure.image[:, width:]
    expected = read_frame(testsrc_mp4, last)
    # Compare the bottom half (the caption sits at the top-left).
    assert np.array_equal(right[height // 2 :], expected[height // 2 :])


# -- area plot ------------------------------------------------------------------------------------

AREAS = {"obj_1": np.array([900, 905, 910, 300, 290, 295]), "obj_2": np.array([400] * 6)}


@pytest.mark.parametrize("engine", ["opencv", "matplotlib"])
def test_area_plot_draws_each_object_and_marks_jumps(engine: str) -> None:
    if engine == "matplotlib":
        pytest.importorskip("matplotlib")
    figure = area_plot(AREAS, engine=engine, size_wh=(400, 240))  # type: ignore[arg-type]
    assert figure.image.shape == (240, 400, 3)
    assert figure.text == ("obj_1 jumps at frame 3",)
    pixels = figure.image.reshape(-1, 3).astype(int)
    for colour in palette(2).astype(int):
        nearest = np.abs(pixels - colour).sum(axis=1).min()
        assert nearest <= 30, f"no pixel of colour {colour.tolist()} in the chart"


def test_area_plot_of_a_result_uses_its_frame_numbers() -> None:
    masks = np.zeros((3, 10, 10), bool)
    masks[0, :5, :5] = True
    masks[1, :5, :5] = True
    masks[2, :1, :1] = True
    tracks = ObjectTracks(masks={"obj_1": masks}, frame_indices=np.array([0, 4, 8]), frame_count=9)
    result = TrackResult.from_arrays(tracks, clicks=ClickSet.build([Click(x=1, y=1)]))
    figure = area_plot(result, engine="opencv")
    assert figure.text == ("obj_1 jumps at frame 8",)


def test_area_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(
        MissingDependencyError, match=r'pip install "sam2_autotrack\[viz\]"'
    ) as info:
        area_plot(AREAS, engine="matplotlib")
    assert isinstance(info.value, ImportError)
    fallback = area_plot(AREAS, engine="auto", size_wh=(300, 200))
    assert fallback.image.shape == (200, 300, 3)
    assert np.array_equal(
        fallback.image, area_plot(AREAS, engine="opencv", size_wh=(300, 200)).image
    )
