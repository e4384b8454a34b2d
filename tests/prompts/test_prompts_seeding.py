"""Prompted objects become clicks like selected ones, and leave their record in the run folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import Click
from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.masks import decode_mask
from sam2_autotrack.prompts import (
    PROMPTS_NAME,
    PromptedObject,
    PromptedObjects,
    clicks_from_prompts,
    write_prompt_stage,
)
from sam2_autotrack.seeds import SeedOptions

H, W = 48, 80


def _box(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((H, W), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def _objects() -> PromptedObjects:
    left = PromptedObject("left", "pick", "pick 0", 0, "proposal", _box(5, 40, 2, 30), proposal=0)
    right = PromptedObject(
        "right", "point", "point (40, 20)", 0, "proposal", _box(5, 40, 30, 60), proposal=1,
        clicks=(Click(x=75, y=45, label=0, object_id="right"),
                Click(x=50, y=20, frame=6, object_id="right")),
    )  # fmt: skip
    late = PromptedObject("late", "box", "box (...) on frame 3", 3, "grabcut", _box(30, 45, 65, 78))
    raw = PromptedObject(
        "raw", "point", "point (5, 45) on frame 2", 2, "clicks",
        clicks=(Click(x=5, y=45, frame=2, object_id="raw"),),
    )  # fmt: skip
    return PromptedObjects((left, right, late, raw), resolution_wh=(W, H))


def test_masked_objects_get_interior_seeds_and_keep_their_own_clicks() -> None:
    objects = _objects()
    clicks = clicks_from_prompts(objects, options=SeedOptions(seeds_per_object=2))
    assert clicks.object_ids == ("left", "right", "late", "raw")
    assert clicks.resolution_wh == (W, H)
    groups = clicks.by_object()
    for oid in ("left", "right", "late"):
        obj = next(o for o in objects if o.object_id == oid)
        positives = [c for c in groups[oid] if c.is_positive and c.frame == obj.frame]
        assert len(positives) == 2
        assert all(obj.mask[c.y, c.x] for c in positives), f"{oid}: seeds lie inside the mask"
    # the two frame-0 objects touch: each gets negative clicks in the other
    assert any(not c.is_positive and c.x < 30 for c in groups["right"])
    assert any(not c.is_positive and c.x >= 30 for c in groups["left"])
    # the user's own clicks follow the seeds, as given
    assert [(c.x, c.y, c.label, c.frame) for c in groups["right"][-2:]] == [
        (75, 45, 0, 0), (50, 20, 1, 6)
    ]  # fmt: skip
    assert all(c.frame == 3 for c in groups["late"]), "seeds are on the frame the mask is on"
    assert [(c.x, c.y, c.frame) for c in groups["raw"]] == [(5, 45, 2)]


def test_prompted_objects_are_checked_when_built() -> None:
    mask = _box(5, 10, 5, 10)
    with pytest.raises(ConfigError, match="a mask is needed exactly when"):
        PromptedObject("a", "pick", "pick 0", 0, "clicks", mask)
    with pytest.raises(ConfigError, match="neither a mask nor a positive click"):
        PromptedObject("a", "point", "p", 0, "clicks",
                       clicks=(Click(x=1, y=1, label=0, object_id="a"),))  # fmt: skip
    with pytest.raises(MaskError, match="empty mask"):
        PromptedObject("a", "pick", "pick 0", 0, "proposal", np.zeros((H, W), bool))
    with pytest.raises(ConfigError, match="not a safe name"):
        PromptedObject("../a", "pick", "pick 0", 0, "proposal", mask)
    one = PromptedObject("a", "pick", "pick 0", 0, "proposal", mask)
    with pytest.raises(ConfigError, match="repeated: a"):
        PromptedObjects((one, one), resolution_wh=(W, H))
    with pytest.raises(MaskError, match="but the frames are 40x48"):
        PromptedObjects((one,), resolution_wh=(40, 48))


def test_masks_and_frame0_masks() -> None:
    objects = _objects()
    assert objects.masks.shape == (4, H, W)
    assert not objects.masks[3].any(), "an object of clicks only has no mask"
    assert list(objects.frame0_masks()) == ["left", "right"]


def test_write_prompt_stage(tmp_path: Path) -> None:
    objects = _objects()
    files = write_prompt_stage(tmp_path, objects, record={"prompts": {"picks": [0]}})
    names = sorted(p.relative_to(tmp_path).as_posix() for p in files)
    assert names == [
        "masks_selected/late.png", "masks_selected/left.png", "masks_selected/right.png",
        PROMPTS_NAME,
    ]  # fmt: skip
    assert (decode_mask(tmp_path / "masks_selected" / "late.png") == objects[2].mask).all()
    record = json.loads((tmp_path / PROMPTS_NAME).read_text())
    assert record["prompts"] == {"picks": [0]}
    assert [o["object_id"] for o in record["objects"]] == ["left", "right", "late", "raw"]
    assert record["objects"][2]["frame"] == 3
    assert record["objects"][3]["source"] == "clicks"
    assert record["objects"][1]["clicks"][1]["frame"] == 6
