"""`TrackResult` is checked data: the shape of a run, no file writing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import (
    Click,
    ClickSet,
    ConfigError,
    MaskError,
    MaskProposals,
    MaskSizeError,
    ObjectTracks,
    TrackResult,
    VideoInfo,
)
from sam2_autotrack.masks import MaskSequence, UnionSequence
from sam2_autotrack.selection import select_objects

W, H = 40, 30


def stacks() -> dict[str, NDArray[np.bool_]]:
    a = np.zeros((3, H, W), bool)
    b = np.zeros((3, H, W), bool)
    a[:, 5:15, 5:15] = True
    b[:, 10:25, 20:35] = True
    b[2] = False  # b leaves the picture on the last mask frame
    return {"obj_1": a, "obj_2": b}


def tracks(**changes: object) -> ObjectTracks:
    fields: dict[str, object] = {
        "masks": stacks(),
        "frame_indices": np.array([0, 2, 4]),
        "frame_count": 6,
        "prediction_ids": ("video-1",),
    }
    fields.update(changes)
    return ObjectTracks(**fields)  # type: ignore[arg-type]


def clicks(resolution_wh: tuple[int, int] | None = (W, H)) -> ClickSet:
    return ClickSet.build(
        [Click(x=8, y=8, object_id="obj_1"), Click(x=25, y=15, object_id="obj_2")],
        resolution_wh=resolution_wh,
    )


def info(width: int = W, height: int = H, fps: float = 25.0) -> VideoInfo:
    return VideoInfo(
        path=Path("clip.mp4"),
        width=width,
        height=height,
        fps=fps,
        frame_count=6,
        rotation=0,
        sample_aspect_ratio=(1, 1),
        codec="h264",
        duration_s=0.24,
    )


def test_the_shape_of_a_result() -> None:
    proposals = MaskProposals(masks=np.stack([m[0] for m in stacks().values()]), prediction_id="p")
    result = TrackResult(
        tracks=tracks(),
        clicks=clicks(),
        video="clip.mp4",  # type: ignore[arg-type]
        video_info=info(),
        proposals=proposals,
        backend={"name": "fake"},
        timings={"track": 2},
    )
    assert result.video == Path("clip.mp4")
    assert result.fps == 25.0  # from the probed video
    assert result.object_ids == ("obj_1", "obj_2")
    assert len(result) == 2
    assert list(result) == ["obj_1", "obj_2"]
    assert result.frame_indices.tolist() == [0, 2, 4]
    assert result.frame_count == 6
    assert result.resolution_wh == (W, H)
    assert result.prediction_ids == ("p", "video-1")
    assert result.timings == {"track": 2.0}
    assert np.array_equal(result[1], result["obj_2"])
    assert np.array_equal(result.union_masks(), stacks()["obj_1"] | stacks()["obj_2"])
    assert result.areas()["obj_2"].tolist() == [225, 225, 0]
    copy = result.masks("obj_1")
    copy[:] = False
    assert result.masks("obj_1").any(), "masks() hands out a copy"
    with pytest.raises(KeyError, match="obj_1, obj_2"):
        result.masks("obj_9")
    assert "objects=['obj_1', 'obj_2']" in repr(result)
    assert result._repr_png_() is None  # the video does not exist


def test_a_result_is_frozen_and_replace_checks_the_copy() -> None:
    result = TrackResult(tracks=tracks(), clicks=clicks())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.video = Path("x.mp4")  # type: ignore[misc]
    moved = result.replace(video="elsewhere.mp4", timings={"export": 1})
    assert moved.video == Path("elsewhere.mp4")
    assert result.video is None
    assert moved.timings == {"export": 1.0}
    with pytest.raises(ConfigError, match="fps"):
        result.replace(fps=0)


def test_a_result_writes_no_files() -> None:
    writers = [
        name for name in dir(TrackResult) if name.startswith(("to_", "write", "save", "export"))
    ]
    assert writers == []
    assert not hasattr(TrackResult, "load"), "the run folder is read by run.folder.load_run"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"video_info": info(width=W + 1)}, MaskError, "video's own pixel space"),
        ({"clicks": clicks((W, H + 2))}, MaskSizeError, "clicks were made on a 40x32 frame"),
        ({"fps": -1.0}, ConfigError, "fps must be a positive number"),
        ({"fps": float("nan")}, ConfigError, "fps"),
        ({"timings": {"track": -1}}, ConfigError, r"timings\['track'\]"),
        ({"tracks": stacks()}, ConfigError, "tracks must be ObjectTracks"),
        ({"clicks": "1,0"}, ConfigError, "clicks must be a ClickSet"),
    ],
)
def test_invalid_results_are_refused(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    fields: dict[str, object] = {"tracks": tracks(), "clicks": clicks()}
    fields.update(changes)
    with pytest.raises(error, match=message):
        TrackResult(**fields)  # type: ignore[arg-type]


def test_every_clicked_object_needs_masks_and_the_selection_must_match() -> None:
    only_one = tracks(masks={"obj_1": stacks()["obj_1"]})
    with pytest.raises(MaskError, match="no masks for obj_2"):
        TrackResult(tracks=only_one, clicks=clicks())
    one_object = select_objects(stacks()["obj_1"][:1])
    with pytest.raises(MaskError, match="selection has 1 objects but the clicks have 2"):
        TrackResult(tracks=tracks(), clicks=clicks(), selection=one_object)


def test_unknown_frame_rate_is_none() -> None:
    result = TrackResult(tracks=tracks(), clicks=clicks(None), video_info=info(fps=0.0))
    assert result.fps is None
    assert TrackResult.from_arrays(tracks(), clicks=clicks(), fps=10).fps == 10.0


def test_the_cost_adds_the_proposals_and_the_tracks() -> None:
    from sam2_autotrack.backends import CostReport, PredictionCost

    proposal = PredictionCost("p", "meta/sam-2", "proposals", 1, 2.0)
    union = PredictionCost("video-1", "meta/sam-2-video", "union", 6, 3.0)
    proposals = MaskProposals(
        masks=np.stack([m[0] for m in stacks().values()]),
        prediction_id="p",
        cost=CostReport((proposal,)),
    )
    result = TrackResult(
        tracks=tracks(cost=CostReport((union,))), clicks=clicks(), proposals=proposals
    )
    assert result.cost.predictions == (proposal, union)
    assert result.cost.frames_uploaded == 7
    assert TrackResult(tracks=tracks(), clicks=clicks()).cost == CostReport()
    with pytest.raises(MaskError, match="cost must be a CostReport"):
        tracks(cost={"predictions": []})


def test_the_union_is_a_lazy_view_of_the_frames() -> None:
    result = TrackResult(tracks=tracks(), clicks=clicks())
    union = result.union_masks()
    assert isinstance(union, UnionSequence)
    assert union.shape == (3, H, W)
    expected = stacks()["obj_1"] | stacks()["obj_2"]
    assert [int(frame.sum()) for frame in union] == expected.sum(axis=(1, 2)).tolist()
    frames = list(result.iter_masks())
    assert [index for index, _ in frames] == [0, 2, 4]
    assert np.array_equal(frames[2][1]["obj_1"], stacks()["obj_1"][2])


def test_evaluate_reads_sequences_and_cuts_every_frame_truth_to_the_mask_frames() -> None:
    result = TrackResult(tracks=tracks(), clicks=clicks(), video_info=info())
    truth = {oid: np.repeat(stack, 2, axis=0) for oid, stack in stacks().items()}  # 6 frames
    from_arrays = result.evaluate(truth)
    from_sequences = result.evaluate({k: MaskSequence.from_array(v) for k, v in truth.items()})
    assert from_arrays.jf_mean == 1.0
    assert from_sequences.to_dict() == from_arrays.to_dict()
    shifted = {oid: np.roll(stack, 3, axis=2) for oid, stack in truth.items()}
    worse = result.evaluate({k: MaskSequence.from_array(v) for k, v in shifted.items()})
    assert worse.to_dict() == result.evaluate(shifted).to_dict()
    assert worse.jf_mean < 1.0
