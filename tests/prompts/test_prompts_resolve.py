"""Resolving prompts against proposals: which proposal each prompt chooses, and the fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import MaskProposals
from sam2_autotrack.errors import ConfigError, SelectionError
from sam2_autotrack.prompts import (
    Detection,
    MatchOptions,
    PromptedObjects,
    Prompts,
    box_iou,
    mask_boxes,
    rank_for_box,
    resolve_prompts,
    suppress_overlaps,
)

H, W = 60, 90


def _scene() -> tuple[np.ndarray, MaskProposals]:
    """Frame 0: a red and a blue object; proposals 0 background, 1 red, 2 red's part, 3 blue."""
    image = np.full((H, W, 3), 40, np.uint8)
    image[10:30, 10:40] = (220, 40, 40)
    image[35:55, 55:85] = (40, 60, 220)
    masks = np.zeros((4, H, W), bool)
    masks[0] = True
    masks[0, 10:30, 10:40] = False
    masks[0, 35:55, 55:85] = False
    masks[1, 10:30, 10:40] = True
    masks[2, 12:20, 12:20] = True  # a part of the red object
    masks[3, 35:55, 55:85] = True
    return image, MaskProposals(masks=masks)


Scene = tuple[np.ndarray, MaskProposals]


@pytest.fixture
def scene() -> Scene:
    return _scene()


def _resolve(
    prompts: Prompts, scene: Scene, detections: list[Detection] | None = None
) -> PromptedObjects:
    image, proposals = scene
    return resolve_prompts(prompts, proposals, images_rgb=image, detections=detections or [])


def test_a_point_chooses_the_whole_object_it_is_in(scene: Scene) -> None:
    chosen = _resolve(Prompts(points=[(14, 14)]), scene)  # inside the part and the whole
    [obj] = chosen
    assert (obj.object_id, obj.kind, obj.source, obj.proposal, obj.frame) == (
        "point_1", "point", "proposal", 1, 0
    )  # fmt: skip
    assert (obj.mask == scene[1].masks[1]).all()


def test_a_point_on_the_background_is_sent_as_a_click(scene: Scene) -> None:
    chosen = _resolve(Prompts(points=[(5, 5)]), scene)  # only the background slab holds it
    [obj] = chosen
    assert obj.source == "clicks"
    assert obj.mask is None
    assert [(c.x, c.y, c.label) for c in obj.clicks] == [(5, 5, 1)]
    assert "no proposal holds it" in chosen.notes[0]


def test_negative_points_and_other_objects_points_rule_proposals_out(scene: Scene) -> None:
    chosen = _resolve(Prompts(points=[(14, 14), {"x": 35, "y": 25, "label": 0}]), scene)
    assert chosen[0].proposal == 2, "the whole holds the negative point: the part is chosen"
    assert [(c.x, c.y, c.label) for c in chosen[0].clicks] == [(35, 25, 0)]
    two = _resolve(Prompts(points=[(14, 14), (30, 25)]), scene)
    assert [o.proposal for o in two] == [2, None], "point_2 may not take point_1's whole"


def test_points_on_later_frames_travel_as_clicks(scene: Scene) -> None:
    prompts = Prompts(
        points=[
            {"x": 20, "y": 20, "object_id": "car"},
            {"x": 25, "y": 22, "object_id": "car", "frame": 5},
            {"x": 70, "y": 40, "frame": 3},  # an object that starts on frame 3
        ]
    )
    car, later = _resolve(prompts, scene)
    assert (car.source, car.proposal) == ("proposal", 1)
    assert [(c.x, c.y, c.frame) for c in car.clicks] == [(25, 22, 5)]
    assert (later.object_id, later.source, later.frame) == ("point_1", "clicks", 3)
    assert [(c.x, c.y, c.frame) for c in later.clicks] == [(70, 40, 3)]


def test_a_box_chooses_the_proposal_it_frames_best(scene: Scene) -> None:
    [obj] = _resolve(Prompts(boxes=[(9, 9, 41, 31)]), scene)
    assert (obj.kind, obj.source, obj.proposal, obj.box_xyxy) == (
        "box",
        "proposal",
        1,
        (9, 9, 41, 31),
    )
    assert obj.box_iou == pytest.approx(600 / (32 * 22))
    [part] = _resolve(Prompts(boxes=[(12, 12, 20, 20)]), scene)
    assert part.proposal == 2


def test_boxes_claim_proposals_best_match_first(scene: Scene) -> None:
    loose, tight = _resolve(Prompts(boxes=[(5, 5, 40, 32), (10, 10, 40, 30)]), scene)
    assert tight.proposal == 1
    assert loose.proposal != 1


def test_a_box_no_proposal_fits_is_cut_out_with_grabcut(scene: Scene) -> None:
    image, proposals = scene
    only_background = MaskProposals(masks=proposals.masks[:1])
    chosen = resolve_prompts(Prompts(boxes=[(50, 30, 90, 60)]), only_background,
                             images_rgb=image)  # fmt: skip
    [obj] = chosen
    assert obj.source == "grabcut"
    assert obj.proposal is None
    blue = proposals.masks[3]
    assert np.logical_and(obj.mask, blue).sum() / np.logical_or(obj.mask, blue).sum() > 0.9
    assert "GrabCut" in chosen.notes[0]


def test_a_box_with_nothing_in_it_is_a_selection_error(scene: Scene) -> None:
    image = np.full((H, W, 3), 40, np.uint8)  # flat: GrabCut finds no object
    empty = MaskProposals(masks=np.zeros((0, H, W), bool))
    with pytest.raises(SelectionError, match=r"box \(50, 30, 90, 60\): no proposal fits"):
        resolve_prompts(Prompts(boxes=[(50, 30, 90, 60)]), empty, images_rgb=image)


def test_boxes_on_later_frames_use_that_frames_proposals(scene: Scene) -> None:
    image, proposals = scene
    moved = np.roll(proposals.masks, 5, axis=2)
    prompts = Prompts(boxes=[{"x0": 60, "y0": 35, "x1": 90, "y1": 55, "frame": 4}])
    [obj] = resolve_prompts(
        prompts, {0: proposals, 4: MaskProposals(masks=moved)},
        images_rgb={0: image, 4: np.roll(image, 5, axis=1)},
    )  # fmt: skip
    assert (obj.frame, obj.proposal) == (4, 3)
    assert (obj.mask == moved[3]).all()
    with pytest.raises(ConfigError, match="on frame 4 but no proposals were made there"):
        resolve_prompts(prompts, proposals, images_rgb=image)


def test_picks_are_proposals_by_number(scene: Scene) -> None:
    chosen = _resolve(Prompts(picks=[3, 1]), scene)
    assert [(o.object_id, o.proposal, o.prompt) for o in chosen] == [
        ("proposal_3", 3, "pick 3"), ("proposal_1", 1, "pick 1")
    ]  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"--pick 4: there is no proposal 4; the valid numbers are 0\.\.3"
    ):
        _resolve(Prompts(picks=[4]), scene)
    image, _ = scene
    none = MaskProposals(masks=np.zeros((0, H, W), bool))
    with pytest.raises(ConfigError, match="valid numbers are none"):
        resolve_prompts(Prompts(picks=[0]), none, images_rgb=image)


def test_two_prompts_for_one_proposal_are_an_error(scene: Scene) -> None:
    with pytest.raises(
        ConfigError,
        match=r"box \(10, 10, 40, 30\) chooses proposal 1, which is already .*'proposal_1'",
    ):
        _resolve(Prompts(picks=[1], boxes=[(10, 10, 40, 30)]), scene)
    with pytest.raises(ConfigError, match="already the object 'proposal_3'"):
        _resolve(Prompts(picks=[3], points=[(60, 40)]), scene)


def test_objects_come_in_order_points_boxes_picks_text(scene: Scene) -> None:
    detections = [Detection((54, 34, 86, 56), 0.9, "blue thing", "blue thing")]
    chosen = _resolve(Prompts(picks=[2], boxes=[(10, 10, 40, 30)], text="blue thing",
                              points=[(5, 5)]), scene, detections=detections)  # fmt: skip
    assert chosen.object_ids == ("point_1", "box_1", "proposal_2", "blue_thing_1")


def _det(
    box: tuple[int, int, int, int], confidence: float, label: str, query: str | None
) -> Detection:
    return Detection(box, confidence, label, query)


def test_text_detections_become_objects_named_after_the_query_item(scene: Scene) -> None:
    detections = [
        _det((55, 35, 85, 55), 0.7, "dog", "dog"),
        _det((10, 10, 40, 30), 0.9, "dog", "dog"),
        _det((0, 0, 8, 8), 0.95, "xyz", None),  # maps to no query item
    ]
    chosen = _resolve(Prompts(text="dog, cat"), scene, detections=detections)
    assert [(o.object_id, o.proposal, o.kind) for o in chosen] == [
        ("dog_1", 1, "text"),
        ("dog_2", 3, "text"),
    ]
    assert chosen[0].detection is detections[1], "the most confident is dog_1"
    assert chosen.detections == tuple(detections)
    notes = " | ".join(chosen.notes)
    assert "'xyz'" in notes
    assert "matches no query item" in notes
    assert "text 'cat': the detector found nothing" in notes


def test_overlapping_detections_are_suppressed_across_labels(scene: Scene) -> None:
    detections = [
        _det((10, 10, 40, 30), 0.9, "car", "car"),
        _det((11, 10, 40, 30), 0.8, "taxi", "taxi"),  # the same thing, another label
    ]
    chosen = _resolve(Prompts(text="car, taxi"), scene, detections=detections)
    assert chosen.object_ids == ("car_1",)
    assert any("overlaps" in n for n in chosen.notes)


def test_a_detection_of_an_object_already_chosen_is_not_added_twice(scene: Scene) -> None:
    detections = [
        _det((10, 10, 40, 30), 0.9, "car", "car"),
        _det((55, 35, 85, 55), 0.8, "car", "car"),
    ]
    chosen = _resolve(Prompts(picks=[1], text="car"), scene, detections=detections)
    assert chosen.object_ids == ("proposal_1", "car_1")
    assert chosen[1].proposal == 3
    assert any("is the object 'proposal_1' already" in n for n in chosen.notes)


def test_text_ids_skip_ids_the_user_gave(scene: Scene) -> None:
    prompts = Prompts(
        text="dog", boxes=[{"x0": 10, "y0": 10, "x1": 40, "y1": 30, "object_id": "dog_1"}]
    )
    chosen = _resolve(prompts, scene, detections=[_det((55, 35, 85, 55), 0.9, "dog", "dog")])
    assert chosen.object_ids == ("dog_1", "dog_2")


def test_max_text_objects_keeps_the_most_confident(scene: Scene) -> None:
    detections = [
        _det((10, 10, 40, 30), 0.6, "dog", "dog"),
        _det((55, 35, 85, 55), 0.9, "dog", "dog"),
    ]
    prompts = Prompts(text="dog", matching=MatchOptions(max_text_objects=1))
    chosen = _resolve(prompts, scene, detections=detections)
    assert [o.proposal for o in chosen] == [3]
    assert any("max_text_objects" in n for n in chosen.notes)


def test_a_text_prompt_that_finds_nothing_is_a_selection_error(scene: Scene) -> None:
    with pytest.raises(SelectionError, match="found nothing usable for 'unicorn'"):
        _resolve(Prompts(text="unicorn"), scene, detections=[])


def test_geometry_helpers() -> None:
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0
    masks = np.zeros((2, 10, 10), bool)
    masks[0, 2:5, 3:9] = True
    assert mask_boxes(masks).tolist() == [[3, 2, 9, 5], [0, 0, 0, 0]]
    assert rank_for_box(masks, mask_boxes(masks), (50, 50, 60, 60)) == []
    assert suppress_overlaps([], 0.5) == ([], [])
