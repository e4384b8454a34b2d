"""Telling the tracker what to track, end to end on both backends (issue 15).

A clip of four flat-colour objects; each prompt kind must track exactly the object it names: a
point inside one, a box around one, a proposal number, a text prompt through the fake Grounding
DINO. Replicate runs go over real HTTP to the tests' Replicate-compatible server.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from prompt_scenes import BOX_XYXY, COLOURS_BGR, INSIDE_XY, T, best_match, four_objects, iou
from sam2_autotrack import AutoTracker, ConfigError, MissingTokenError, ReplicateBackend
from sam2_autotrack.backends.replicate import GroundingDinoDetector
from sam2_autotrack.masks import decode_mask
from sam2_autotrack.prompts import Detection, PromptedObjects, Prompts

Clip = tuple[Path, dict[str, np.ndarray]]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    path = tmp_path_factory.mktemp("prompts") / "four.avi"
    return path, four_objects(path)


def _replicate(**options: object) -> ReplicateBackend:
    return ReplicateBackend(
        limits={"poll_interval": 0.01},
        retries={"backoff_base": 0.01},
        timeouts={"prediction": 20.0},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["local", "replicate"])
def tracker(request: pytest.FixtureRequest) -> AutoTracker:
    if request.param == "replicate":
        request.getfixturevalue("fake_replicate")
        return AutoTracker(_replicate())
    return AutoTracker("local")


def _assert_tracks_exactly(
    result_masks: np.ndarray, truth: dict[str, np.ndarray], name: str
) -> None:
    matched, score = best_match(result_masks, truth)
    assert matched == name
    assert score > 0.95, f"{name}: IoU {score:.3f}"
    assert all(iou(result_masks, truth[o]) == 0.0 for o in truth if o != name)


@pytest.mark.parametrize("name", ["green", "yellow"])
def test_a_point_inside_one_of_four_objects_tracks_exactly_that_object(
    tracker: AutoTracker, clip: Clip, tmp_path: Path, name: str
) -> None:
    video, truth = clip
    result = tracker.track(video, tmp_path / "run", prompts=Prompts(points=[INSIDE_XY[name]]))
    assert result.object_ids == ("point_1",)
    _assert_tracks_exactly(result.masks("point_1"), truth, name)
    assert result.selection is None, "prompts replace the automatic choice"


@pytest.mark.parametrize("name", ["red", "blue"])
def test_a_box_around_one_object_tracks_exactly_that_object(
    tracker: AutoTracker, clip: Clip, tmp_path: Path, name: str
) -> None:
    video, truth = clip
    x0, y0, x1, y1 = BOX_XYXY[name]
    loose = (x0 - 2, y0 - 2, x1 + 2, y1 + 2)
    result = tracker.track(video, tmp_path / "run", prompts=Prompts(boxes=[loose]))
    assert result.object_ids == ("box_1",)
    _assert_tracks_exactly(result.masks("box_1"), truth, name)


def test_pick_tracks_the_proposal_drawn_with_that_number(
    tracker: AutoTracker, clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    out = tmp_path / "run"
    auto = tracker.track(video, tmp_path / "auto")  # the proposals as a first run shows them
    assert auto.proposals is not None
    # the proposal that is the green object on frame 0 (the user reads its number off the picture)
    green = truth["green"][0]
    overlaps = [(m & green).sum() / (m | green).sum() for m in auto.proposals.masks]
    number = int(np.argmax(overlaps))
    assert overlaps[number] > 0.95
    drawn = decode_mask(tmp_path / "auto" / "masks_all" / f"proposal_{number:03d}.png")
    result = tracker.track(video, out, prompts=Prompts(picks=[number]))
    assert result.object_ids == (f"proposal_{number}",)
    assert (result.masks(f"proposal_{number}")[0] == drawn).all()
    _assert_tracks_exactly(result.masks(f"proposal_{number}"), truth, "green")
    assert (decode_mask(out / "masks_selected" / f"proposal_{number}.png") == drawn).all()


def test_a_text_prompt_tracks_the_labelled_objects_on_replicate(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    fake_replicate.grounding_dino.vocabulary = {
        "person": COLOURS_BGR["red"],
        "dog": COLOURS_BGR["blue"],
        "traffic light": COLOURS_BGR["yellow"],
    }
    out = tmp_path / "run"
    prompts = Prompts(text="person, dog, traffic light, unicorn")
    result = AutoTracker(_replicate()).track(video, out, prompts=prompts)
    assert sorted(result.object_ids) == ["dog_1", "person_1", "traffic_light_1"]
    for oid, name in (("person_1", "red"), ("dog_1", "blue"), ("traffic_light_1", "yellow")):
        _assert_tracks_exactly(result.masks(oid), truth, name)
    assert fake_replicate.grounding_dino.queries == ["person . dog . traffic light . unicorn"]
    assert fake_replicate.creates == 3, "meta/sam-2, adirik/grounding-dino, meta/sam-2-video"
    record = json.loads((out / "prompts.json").read_text())
    assert record["detector"]["model"] == "adirik/grounding-dino"
    assert [o["source"] for o in record["objects"]] == ["proposal"] * 3
    assert "text 'unicorn': the detector found nothing" in record["notes"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["prompts"]["text"] == list(prompts.text)
    assert "prompts.json" in manifest["files"]


def test_a_text_prompt_with_the_embedded_engine_uses_the_hosted_detector(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    fake_replicate.grounding_dino.vocabulary = {"dog": COLOURS_BGR["green"]}
    result = AutoTracker("local").track(video, tmp_path / "run", prompts={"text": "dog"})
    assert result.object_ids == ("dog_1",)
    _assert_tracks_exactly(result.masks("dog_1"), truth, "green")
    assert fake_replicate.creates == 1, "only the detection is hosted"


def test_a_text_prompt_without_a_token_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    tracker = AutoTracker("local")
    with pytest.raises(MissingTokenError, match="there is no offline one"):
        tracker.track(tmp_path / "not-even-read.mp4", tmp_path / "run", prompts=Prompts(text="dog"))
    assert not (tmp_path / "run").exists(), "nothing was started"


def test_a_box_no_proposal_fits_is_cut_out_and_tracked_by_the_embedded_engine(
    clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    x0, y0, x1, y1 = BOX_XYXY["yellow"]
    wide = (x0 - 6, y0 - 6, x1 + 6, y1 + 6)  # box IoU with the object ~0.46: below min_box_iou
    out = tmp_path / "run"
    result = AutoTracker("local").track(video, out, prompts=Prompts(boxes=[wide]))
    record = json.loads((out / "prompts.json").read_text())
    assert record["objects"][0]["source"] == "grabcut"
    _assert_tracks_exactly(result.masks("box_1"), truth, "yellow")


def test_several_prompt_kinds_together(tracker: AutoTracker, clip: Clip, tmp_path: Path) -> None:
    video, truth = clip
    prompts = Prompts(
        points=[{"x": INSIDE_XY["red"][0], "y": INSIDE_XY["red"][1], "object_id": "car"}],
        boxes=[BOX_XYXY["yellow"]],
    )
    result = tracker.track(video, tmp_path / "run", prompts=prompts)
    assert result.object_ids == ("car", "box_1")
    _assert_tracks_exactly(result.masks("car"), truth, "red")
    _assert_tracks_exactly(result.masks("box_1"), truth, "yellow")


def test_a_point_on_a_later_frame_starts_its_object_there_on_replicate(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    x, y = 68, 54  # inside green on frame 3 (it moves up 2 px a frame)
    prompts = Prompts(points=[INSIDE_XY["red"], {"x": x, "y": y, "frame": 3}])
    result = AutoTracker(_replicate(per_object="separate")).track(
        video, tmp_path / "run", prompts=prompts
    )
    assert result.object_ids == ("point_1", "point_2")
    later = result.masks("point_2")
    assert not later[:3].any(), "nothing before the frame the point is on"
    assert iou(later[3:], truth["green"][3:]) > 0.95
    sent = [c for c in result.clicks if c.object_id == "point_2"]
    assert [(c.x, c.y, c.frame) for c in sent] == [(x, y, 3)]


def test_a_box_on_a_later_frame_is_matched_to_proposals_made_there(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path
) -> None:
    video, truth = clip
    box = {"x0": 120 - 12, "y0": 12, "x1": 140 - 12, "y1": 30, "frame": 4}  # blue on frame 4
    result = AutoTracker(_replicate()).track(video, tmp_path / "run", prompts=Prompts(boxes=[box]))
    assert fake_replicate.creates == 3, "proposals on frame 0 and frame 4, then the video"
    masks = result.masks("box_1")
    assert not masks[:4].any()
    assert iou(masks[4:], truth["blue"][4:]) > 0.95
    assert {c.frame for c in result.clicks} == {4}


def test_prompts_the_backend_cannot_honour_are_refused_before_any_work(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path
) -> None:
    video, _ = clip
    later = Prompts(points=[{"x": 5, "y": 5, "frame": 2}])
    with pytest.raises(ConfigError, match="the embedded engine starts every object on frame 0"):
        AutoTracker("local").track(video, tmp_path / "a", prompts=later)
    two = Prompts(points=[(20, 20), {"x": 68, "y": 54, "frame": 3}])
    with pytest.raises(ConfigError, match="--object-strategy separate"):
        AutoTracker(_replicate()).track(video, tmp_path / "b", prompts=two)
    with pytest.raises(ConfigError, match=r"point \(500, 5\) is outside the 160x96 frame"):
        AutoTracker(_replicate()).track(video, tmp_path / "c", prompts={"points": [(500, 5)]})
    with pytest.raises(ConfigError, match=f"the video has {T} frames"):
        AutoTracker(_replicate(per_object="separate")).track(
            video, tmp_path / "d", prompts={"points": [{"x": 5, "y": 5, "frame": T}]}
        )
    assert fake_replicate.creates == 0
    assert not any((tmp_path / n).exists() for n in "abcd")


def test_a_pick_that_does_not_exist_lists_the_valid_numbers(clip: Clip, tmp_path: Path) -> None:
    video, _ = clip
    with pytest.raises(
        ConfigError, match=r"--pick 40: there is no proposal 40; the valid numbers are 0\.\.\d"
    ):
        AutoTracker("local").track(video, prompts=Prompts(picks=[40]))


def test_the_step_api_takes_prompts(clip: Clip) -> None:
    video, truth = clip
    tracker = AutoTracker("local")
    frame0 = tracker.first_frame(video)
    proposals = tracker.propose(frame0, video=video)
    chosen = tracker.resolve({"points": [INSIDE_XY["blue"]]}, proposals, image_rgb=frame0)
    assert isinstance(chosen, PromptedObjects)
    assert chosen.object_ids == ("point_1",)
    clicks = tracker.seed(chosen)
    assert clicks.object_ids == ("point_1",)
    result = tracker.propagate(video, clicks, objects=chosen)
    _assert_tracks_exactly(result.masks("point_1"), truth, "blue")
    with pytest.raises(ConfigError, match="needs at least one prompt"):
        tracker.resolve(Prompts(), proposals, image_rgb=frame0)


class _Canned:
    """A detector that answers from a list (a Detector of one's own)."""

    name = "canned"

    def __init__(self, detections: list[Detection]) -> None:
        self.detections = detections
        self.calls = 0

    def detect(
        self, image_rgb: np.ndarray, queries: object, *, work_dir: object = None
    ) -> tuple[Detection, ...]:
        self.calls += 1
        return tuple(self.detections)

    def describe(self) -> dict[str, str]:
        return {"name": self.name}

    def close(self) -> None:
        raise AssertionError("a detector passed in is the caller's to close")


def test_any_detector_can_be_passed_in(clip: Clip, tmp_path: Path) -> None:
    video, truth = clip
    detector = _Canned([Detection(BOX_XYXY["yellow"], 0.9, "box", query="box")])
    with AutoTracker("local", detector=detector) as tracker:
        result = tracker.track(video, tmp_path / "run", prompts=Prompts(text="box"))
    assert detector.calls == 1
    assert result.object_ids == ("box_1",)
    _assert_tracks_exactly(result.masks("box_1"), truth, "yellow")
    with pytest.raises(ConfigError, match="detector must implement"):
        AutoTracker("local", detector=object())  # type: ignore[arg-type]


def test_an_automatic_rerun_drops_the_prompt_record(clip: Clip, tmp_path: Path) -> None:
    video, _ = clip
    out = tmp_path / "run"
    tracker = AutoTracker("local")
    tracker.track(video, out, prompts=Prompts(picks=[0]))
    assert (out / "prompts.json").is_file()
    tracker.track(video, out)
    assert not (out / "prompts.json").exists()


def test_the_default_detector_shares_the_replicate_client_and_is_closed_with_the_tracker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = _replicate(api_token="r8_x")
    shared = AutoTracker(backend).detector
    assert isinstance(shared, GroundingDinoDetector)
    assert shared.client is backend.client
    closed: list[str] = []
    tracker = AutoTracker("local", api_token="r8_x")
    own = tracker.detector
    assert isinstance(own, GroundingDinoDetector)
    assert own.client is not backend.client
    monkeypatch.setattr(own, "close", lambda: closed.append("detector"))
    tracker.close()
    assert closed == ["detector"]
