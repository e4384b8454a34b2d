from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sam2_autotrack.backends.base import ObjectTracks
from sam2_autotrack.clicks import Click, ClickSet, ReplicateClickStrings
from sam2_autotrack.errors import ClickError, MaskError

# Object ids: safe file names (they name the files written per object).
object_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,11}\Z")

clicks = st.builds(
    Click,
    x=st.integers(0, 4096),
    y=st.integers(0, 4096),
    label=st.sampled_from([0, 1]),
    frame=st.integers(0, 10_000),
    object_id=object_ids,
)


@st.composite
def click_sets(draw: st.DrawFn) -> ClickSet:
    chosen = draw(st.lists(clicks, min_size=1, max_size=15))
    if draw(st.booleans()):
        width = max(c.x for c in chosen) + draw(st.integers(1, 50))
        height = max(c.y for c in chosen) + draw(st.integers(1, 50))
        return ClickSet(clicks=tuple(chosen), resolution_wh=(width, height))
    return ClickSet(clicks=tuple(chosen))


@st.composite
def canonical_strings(draw: st.DrawFn) -> dict[str, str]:
    """Draw the four strings in canonical form, independently of ClickSet's renderer."""
    n = draw(st.integers(1, 15))
    coords = draw(
        st.lists(st.tuples(st.integers(0, 9999), st.integers(0, 9999)), min_size=n, max_size=n)
    )
    labels = draw(st.lists(st.sampled_from("01"), min_size=n, max_size=n))
    frames = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n))
    ids = draw(st.lists(object_ids, min_size=n, max_size=n))
    return {
        "click_coordinates": ",".join(f"[{x},{y}]" for x, y in coords),
        "click_labels": ",".join(labels),
        "click_frames": ",".join(map(str, frames)),
        "click_object_ids": ",".join(ids),
    }


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(canonical_strings())
def test_render_after_parse_is_identity_on_canonical_strings(strings: dict[str, str]) -> None:
    assert ClickSet.from_replicate(strings).to_replicate().as_input() == strings


@settings(max_examples=100, deadline=None)
@given(click_sets())
def test_parse_after_render_is_identity(click_set: ClickSet) -> None:
    rendered = click_set.to_replicate()
    assert ClickSet.from_replicate(rendered, resolution_wh=click_set.resolution_wh) == click_set
    assert ClickSet.from_replicate(rendered.as_input()).clicks == click_set.clicks
    assert " " not in rendered.click_coordinates + rendered.click_labels + rendered.click_frames


@settings(max_examples=100, deadline=None)
@given(click_sets())
def test_json_round_trip(click_set: ClickSet) -> None:
    assert ClickSet.model_validate_json(click_set.model_dump_json()) == click_set
    as_dict = json.loads(json.dumps(click_set.to_json_dict()))
    assert as_dict["num_points"] == len(click_set)
    strings = {key: as_dict[key] for key in ReplicateClickStrings.model_fields}
    assert ClickSet.from_replicate(strings).clicks == click_set.clicks


@settings(max_examples=100, deadline=None)
@given(click_sets())
def test_grouping_per_object_preserves_order(click_set: ClickSet) -> None:
    groups = click_set.by_object()
    first_seen: list[str] = []
    for click in click_set:
        if click.object_id not in first_seen:
            first_seen.append(click.object_id)
    assert list(groups) == first_seen == list(click_set.object_ids)
    for object_id, group in groups.items():
        assert group == tuple(c for c in click_set.clicks if c.object_id == object_id)
        assert click_set.for_object(object_id).clicks == group
    assert sum(len(g) for g in groups.values()) == len(click_set)


def test_for_unknown_object_raises() -> None:
    click_set = ClickSet(clicks=(Click(x=1, y=1, object_id="car"),))
    with pytest.raises(ClickError, match=r"no clicks for object 'bus'.*car"):
        click_set.for_object("bus")


def test_parse_tolerates_spaces_but_renders_canonically() -> None:
    parsed = ClickSet.from_replicate(
        {
            "click_coordinates": " [ 1 , 2 ] , [3,4] ",
            "click_labels": "1, 0",
            "click_frames": "0 ,0",
            "click_object_ids": "a, b",
        }
    )
    assert parsed.to_replicate().as_input() == {
        "click_coordinates": "[1,2],[3,4]",
        "click_labels": "1,0",
        "click_frames": "0,0",
        "click_object_ids": "a,b",
    }


# -- rejections -------------------------------------------------------------------------------

VALID = {
    "click_coordinates": "[10,20],[30,40]",
    "click_labels": "1,0",
    "click_frames": "0,0",
    "click_object_ids": "obj_1,obj_1",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"click_labels": "1"}, "unequal lengths"),
        ({"click_object_ids": "obj_1,obj_1,obj_2"}, "unequal lengths"),
        ({"click_coordinates": "[10,20]"}, "unequal lengths"),
        ({"click_coordinates": "[1.5,20],[30,40]"}, r"x coordinate '1\.5' is not an integer"),
        ({"click_coordinates": "[10,2e1],[30,40]"}, "y coordinate '2e1' is not an integer"),
        ({"click_coordinates": "[-1,20],[30,40]"}, "greater than or equal to 0"),
        ({"click_coordinates": "[10,20],[30,-4]"}, "greater than or equal to 0"),
        ({"click_frames": "0,-1"}, "frame.*greater than or equal to 0"),
        ({"click_frames": "0,x"}, "frame 'x' is not an integer"),
        ({"click_labels": "1,2"}, "label 2 is not 0 or 1"),
        ({"click_labels": "1,-1"}, "label -1 is not 0 or 1"),
        ({"click_labels": "1,yes"}, "label 'yes' is not an integer"),
        ({"click_object_ids": "obj_1,"}, "click_object_ids .* empty entry"),
        ({"click_object_ids": "obj_1,obj 2"}, "'obj 2' is not a safe name"),
        ({"click_coordinates": ""}, "click_coordinates is empty"),
        ({"click_labels": ""}, "click_labels .* empty entry"),
        ({"click_frames": "   "}, "click_frames .* empty entry"),
        ({"click_object_ids": ""}, "click_object_ids .* empty entry"),
        ({"click_coordinates": "[10,20]x[30,40]"}, "malformed near"),
        ({"click_coordinates": "[10,20][30,40]"}, "malformed near"),
        ({"click_coordinates": "[10,20],,[30,40]"}, "malformed near"),
        ({"click_coordinates": ",[10,20],[30,40]"}, "malformed near"),
        ({"click_coordinates": "[10,20],[30,40],"}, "malformed"),
        ({"click_coordinates": "[10,20],[30,40]]"}, "malformed"),
        ({"click_coordinates": "[[10,20]],[30,40]"}, "malformed"),
        ({"click_coordinates": "[10,20,5],[30,40]"}, "malformed"),
        ({"click_coordinates": "[a,b],[30,40]"}, "x coordinate 'a' is not an integer"),
        ({"click_coordinates": "(10,20),(30,40)"}, "malformed"),
        ({"click_coordinates": "[١٠,20],[30,40]"}, "not an integer"),  # Arabic-Indic digits
        ({"click_labels": 1}, "must be a str"),
    ],
)
def test_malformed_strings_raise_click_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ClickError, match=message):
        ClickSet.from_replicate({**VALID, **changes})


def test_missing_string_is_named() -> None:
    strings = dict(VALID)
    del strings["click_frames"]
    with pytest.raises(ClickError, match="missing click strings: click_frames"):
        ClickSet.from_replicate(strings)


@pytest.mark.parametrize(
    ("resolution_wh", "bad"), [((30, 50), "x is 0..29"), ((40, 40), "y is 0..39")]
)
def test_clicks_outside_resolution_are_rejected(resolution_wh: tuple[int, int], bad: str) -> None:
    with pytest.raises(ClickError, match=rf"click 1 at \(30, 40\) is outside.*{bad}"):
        ClickSet.from_replicate(VALID, resolution_wh=resolution_wh)
    assert len(ClickSet.from_replicate(VALID, resolution_wh=(31, 41))) == 2  # last pixel is fine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": -1, "y": 0}, "x: Input should be greater than or equal to 0"),
        ({"x": 0, "y": -5}, "y: Input should be greater than or equal to 0"),
        ({"x": 1.5, "y": 0}, "x: Input should be a valid integer"),
        ({"x": True, "y": 0}, "x: Input should be a valid integer"),
        ({"x": 0, "y": 0, "label": 2}, "label"),
        ({"x": 0, "y": 0, "frame": -1}, "frame"),
        ({"x": 0, "y": 0, "object_id": ""}, "object id is empty"),
        ({"x": 0, "y": 0, "object_id": "a,b"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "a b"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "[a]"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "../escape"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "/etc/passwd"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": ".."}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "a/b"}, "not a safe name"),
        ({"x": 0, "y": 0, "object_id": "x" * 65}, "1-64 ASCII"),
        ({"x": 0, "y": 0, "object_id": "obj\u00e9"}, "not a safe name"),
        # Regression: '$' used to let a trailing newline through, breaking the round trip.
        ({"x": 0, "y": 0, "object_id": "obj_1\n"}, "not a safe name"),
    ],
)
def test_invalid_click_raises_click_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ClickError, match=message):
        Click(**kwargs)


def test_click_error_is_a_value_error_with_a_fix() -> None:
    with pytest.raises(ValueError, match=r"label 0 or 1"):
        Click(x=0, y=0, label=5)


def test_empty_click_set_is_rejected() -> None:
    with pytest.raises(ClickError, match="at least one click"):
        ClickSet(clicks=())
    with pytest.raises(ClickError, match="at least one click"):
        ClickSet.build([])


def test_direct_construction_checks_the_frame() -> None:
    with pytest.raises(ClickError, match="outside the 8x8 frame"):
        ClickSet(clicks=(Click(x=8, y=0),), resolution_wh=(8, 8))
    with pytest.raises(ClickError, match="resolution_wh"):
        ClickSet(clicks=(Click(x=0, y=0),), resolution_wh=(0, 8))


def test_click_is_frozen_and_has_helpers() -> None:
    click = Click(x=3, y=4, label=0, frame=2, object_id="car")
    assert click.point_xy == (3, 4)
    assert not click.is_positive
    with pytest.raises(ValueError, match="frozen"):
        click.x = 5  # type: ignore[misc]


@pytest.mark.parametrize("object_id", ["../outside", "/tmp/abs", "a/b", "..", "a b"])
def test_tracks_refuse_ids_that_would_build_paths_outside_the_run_folder(object_id: str) -> None:
    with pytest.raises(MaskError, match="not a safe name"):
        ObjectTracks(
            masks={object_id: np.zeros((1, 2, 2), bool)}, frame_indices=np.arange(1), frame_count=1
        )
