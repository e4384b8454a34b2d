"""`benchmarks/distractors.py`: training-only windows, swaying texture and holes."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from bench_scripts import load_benchmark
from sam2_autotrack.testing import make_family_clip


@pytest.fixture(scope="module")
def distractors() -> ModuleType:
    return load_benchmark("distractors")


def _still_clip(distractors: ModuleType, family: str) -> object:
    for seed in range(100, 140):
        clip = make_family_clip(family, seed, frames=12)
        if distractors.still_camera(clip):
            return clip
    raise AssertionError(f"no still-camera {family} clip among seeds 100-139")


@pytest.mark.parametrize("family", ["still", "occlusion", "tiny"])
def test_distractors_paint_only_the_background(distractors: ModuleType, family: str) -> None:
    clip = _still_clip(distractors, family)
    out = distractors.add_distractors(clip, rng=7)
    # the objects and their ground truth are untouched: pixels, masks, names
    assert list(out.masks) == list(clip.masks)
    front = np.zeros(clip.frames.shape[:3], bool)
    for oid, mask in clip.masks.items():
        np.testing.assert_array_equal(out.masks[oid], mask)
        front |= mask
    for name, mask in clip.regions.items():
        if name.startswith("bar_"):
            front |= mask
    np.testing.assert_array_equal(out.frames[front], clip.frames[front])
    added = [name for name in out.regions if name not in clip.regions]
    assert added
    assert {name.split("_")[0] for name in added} <= {"window", "sway", "hole"}
    changed = np.any(out.frames != clip.frames, axis=-1)
    painted = np.zeros_like(changed)
    for name in added:
        region = out.regions[name]
        assert not (region & front).any()  # a distractor is background, never over an object
        painted |= region
    # what changed is the distractors (a window's frame is painted around its inside)
    assert changed.any()
    assert (changed & painted).sum() >= 0.8 * changed.sum()
    assert out.params["distractors"]
    assert out.name == f"{clip.name}_d"
    # a clip with distractors is no held-out clip, and the input clip is not modified
    assert out.seed == clip.seed
    assert not out.held_out


def test_windows_and_swaying_texture_move_inside_a_still_outline(
    distractors: ModuleType,
) -> None:
    clip = _still_clip(distractors, "still")
    seen = set()
    for rng in range(12):
        out = distractors.add_distractors(clip, rng=rng)
        for name in ("window_1", "sway_1"):
            if name not in out.regions:
                continue
            seen.add(name)
            region = out.regions[name]
            steady = region.all(axis=0)  # never covered by an object
            assert steady.sum() > 50
            first, last = out.frames[0].astype(int), out.frames[-1].astype(int)
            inside_change = np.abs(last - first).sum(-1)[steady].mean()
            # the outline stays put while what is inside it moves
            assert inside_change > 10
    assert seen == {"window_1", "sway_1"}


def test_a_hole_sits_on_a_moving_object_path(distractors: ModuleType) -> None:
    clip = _still_clip(distractors, "still")
    holes = 0
    for rng in range(12):
        out = distractors.add_distractors(clip, rng=rng)
        if "hole_1" not in out.regions:
            continue
        holes += 1
        hole = out.regions["hole_1"]
        # some object covers part of it at some frame: its visible pixels change over time
        assert hole.any(axis=0).sum() > hole.all(axis=0).sum()
        darker = out.frames[0][hole[0]].mean() < clip.frames[0][hole[0]].mean()
        assert darker
    assert holes


def test_distractors_refuse_a_moving_camera(distractors: ModuleType) -> None:
    clip = make_family_clip("pan", 1, frames=4)
    assert not distractors.still_camera(clip)
    with pytest.raises(ValueError, match="still camera"):
        distractors.add_distractors(clip, rng=0)
