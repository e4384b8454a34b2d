"""The click set for SAM 2 video from selected masks, configured by SeedOptions."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.errors import ClickError, SelectionError
from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.select import select_objects
from seed_masks import two_touching


def test_clicks_from_selection_builds_a_valid_click_set() -> None:
    left, right = two_touching()
    masks = np.stack([left, right])
    before = masks.copy()
    clicks = clicks_from_selection(masks, options=SeedOptions(seeds_per_object=2), frame=4)
    assert clicks.resolution_wh == (160, 80)
    assert clicks.object_ids == ("obj_1", "obj_2")
    for click in clicks:
        assert type(click.x) is int
        assert type(click.y) is int
        assert click.frame == 4
        owner = masks[0] if click.object_id == "obj_1" else masks[1]
        assert bool(owner[click.y, click.x]) == (click.label == 1)
    labels = [c.label for c in clicks.for_object("obj_1")]
    assert labels == [1, 1, 0], "positives first, then the negative in the touching neighbour"
    assert np.array_equal(masks, before)
    strings = clicks.to_replicate()
    assert strings.click_frames == ",".join(["4"] * len(clicks))


def test_clicks_from_selection_options() -> None:
    left, right = two_touching()
    masks = np.stack([left, right])
    no_negatives = clicks_from_selection(
        masks, options=SeedOptions(negatives="none"), object_ids=["car", "dog"]
    )
    assert {c.label for c in no_negatives} == {1}
    assert no_negatives.object_ids == ("car", "dog")
    with pytest.raises(ClickError, match="2 objects"):
        clicks_from_selection(masks, object_ids=["only_one"])
    with pytest.raises(ClickError, match="comma"):
        clicks_from_selection(masks, object_ids=["a,b", "c"])


def test_clicks_from_a_selection_and_from_an_empty_one() -> None:
    masks = np.zeros((2, 60, 80), dtype=bool)
    masks[0, 10:50, 10:40] = True
    masks[1, 0:5, 0:5] = True
    selection = select_objects(masks)
    clicks = clicks_from_selection(selection)
    assert clicks.object_ids == ("obj_1",)
    assert clicks_from_selection(selection).to_replicate() == clicks.to_replicate()
    empty = select_objects(masks[1:])
    with pytest.raises(SelectionError, match="speck"):
        clicks_from_selection(empty)
    blank = np.zeros((1, 60, 80), dtype=bool)
    with pytest.raises(SelectionError, match="empty mask"):
        clicks_from_selection(blank)


def test_seed_options_reach_every_rule() -> None:
    left, right = two_touching()
    masks = np.stack([left, right])
    default = clicks_from_selection(masks)
    assert [c.label for c in default.for_object("obj_1")] == [1, 1, 1, 0]
    one = clicks_from_selection(masks, options=SeedOptions(seeds_per_object=1, max_negatives=0))
    assert [c.label for c in one] == [1, 1]
    # a deep margin keeps every positive click at least that far inside its object
    deep = clicks_from_selection(masks, options=SeedOptions(margin_px=20, negatives="none"))
    for click in deep:
        owner = left if click.object_id == "obj_1" else right
        assert owner[click.y - 19 : click.y + 20, click.x - 19 : click.x + 20].all()
    # with a gap between the objects, touch_gap_px decides whether they touch
    apart = np.stack([left, np.roll(right, 4, axis=1)])
    assert {c.label for c in clicks_from_selection(apart)} == {1}
    near = clicks_from_selection(apart, options=SeedOptions(touch_gap_px=6))
    assert 0 in {c.label for c in near}
    # a fragment holding 22% of the area gets a seed only when min_component_fraction allows
    blob = np.zeros((1, 80, 200), dtype=bool)
    blob[0, 10:70, 10:80] = True
    blob[0, 20:50, 120:160] = True
    fragment = {
        fraction: any(
            c.x >= 120
            for c in clicks_from_selection(
                blob, options=SeedOptions(min_component_fraction=fraction)
            )
        )
        for fraction in (0.1, 0.5)
    }
    assert fragment == {0.1: True, 0.5: False}
