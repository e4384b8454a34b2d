import json

import numpy as np
import pytest

from sam2_autotrack.errors import ConfigError, EvaluationError
from sam2_autotrack.evaluation import (
    EvaluationReport,
    boundary_f,
    evaluate,
    jaccard,
)


def moving_squares(frames: int = 6, shape: tuple[int, int] = (60, 90)) -> dict[str, np.ndarray]:
    gt = {}
    for k, (y, x) in enumerate([(5, 5), (30, 40), (10, 60)]):
        seq = np.zeros((frames, *shape), bool)
        for t in range(frames):
            seq[t, y : y + 12, x + t : x + t + 12] = True
        gt[f"gt_{k + 1}"] = seq
    return gt


def test_perfect_prediction_with_shuffled_ids_is_matched_back() -> None:
    gt = moving_squares()
    pred = {"z": gt["gt_3"], "a": gt["gt_1"], "m": gt["gt_2"]}
    report = evaluate(pred, gt)
    assert dict(report.matching) == {"gt_1": "a", "gt_2": "m", "gt_3": "z"}
    assert report.j_mean == report.f_mean == report.jf_mean == 1.0
    assert report.unmatched_gt == report.extra_pred == report.excluded_gt == ()
    assert report.frame_count == 6
    assert report.protocol == "davis-unsupervised"
    assert report.objects == "all"


def test_hungarian_prefers_the_global_optimum_over_greedy() -> None:
    # pred "p" overlaps gt_1 best, but giving it to gt_1 would leave gt_2 with nothing.
    shape = (1, 20, 40)
    gt1, gt2 = np.zeros(shape, bool), np.zeros(shape, bool)
    gt1[0, 0:10, 0:10] = True
    gt2[0, 0:10, 10:20] = True
    p = np.zeros(shape, bool)
    p[0, 0:10, 4:14] = True  # IoU 6/14 with gt_1, 4/16 with gt_2
    q = np.zeros(shape, bool)
    q[0, 0:10, 0:8] = True  # IoU 8/10 with gt_1, 0 with gt_2
    report = evaluate({"p": p, "q": q}, {"gt_1": gt1, "gt_2": gt2})
    assert dict(report.matching) == {"gt_1": "q", "gt_2": "p"}
    assert report.per_object["gt_2"].j_mean == pytest.approx(4 / 16)


def test_per_frame_scores_follow_the_metrics() -> None:
    gt = moving_squares()
    shifted = {k: np.roll(v, 2, axis=2) for k, v in gt.items()}
    report = evaluate(shifted, gt)
    score = report.per_object["gt_2"]
    for t in range(6):
        assert score.j_per_frame[t] == pytest.approx(jaccard(shifted["gt_2"][t], gt["gt_2"][t]))
        assert score.f_per_frame[t] == pytest.approx(boundary_f(shifted["gt_2"][t], gt["gt_2"][t]))
    assert score.j_mean == pytest.approx(10 / 14)  # 12x12 squares 2 px apart
    assert report.j_mean == pytest.approx(np.mean([s.j_mean for s in report.per_object.values()]))
    assert report.jf_mean == pytest.approx((report.j_mean + report.f_mean) / 2)


def test_predictions_that_never_overlap_are_kept_and_missing_ones_padded() -> None:
    # DAVIS conventions 2 and 3: the junk prediction is assigned although it never overlaps, the
    # object left without a prediction is compared with an empty mask (present on every frame
    # here, so both score 0)
    gt = moving_squares()
    junk = np.zeros_like(gt["gt_1"])
    junk[:, 50:58, 0:8] = True  # overlaps no object
    report = evaluate({"good": gt["gt_1"], "junk": junk}, gt)
    assert report.matching["gt_1"] == "good"
    assert sorted(report.matching.values()) == ["good", "junk"]
    assert len(report.unmatched_gt) == 1
    assert set(report.unmatched_gt) | {g for g, p in report.matching.items() if p == "junk"} == {
        "gt_2",
        "gt_3",
    }
    assert report.extra_pred == ()
    for gid in ("gt_2", "gt_3"):
        assert report.per_object[gid].jf_mean == 0.0
    assert report.j_mean == pytest.approx(1 / 3)


def test_no_predictions_at_all() -> None:
    report = evaluate({}, moving_squares())
    assert report.jf_mean == 0.0
    assert len(report.unmatched_gt) == 3


def test_present_at_start_excludes_entering_object_and_all_counts_it() -> None:
    gt = moving_squares()
    entering = np.zeros_like(gt["gt_1"])
    entering[3:, 40:50, 0:10] = True
    gt["late"] = entering
    pred = {k: v for k, v in gt.items() if k != "late"}
    start = evaluate(pred, gt, objects="present_at_start")
    assert start.excluded_gt == ("late",)
    assert "late" not in start.per_object
    assert start.jf_mean == 1.0
    every = evaluate(pred, gt, objects="all")
    assert every.excluded_gt == ()
    assert every.unmatched_gt == ("late",)
    # the empty prediction is right on frames 0-2, where the object is absent (convention 2)
    assert every.per_object["late"].j_per_frame.tolist() == [1, 1, 1, 0, 0, 0]
    assert every.jf_mean == pytest.approx((3 + 1 / 2) / 4)
    assert evaluate(pred, gt).to_dict() == every.to_dict()  # late-entering objects count
    # a prediction of the entering object is matched only when it is scored
    found = evaluate(gt, gt, objects="all")
    assert found.jf_mean == 1.0
    assert evaluate(gt, gt, objects="present_at_start").extra_pred == ("late",)


def test_evaluate_errors() -> None:
    gt = moving_squares()
    with pytest.raises(EvaluationError, match=r"\(6, 60, 90\)") as info:
        evaluate({"p": np.zeros((5, 60, 90), bool)}, gt)
    assert "(5, 60, 90)" in str(info.value)
    with pytest.raises(EvaluationError, match="no ground-truth"):
        evaluate({}, {})
    with pytest.raises(EvaluationError, match="objects='all'"):
        evaluate({}, {"late": np.zeros((3, 5, 5), bool)}, objects="present_at_start")
    with pytest.raises(EvaluationError, match=r"\(T, H, W\)"):
        evaluate({}, {"flat": np.zeros((5, 5), bool)})
    with pytest.raises(ValueError, match="shape"):  # EvaluationError is a ValueError
        evaluate({"p": np.zeros((6, 60, 91), bool)}, gt)
    with pytest.raises(EvaluationError, match="at least 3 frames"):
        evaluate({}, {"a": np.ones((2, 5, 5), bool)}, protocol="davis-semi-supervised")
    with pytest.raises(EvaluationError, match="void has shape"):
        evaluate({}, gt, void=np.zeros((6, 60, 80), bool))


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("objects", "some", "present_at_start"),
        ("protocol", "davis", "davis-semi-supervised"),
        ("protocol", "unsupervised", "davis-unsupervised"),
        ("bound_th", 0, "greater than 0"),
        ("bound_th", float("nan"), "finite"),
    ],
)
def test_invalid_options_raise_config_error_before_any_work(
    option: str, value: object, named: str
) -> None:
    with pytest.raises(ConfigError, match=named) as info:
        evaluate({}, {}, **{option: value})  # type: ignore[arg-type]
    assert f"{option}=" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_semi_supervised_pairs_predictions_by_id() -> None:
    gt = moving_squares()
    pred = {"gt_2": gt["gt_2"], "gt_1": np.roll(gt["gt_1"], 2, axis=2)}
    report = evaluate(pred, gt, protocol="davis-semi-supervised")
    assert report.frames == (1, 2, 3, 4)
    assert dict(report.matching) == {"gt_1": "gt_1", "gt_2": "gt_2"}
    assert report.unmatched_gt == ("gt_3",)
    assert report.per_object["gt_1"].j_mean == pytest.approx(10 / 14)
    # swapped content is not re-matched: ids decide
    swapped = evaluate(
        {"gt_1": gt["gt_2"], "gt_2": gt["gt_1"]}, gt, protocol="davis-semi-supervised"
    )
    assert swapped.per_object["gt_1"].j_mean == 0.0
    with pytest.raises(EvaluationError, match=r"\['obj_0'\].*davis-unsupervised"):
        evaluate({"obj_0": gt["gt_1"]}, gt, protocol="davis-semi-supervised")


def test_prediction_order_is_the_label_order_for_the_twenty_object_limit() -> None:
    gt = {"a": np.ones((2, 6, 6), bool)}
    empty = np.zeros((2, 6, 6), bool)
    speck = empty.copy()
    speck[:, 0, 0] = True
    # 25 predictions, but the last 5 are empty: a DAVIS label map would hold labels 1..20 only
    pred = {f"p{i}": speck if i < 20 else empty for i in range(25)}
    assert len(evaluate(pred, gt).extra_pred) == 24
    pred["p24"] = speck
    with pytest.raises(EvaluationError, match=r"got 25 .*'p24'"):
        evaluate(pred, gt)


def test_evaluate_does_not_mutate_inputs() -> None:
    gt = moving_squares()
    pred = {k: np.roll(v, 1, axis=1) for k, v in gt.items()}
    void = np.zeros_like(gt["gt_1"])
    void[:, :3] = True
    before = {k: v.copy() for k, v in pred.items()}, {k: v.copy() for k, v in gt.items()}
    evaluate(pred, gt, void=void)
    for k in gt:
        assert np.array_equal(pred[k], before[0][k])
        assert np.array_equal(gt[k], before[1][k])
        assert pred[k].flags.writeable
        assert gt[k].flags.writeable
    assert void.sum() == 6 * 3 * 90


def test_report_serialises_and_prints() -> None:
    gt = moving_squares()
    report = evaluate({"x": gt["gt_1"], "y": np.roll(gt["gt_2"], 3, axis=1)}, gt)
    assert isinstance(report, EvaluationReport)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["matching"] == {"gt_1": "x", "gt_2": "y"}
    assert data["unmatched_gt"] == ["gt_3"]
    assert len(data["per_object"]["gt_2"]["j_per_frame"]) == 6
    assert data["jf_mean"] == pytest.approx(report.jf_mean)
    assert data["protocol"] == "davis-unsupervised"
    text = str(report)
    for token in ("gt_1", "gt_2", "gt_3", "mean", f"{report.jf_mean:.3f}", "unmatched gt: gt_3"):
        assert token in text
    assert "protocol: davis-unsupervised" in text


def test_per_frame_arrays_are_read_only() -> None:
    report = evaluate(moving_squares(), moving_squares())
    with pytest.raises(ValueError, match="read-only"):
        report.per_object["gt_1"].j_per_frame[0] = 0.0
