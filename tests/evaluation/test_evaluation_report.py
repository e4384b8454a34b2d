import json
import math

import numpy as np
import pytest

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.evaluation import (
    EvaluationSummary,
    ObjectScore,
    aggregate,
    evaluate,
    frame_statistics,
)


@pytest.mark.parametrize(
    ("values", "mean", "recall", "decay"),
    [
        ([0.3], 0.3, 0.0, 0.0),  # one frame: both bins are that frame
        ([1.0, 0.0], 0.5, 0.5, 1.0),  # n = 2: v0 - v1
        ([0.5, 0.5, 0.9], 19 / 30, 1 / 3, -0.4),  # 0.5 is not above 0.5; cuts 0, 1, 1, 2, 2
        ([1.0, 1.0, 0.0, 0.0], 0.5, 0.5, 1.0),  # n = 4: mean(v0, v1) - mean(v2, v3)
    ],
)
def test_frame_statistics_by_hand(
    values: list[float], mean: float, recall: float, decay: float
) -> None:
    got = frame_statistics(values)
    assert got == pytest.approx((mean, recall, decay), abs=1e-12)


def test_decay_bins_share_their_end_frames() -> None:
    # n = 100: cuts 0, 25, 50, 74, 99 → first bin frames 0..25, last bin frames 74..99
    values = np.zeros(100)
    values[:26] = 1.0
    assert frame_statistics(values)[2] == 1.0
    values[25] = 0.0
    assert frame_statistics(values)[2] == pytest.approx(25 / 26)
    values = np.zeros(100)
    values[74] = 1.0
    assert frame_statistics(values)[2] == pytest.approx(-1 / 26)


@pytest.mark.parametrize("frames", [256, 257, 300, 1000])
def test_decay_is_the_intended_value_on_long_sequences(frames: int) -> None:
    # the official uint8 cast wraps here; a falling score must still show a positive decay
    values = np.linspace(1.0, 0.0, frames)
    decay = frame_statistics(values)[2]
    assert not math.isnan(decay)
    assert 0.7 < decay < 0.8


def test_frame_statistics_refuses_nothing() -> None:
    with pytest.raises(EvaluationError, match="non-empty"):
        frame_statistics([])


def test_object_score_from_frames() -> None:
    j = np.array([1.0, 0.8, 0.2, 0.0])
    score = ObjectScore.from_frames("a", "p", j, j[::-1])
    assert (score.j_mean, score.j_recall, score.j_decay) == pytest.approx((0.5, 0.5, 0.8))
    assert score.f_decay == pytest.approx(-0.8)
    assert score.jf_mean == 0.5
    j[0] = 0.0  # the score keeps its own copy
    assert score.j_per_frame[0] == 1.0
    assert score.to_dict()["j_recall"] == 0.5


def square_clip(frames: int, boxes: list[tuple[int, int]]) -> dict[str, np.ndarray]:
    out = {}
    for i, (y, x) in enumerate(boxes):
        seq = np.zeros((frames, 24, 32), bool)
        seq[:, y : y + 6, x : x + 6] = True
        out[f"o{i}"] = seq
    return out


def test_aggregate_averages_over_all_objects() -> None:
    one = square_clip(3, [(2, 2)])
    four = square_clip(3, [(2, 2), (2, 12), (12, 2), (12, 12)])
    reports = {"one": evaluate(one, one), "four": evaluate({"p": four["o0"]}, four)}
    summary = aggregate(reports)
    assert isinstance(summary, EvaluationSummary)
    assert summary.object_count == 5
    assert summary.jf_mean == pytest.approx(2 / 5)  # not (1 + 1/4) / 2
    assert summary.j_recall == pytest.approx(2 / 5)
    assert aggregate(list(reports.values())).jf_mean == summary.jf_mean
    data = json.loads(json.dumps(summary.to_dict(), allow_nan=False))
    assert data["protocol"] == "davis-unsupervised"
    assert (data["object_count"], data["clip_count"]) == (5, 2)
    text = str(summary)
    assert "protocol: davis-unsupervised" in text
    assert "averaged over 5 objects of 2 clips" in text


def test_aggregate_refuses_mixed_settings_and_nothing() -> None:
    clip = square_clip(3, [(2, 2)])
    unsup = evaluate(clip, clip)
    semi = evaluate(clip, {"o0": clip["o0"]}, protocol="davis-semi-supervised")
    with pytest.raises(EvaluationError, match="davis-semi-supervised"):
        aggregate({"a": unsup, "b": semi})
    with pytest.raises(EvaluationError, match="objects='present_at_start'"):
        aggregate([unsup, evaluate(clip, clip, objects="present_at_start")])
    with pytest.raises(EvaluationError, match="no reports"):
        aggregate({})


def test_a_clip_with_no_scored_object_contributes_nothing() -> None:
    # official rule: no object on frame 0 → nothing scored for that clip
    late = square_clip(3, [(2, 2)])
    late["o0"][0] = False
    empty = evaluate(late, late, objects="davis-frame0-labels")
    assert empty.per_object == {}
    assert empty.excluded_gt == ("o0",)
    assert math.isnan(empty.jf_mean)
    assert json.loads(json.dumps(empty.to_dict(), allow_nan=False))["jf_mean"] is None
    assert "mean of 0" in str(empty)
    full = square_clip(3, [(2, 2)])
    summary = aggregate(
        {"late": empty, "full": evaluate(full, full, objects="davis-frame0-labels")}
    )
    assert summary.object_count == 1
    assert summary.jf_mean == 1.0
