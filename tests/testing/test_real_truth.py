"""The hand annotations of the real sample clips are valid, and scoring against them works."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.testing import SAMPLE_VIDEOS, sample_video
from sam2_autotrack.testing.real_truth import (
    REAL_SUBJECTS_PATH,
    SubjectTruth,
    box_iou,
    load_real_subjects,
    mask_box,
    subject_match,
)
from sam2_autotrack.video import probe_video


@pytest.fixture(scope="module")
def truth() -> dict:
    return load_real_subjects()


def test_every_sample_clip_is_annotated_with_its_main_subject(truth: dict) -> None:
    assert REAL_SUBJECTS_PATH.is_file()
    assert set(truth) == set(SAMPLE_VIDEOS)
    assert truth["bigbuckbunny"].subject.label == "bunny"
    assert truth["carphone"].subject.label == "man"
    assert "vehicle" in truth["bikes"].subject.label


@pytest.mark.parametrize("name", SAMPLE_VIDEOS)
def test_boxes_fit_the_real_video(truth: dict, name: str) -> None:
    clip = truth[name]
    info = probe_video(sample_video(name))
    assert clip.video == sample_video(name).name
    assert clip.resolution_wh == (info.width, info.height)
    assert clip.frame_count == info.frame_count
    for subject in (clip.subject, *clip.secondary):
        frames = list(subject.boxes)
        assert len(frames) >= 4
        assert frames == sorted(frames)
        assert all(0 <= f < clip.frame_count for f in frames)
        start, stop = subject.visible
        assert all(start <= f < stop for f in frames)
        # spread over the time the subject is visible
        assert frames[-1] - frames[0] >= 0.6 * (stop - 1 - start)
        for x0, y0, x1, y1 in subject.boxes.values():
            assert 0 <= x0 < x1 <= info.width
            assert 0 <= y0 < y1 <= info.height
    for x0, y0, x1, y1 in clip.subject.boxes.values():  # a main subject is not small
        assert (x1 - x0) * (y1 - y0) >= 0.05 * info.width * info.height


def test_bikes_shots_and_the_subject_stays_in_the_first_shot(truth: dict) -> None:
    bikes = truth["bikes"]
    assert bikes.scene_cuts == (30, 76, 137, 187, 242)
    assert bikes.shots[0] == (0, 30)
    assert bikes.shots[-1][1] == bikes.frame_count
    first_start, first_stop = bikes.shots[0]
    for subject in (bikes.subject, *bikes.secondary):
        assert all(first_start <= f < first_stop for f in subject.boxes)
    for name in ("bigbuckbunny", "carphone"):
        assert truth[name].shots == ((0, truth[name].frame_count),)
        assert truth[name].scene_cuts == ()


def test_broken_files_are_refused(tmp_path: Path) -> None:
    good = json.loads(REAL_SUBJECTS_PATH.read_text(encoding="utf-8"))

    def broken(edit: object) -> Path:
        data = json.loads(json.dumps(good))
        edit(data)  # type: ignore[operator]
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    def box(data: dict, value: list[int]) -> None:
        data["clips"]["carphone"]["subject"]["boxes"]["0"] = value

    with pytest.raises(EvaluationError, match="x0 < x1"):
        load_real_subjects(broken(lambda d: box(d, [50, 10, 40, 100])))
    with pytest.raises(EvaluationError, match="x1 <= 176"):
        load_real_subjects(broken(lambda d: box(d, [10, 10, 180, 100])))

    def late_frame(data: dict) -> None:
        data["clips"]["carphone"]["subject"]["boxes"]["120"] = [10, 10, 50, 50]

    with pytest.raises(EvaluationError, match="outside the frames"):
        load_real_subjects(broken(late_frame))

    def bad_cut(data: dict) -> None:
        data["clips"]["bikes"]["scene_cuts"] = [31, 76, 137, 187, 242]

    with pytest.raises(EvaluationError, match="scene_cuts"):
        load_real_subjects(broken(bad_cut))
    with pytest.raises(EvaluationError, match="no real-clip annotations"):
        load_real_subjects(tmp_path / "missing.json")


def test_subject_match_uses_mask_boxes_at_every_annotated_frame() -> None:
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), None) == 0.0
    assert box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0
    assert mask_box(np.zeros((4, 4), bool)) is None
    subject = SubjectTruth("sq", "", (0, 4), {0: (2, 2, 8, 8), 3: (4, 2, 10, 8)})
    follows = np.zeros((4, 12, 12), bool)
    follows[0, 2:8, 2:8] = True
    follows[3, 2:8, 4:10] = True
    stays = np.zeros((4, 12, 12), bool)
    stays[:, 2:8, 1:7] = True  # close at frame 0 (IoU 5/7), half off at frame 3 (IoU 1/3)
    result = subject_match({"a": stays, "b": follows}, subject)
    assert result.matched
    assert result.object_id == "b"
    assert result.ious == {0: 1.0, 3: 1.0}
    assert result.others == ("a",)
    only_stays = subject_match({"a": stays}, subject)
    assert not only_stays.matched
    assert only_stays.object_id == "a"
    assert only_stays.min_iou == pytest.approx(1 / 3)
    assert only_stays.others == ("a",)
    assert subject_match({"a": stays}, subject, threshold=0.3).matched
    # masks given only at some frames: a missing annotated frame counts as 0
    sparse = subject_match({"b": follows[[0]]}, subject, frame_indices=np.array([0]))
    assert not sparse.matched
    assert sparse.ious[3] == 0.0
    assert subject_match({}, subject).object_id is None


def test_subject_match_reads_mask_sequences_frame_by_frame() -> None:
    subject = SubjectTruth("sq", "", (0, 4), {0: (2, 2, 8, 8), 3: (4, 2, 10, 8)})
    follows = np.zeros((4, 12, 12), bool)
    follows[0, 2:8, 2:8] = True
    follows[3, 2:8, 4:10] = True
    from_array = subject_match({"b": follows}, subject)
    from_sequence = subject_match({"b": MaskSequence.from_array(follows)}, subject)
    assert from_sequence == from_array
    assert from_sequence.matched
