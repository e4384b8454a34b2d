"""`Prompts`: every prompt kind, grouping into objects, and the checks made before any work."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.errors import ConfigError
from sam2_autotrack.prompts import BoxPrompt, MatchOptions, PointPrompt, Prompts


def test_every_kind_is_accepted_in_its_short_form() -> None:
    prompts = Prompts(
        points=[(120, 80), {"x": 5, "y": 6, "label": 0}],
        boxes=[(10, 20, 60, 90)],
        picks=np.int64(3),
        text="person, dog. traffic light",
    )
    assert prompts.points[0] == PointPrompt(x=120, y=80)
    assert prompts.points[1].label == 0
    assert prompts.boxes[0] == BoxPrompt(x0=10, y0=20, x1=60, y1=90)
    assert prompts.picks == (3,)
    assert prompts.text == ("person", "dog", "traffic light")
    assert not prompts.is_empty
    assert Prompts().is_empty


def test_prompts_are_frozen_and_replace_validates() -> None:
    prompts = Prompts(picks=[1])
    with pytest.raises(ConfigError, match="frozen"):
        prompts.picks = (2,)  # type: ignore[misc]
    assert prompts.replace(picks=[2, 4]).picks == (2, 4)
    with pytest.raises(ConfigError, match="pick 2 is given twice"):
        prompts.replace(picks=[2, 2])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"boxes": [(60, 20, 10, 90)]}, r"box \(60, 20, 10, 90\) is empty"),
        ({"boxes": [(10, 20, 10, 90)]}, r"box \(10, 20, 10, 90\) is empty"),
        ({"points": [(-1, 5)]}, r"x=-1: must be greater than or equal to 0"),
        ({"points": [{"x": 1, "y": 2, "label": 0}]}, "a negative point only refines"),
        ({"points": [{"x": 1, "y": 2, "object_id": "a b"}]}, "not a safe name"),
        ({"picks": [2, 2]}, "pick 2 is given twice"),
        ({"picks": [-1]}, "greater than or equal to 0"),
        ({"text": "!!, ..."}, "has no word to look for"),
        ({"text": [3]}, "a list of strings"),
        ({"text": ",".join(f"thing{i}" for i in range(40))}, "at most 32"),
        ({"boxs": []}, "boxs: unknown option"),
        ({"matching": {"min_box_iou": 0}}, "min_box_iou"),
    ],
)
def test_invalid_prompts_are_one_config_error_naming_the_prompt(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        Prompts(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(raised.value)
    assert "{'x0'" not in str(raised.value), "the rule is stated, the input dict is not echoed"


def test_a_named_negative_point_needs_its_object() -> None:
    with pytest.raises(ConfigError, match="names an object with no positive point"):
        Prompts(points=[(1, 2), {"x": 5, "y": 5, "label": 0, "object_id": "car"}])


def test_ids_may_not_be_shared_between_kinds() -> None:
    with pytest.raises(ConfigError, match="names both a box and points"):
        Prompts(points=[{"x": 1, "y": 2, "object_id": "car"}],
                boxes=[{"x0": 0, "y0": 0, "x1": 5, "y1": 5, "object_id": "car"}])  # fmt: skip
    with pytest.raises(ConfigError, match="two boxes are named 'car'"):
        Prompts(boxes=[{"x0": 0, "y0": 0, "x1": 5, "y1": 5, "object_id": "car"}] * 2)
    with pytest.raises(ConfigError, match="is the id of a pick"):
        Prompts(points=[{"x": 1, "y": 2, "object_id": "proposal_3"}], picks=[3])


def test_points_group_into_objects() -> None:
    prompts = Prompts(
        points=[
            (10, 10),
            {"x": 20, "y": 20, "object_id": "car"},
            {"x": 30, "y": 30, "label": 0},  # shared: refines every group
            {"x": 21, "y": 25, "object_id": "car", "frame": 4},
            {"x": 22, "y": 26, "object_id": "car", "label": 0},
            (40, 40),
        ]
    )
    groups = prompts.point_groups()
    assert [g.object_id for g in groups] == ["point_1", "car", "point_2"]
    car = groups[1]
    assert [p.point_xy for p in car.positives] == [(20, 20), (21, 25)]
    assert [p.point_xy for p in car.negatives] == [(22, 26), (30, 30)]
    assert car.first_frame == 0
    assert [p.point_xy for p in groups[0].negatives] == [(30, 30)]
    assert [(c.object_id, c.label, c.frame) for c in car.clicks()] == [
        ("car", 1, 0), ("car", 1, 4), ("car", 0, 0), ("car", 0, 0)
    ]  # fmt: skip


def test_generated_ids_skip_ids_given_by_the_user() -> None:
    prompts = Prompts(
        points=[(1, 1), {"x": 2, "y": 2, "object_id": "point_1"}],
        boxes=[(0, 0, 4, 4), {"x0": 0, "y0": 0, "x1": 3, "y1": 3, "object_id": "box_1"}],
        picks=[7],
    )
    assert [g.object_id for g in prompts.point_groups()] == ["point_2", "point_1"]
    assert prompts.box_ids() == ["box_2", "box_1"]
    assert prompts.pick_ids() == ["proposal_7"]


def test_check_video_names_the_prompt_and_the_valid_range() -> None:
    prompts = Prompts(points=[(159, 95)], boxes=[(0, 0, 160, 96)])
    prompts.check_video(resolution_wh=(160, 96), frame_count=10)  # the edges are inside
    with pytest.raises(ConfigError, match=r"point \(160, 5\) is outside the 160x96 frame"):
        Prompts(points=[(160, 5)]).check_video(resolution_wh=(160, 96), frame_count=None)
    with pytest.raises(ConfigError, match=r"box \(0, 0, 161, 10\) reaches outside"):
        Prompts(boxes=[(0, 0, 161, 10)]).check_video(resolution_wh=(160, 96), frame_count=None)
    late = Prompts(points=[{"x": 1, "y": 1, "frame": 10}])
    with pytest.raises(ConfigError, match=r"on frame 10: the video has 10 frames \(0..9\)"):
        late.check_video(resolution_wh=(160, 96), frame_count=10)
    assert late.later_frames() == ["point (1, 1) on frame 10"]


def test_describe_names_every_prompt() -> None:
    prompts = Prompts(points=[(1, 2)], boxes=[{"x0": 0, "y0": 0, "x1": 4, "y1": 4, "frame": 2}],
                      picks=[3, 5], text="dog")  # fmt: skip
    assert prompts.describe() == (
        'point (1, 2); box (0, 0, 4, 4) on frame 2; picks 3, 5; text "dog"'
    )
    assert Prompts().describe() == "no prompts"


def test_match_options_are_recorded_with_the_prompts() -> None:
    prompts = Prompts(picks=[1], matching=MatchOptions(min_box_iou=0.7))
    dumped = prompts.model_dump(mode="json")
    assert dumped["matching"]["min_box_iou"] == 0.7
    assert Prompts(**dumped) == prompts
