import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from sam2_autotrack.errors import EvaluationError, MaskSizeError
from sam2_autotrack.evaluation.scores import (
    EvaluationReport,
    boundary_f,
    evaluate,
    evaluate_dirs,
    jaccard,
    load_mask_sequences,
)


def square(shape: tuple[int, int], y: int, x: int, side: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y : y + side, x : x + side] = True
    return mask


# -- J ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (0, 1), (3, 0), (2, 5), (9, 9), (10, 0), (12, 3)])
def test_jaccard_of_shifted_squares_matches_area_formula(dy: int, dx: int) -> None:
    a = square((40, 40), 5, 5, 10)
    b = square((40, 40), 5 + dy, 5 + dx, 10)
    inter = max(0, 10 - dy) * max(0, 10 - dx)
    assert jaccard(a, b) == pytest.approx(inter / (200 - inter))


def test_jaccard_empty_cases() -> None:
    empty = np.zeros((8, 8), bool)
    assert jaccard(empty, empty) == 1.0
    assert jaccard(empty, square((8, 8), 1, 1, 3)) == 0.0
    assert jaccard(square((8, 8), 1, 1, 3), empty) == 0.0


def test_jaccard_accepts_uint8_masks() -> None:
    a = square((8, 8), 0, 0, 4)
    assert jaccard(a.astype(np.uint8) * 255, a) == 1.0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_jaccard_is_symmetric_and_bounded(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random((2, 12, 12)) < rng.random(2)[:, None, None]
    value = jaccard(a, b)
    assert 0.0 <= value <= 1.0
    assert value == jaccard(b, a)
    assert jaccard(a, a) == 1.0


# -- F ---------------------------------------------------------------------------------------------


def reference_f(pred: np.ndarray, gt: np.ndarray, bound_th: float = 0.008) -> float:
    """Score F by a plain full-frame transcription of the DAVIS definition (no cropping)."""
    radius = math.ceil(bound_th * math.hypot(*gt.shape))

    def bmap(seg: np.ndarray) -> np.ndarray:
        h, w = seg.shape
        out = np.zeros_like(seg)
        for y in range(h):
            for x in range(w):
                if y == h - 1 and x == w - 1:
                    continue
                east = seg[y, x + 1] if x + 1 < w else False
                south = seg[y + 1, x] if y + 1 < h else False
                se = seg[y + 1, x + 1] if (x + 1 < w and y + 1 < h) else False
                if y == h - 1:
                    out[y, x] = seg[y, x] != east
                elif x == w - 1:
                    out[y, x] = seg[y, x] != south
                else:
                    out[y, x] = seg[y, x] != east or seg[y, x] != south or seg[y, x] != se
        return out

    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = xx**2 + yy**2 <= radius**2
    bp, bg = bmap(pred), bmap(gt)
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    precision = (bp & ndimage.binary_dilation(bg, disk)).sum() / bp.sum()
    recall = (bg & ndimage.binary_dilation(bp, disk)).sum() / bg.sum()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def test_boundary_f_one_pixel_shift_is_within_tolerance() -> None:
    shape = (60, 80)  # diagonal 100 → tolerance ceil(0.8) = 1 px
    a = square(shape, 20, 20, 15)
    assert boundary_f(a, a) == 1.0
    assert boundary_f(a, square(shape, 20, 21, 15)) == 1.0
    assert boundary_f(a, square(shape, 19, 20, 15)) == 1.0
    assert boundary_f(a, square(shape, 20, 23, 15)) < 1.0


def test_boundary_f_tolerance_is_ceil_of_bound_th_times_diagonal() -> None:
    shape = (480, 854)  # diagonal 979.7 → 8 px
    a = square(shape, 100, 100, 120)
    assert boundary_f(a, square(shape, 100, 108, 120)) == 1.0
    assert boundary_f(a, square(shape, 100, 109, 120)) < 1.0
    # A larger tolerance (in pixels when >= 1) accepts the 9-px shift.
    assert boundary_f(a, square(shape, 100, 109, 120), bound_th=9) == 1.0


def test_boundary_f_far_apart_is_zero_and_empty_cases() -> None:
    shape = (100, 100)
    a, b = square(shape, 5, 5, 10), square(shape, 60, 60, 10)
    empty = np.zeros(shape, bool)
    assert boundary_f(a, b) == 0.0
    assert boundary_f(empty, empty) == 1.0
    assert boundary_f(a, empty) == 0.0
    assert boundary_f(empty, a) == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_boundary_f_matches_full_frame_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(20, 50)), int(rng.integers(20, 70)))

    def blob() -> np.ndarray:
        noise = ndimage.gaussian_filter(rng.random(shape), 3)
        return noise > np.quantile(noise, rng.uniform(0.5, 0.95))

    pred, gt = blob(), blob()
    if seed == 0:  # masks touching the image's last row / column exercise the edge rules
        pred[-3:, :] = True
        gt[:, -2:] = True
    assert boundary_f(pred, gt) == pytest.approx(reference_f(pred, gt), abs=1e-12)
    assert boundary_f(pred, gt, bound_th=0.05) == pytest.approx(
        reference_f(pred, gt, 0.05), abs=1e-12
    )


def test_boundary_f_rejects_bad_tolerance() -> None:
    a = square((10, 10), 0, 0, 3)
    with pytest.raises(EvaluationError, match="bound_th"):
        boundary_f(a, a, bound_th=0)


def test_frame_metrics_name_both_shapes_on_mismatch() -> None:
    a, b = np.zeros((10, 12), bool), np.zeros((12, 10), bool)
    for metric in (jaccard, boundary_f):
        with pytest.raises(EvaluationError, match=r"\(10, 12\).*\(12, 10\)"):
            metric(a, b)
    with pytest.raises(EvaluationError, match="evaluate"):
        jaccard(np.zeros((2, 4, 4), bool), np.zeros((2, 4, 4), bool))


# -- evaluate --------------------------------------------------------------------------------------


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


def test_unmatched_gt_scores_zero_and_extra_predictions_are_reported() -> None:
    gt = moving_squares()
    junk = np.zeros_like(gt["gt_1"])
    junk[:, 50:58, 0:8] = True  # overlaps no object
    report = evaluate({"good": gt["gt_1"], "junk": junk}, gt)
    assert dict(report.matching) == {"gt_1": "good"}
    assert set(report.unmatched_gt) == {"gt_2", "gt_3"}
    assert report.extra_pred == ("junk",)
    for gid in ("gt_2", "gt_3"):
        assert report.per_object[gid].pred_id is None
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
    default = evaluate(pred, gt)
    assert default.excluded_gt == ("late",)
    assert "late" not in default.per_object
    assert default.jf_mean == 1.0
    every = evaluate(pred, gt, objects="all")
    assert every.excluded_gt == ()
    assert every.unmatched_gt == ("late",)
    assert every.jf_mean == pytest.approx(3 / 4)
    # a prediction of the entering object is matched only when it is scored
    found = evaluate(gt, gt, objects="all")
    assert found.jf_mean == 1.0
    assert evaluate(gt, gt).extra_pred == ("late",)


def test_evaluate_errors() -> None:
    gt = moving_squares()
    with pytest.raises(EvaluationError, match=r"\(6, 60, 90\)") as info:
        evaluate({"p": np.zeros((5, 60, 90), bool)}, gt)
    assert "(5, 60, 90)" in str(info.value)
    with pytest.raises(EvaluationError, match="no ground-truth"):
        evaluate({}, {})
    with pytest.raises(EvaluationError, match="objects='all'"):
        evaluate({}, {"late": np.zeros((3, 5, 5), bool)})
    with pytest.raises(EvaluationError, match=r"\(T, H, W\)"):
        evaluate({}, {"flat": np.zeros((5, 5), bool)})
    with pytest.raises(EvaluationError, match="present_at_start"):
        evaluate({}, gt, objects="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):  # EvaluationError is a ValueError
        evaluate({"p": np.zeros((6, 60, 91), bool)}, gt)


def test_evaluate_does_not_mutate_inputs() -> None:
    gt = moving_squares()
    pred = {k: np.roll(v, 1, axis=1) for k, v in gt.items()}
    before = {k: v.copy() for k, v in pred.items()}, {k: v.copy() for k, v in gt.items()}
    evaluate(pred, gt)
    for k in gt:
        assert np.array_equal(pred[k], before[0][k])
        assert np.array_equal(gt[k], before[1][k])
        assert pred[k].flags.writeable
        assert gt[k].flags.writeable


def test_report_serialises_and_prints() -> None:
    gt = moving_squares()
    report = evaluate({"x": gt["gt_1"], "y": np.roll(gt["gt_2"], 3, axis=1)}, gt)
    assert isinstance(report, EvaluationReport)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["matching"] == {"gt_1": "x", "gt_2": "y"}
    assert data["unmatched_gt"] == ["gt_3"]
    assert len(data["per_object"]["gt_2"]["j_per_frame"]) == 6
    assert data["jf_mean"] == pytest.approx(report.jf_mean)
    text = str(report)
    for token in ("gt_1", "gt_2", "gt_3", "mean", f"{report.jf_mean:.3f}", "unmatched gt: gt_3"):
        assert token in text


def test_per_frame_arrays_are_read_only() -> None:
    report = evaluate(moving_squares(), moving_squares())
    with pytest.raises(ValueError, match="read-only"):
        report.per_object["gt_1"].j_per_frame[0] = 0.0


# -- folders ---------------------------------------------------------------------------------------


def write_pngs(root: Path, seqs: dict[str, np.ndarray]) -> None:
    for oid, seq in seqs.items():
        (root / oid).mkdir(parents=True)
        for t, frame in enumerate(seq):
            cv2.imwrite(str(root / oid / f"{t:05d}.png"), frame.astype(np.uint8) * 255)


def test_load_mask_sequences_round_trip(tmp_path: Path) -> None:
    gt = moving_squares()
    write_pngs(tmp_path / "gt", gt)
    (tmp_path / "gt" / "notes.txt").write_text("ignored")
    loaded = load_mask_sequences(tmp_path / "gt")
    assert sorted(loaded) == sorted(gt)
    for oid in gt:
        assert loaded[oid].dtype == np.bool_
        assert np.array_equal(loaded[oid], gt[oid])


def test_evaluate_dirs_matches_evaluate(tmp_path: Path) -> None:
    gt = moving_squares()
    pred = {"obj_0": np.roll(gt["gt_2"], 2, axis=2), "obj_1": gt["gt_1"]}
    write_pngs(tmp_path / "gt", gt)
    write_pngs(tmp_path / "pred", pred)
    from_dirs = evaluate_dirs(tmp_path / "pred", tmp_path / "gt", objects="all")
    direct = evaluate(pred, gt, objects="all")
    assert from_dirs.to_dict() == direct.to_dict()


def test_load_mask_sequences_errors(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="does not exist"):
        load_mask_sequences(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvaluationError, match="no per-object"):
        load_mask_sequences(tmp_path / "empty")
    seqs = moving_squares()
    write_pngs(tmp_path / "uneven", {"a": seqs["gt_1"], "b": seqs["gt_2"][:4]})
    with pytest.raises(EvaluationError, match="different frame counts"):
        load_mask_sequences(tmp_path / "uneven")
    write_pngs(tmp_path / "sizes", {"a": seqs["gt_1"][:2]})
    cv2.imwrite(str(tmp_path / "sizes" / "a" / "00002.png"), np.zeros((10, 10), np.uint8))
    with pytest.raises(MaskSizeError) as info:
        load_mask_sequences(tmp_path / "sizes")
    assert info.value.expected_wh == (90, 60)
    assert info.value.actual_wh == (10, 10)


def test_evaluate_dirs_scores_the_frames_a_strided_export_kept(tmp_path: Path) -> None:
    gt = moving_squares(frames=6)
    write_pngs(tmp_path / "gt", gt)
    kept = [0, 2, 4]
    for oid, seq in gt.items():
        (tmp_path / "pred" / oid).mkdir(parents=True)
        for t in kept:
            cv2.imwrite(
                str(tmp_path / "pred" / oid / f"{t:05d}.png"), seq[t].astype(np.uint8) * 255
            )
    report = evaluate_dirs(tmp_path / "pred", tmp_path / "gt")
    assert report.frame_count == 3
    assert report.jf_mean == 1.0
    # frame names that are not a subset of the ground truth's are a shape mismatch
    for oid in gt:
        folder = tmp_path / "pred" / oid
        (folder / "00099.png").write_bytes((folder / "00000.png").read_bytes())
    with pytest.raises(EvaluationError, match=r"\(4, 60, 90\)"):
        evaluate_dirs(tmp_path / "pred", tmp_path / "gt")
