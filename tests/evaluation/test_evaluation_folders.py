from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import ConfigError, EvaluationError, MaskSizeError
from sam2_autotrack.evaluation import (
    evaluate,
    evaluate_dirs,
    load_mask_sequences,
    load_void_masks,
)


def moving_squares(frames: int = 6, shape: tuple[int, int] = (60, 90)) -> dict[str, np.ndarray]:
    gt = {}
    for k, (y, x) in enumerate([(5, 5), (30, 40), (10, 60)]):
        seq = np.zeros((frames, *shape), bool)
        for t in range(frames):
            seq[t, y : y + 12, x + t : x + t + 12] = True
        gt[f"gt_{k + 1}"] = seq
    return gt


def write_pngs(root: Path, seqs: dict[str, np.ndarray]) -> None:
    for oid, seq in seqs.items():
        (root / oid).mkdir(parents=True)
        for t, frame in enumerate(seq):
            cv2.imwrite(str(root / oid / f"{t:05d}.png"), frame.astype(np.uint8) * 255)


def write_void(root: Path, void: np.ndarray) -> None:
    root.mkdir(parents=True)
    for t, frame in enumerate(void):
        cv2.imwrite(str(root / f"{t:05d}.png"), frame.astype(np.uint8) * 255)


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
    semi = evaluate_dirs(tmp_path / "gt", tmp_path / "gt", protocol="davis-semi-supervised")
    assert semi.protocol == "davis-semi-supervised"
    assert semi.frames == (1, 2, 3, 4)


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


def test_void_folder_is_applied_and_cut_like_the_ground_truth(tmp_path: Path) -> None:
    gt = moving_squares(frames=6)
    pred = {k: v.copy() for k, v in gt.items()}
    for seq in pred.values():
        seq[:, 50:60, 80:90] = True  # a blob in a corner the void covers
    void = np.zeros_like(gt["gt_1"])
    void[:, 48:, 78:] = True
    write_pngs(tmp_path / "gt", gt)
    write_void(tmp_path / "void", void)
    assert np.array_equal(load_void_masks(tmp_path / "void"), void)
    (tmp_path / "pred" / "p").mkdir(parents=True)
    for t in (0, 3, 5):  # strided export of one object
        frame = pred["gt_3"][t].astype(np.uint8) * 255
        cv2.imwrite(str(tmp_path / "pred" / "p" / f"{t:05d}.png"), frame)
    without = evaluate_dirs(tmp_path / "pred", tmp_path / "gt")
    with_void = evaluate_dirs(tmp_path / "pred", tmp_path / "gt", void_dir=tmp_path / "void")
    assert without.per_object["gt_3"].j_mean < 1.0
    assert with_void.per_object["gt_3"].jf_mean == 1.0
    assert with_void.void == "applied"
    assert with_void.frame_count == 3
    direct = evaluate(
        {"p": pred["gt_3"][[0, 3, 5]]},
        {k: v[[0, 3, 5]] for k, v in gt.items()},
        void=void[[0, 3, 5]],
    )
    assert with_void.to_dict() == direct.to_dict()


def test_void_folder_errors(tmp_path: Path) -> None:
    gt = moving_squares(frames=3)
    write_pngs(tmp_path / "gt", gt)
    with pytest.raises(EvaluationError, match="holds no images"):
        load_void_masks(tmp_path / "nothing")
    write_void(tmp_path / "void", np.zeros((2, 60, 90), bool))
    with pytest.raises(EvaluationError, match="2 images but the ground truth has 3 frames"):
        evaluate_dirs(tmp_path / "gt", tmp_path / "gt", void_dir=tmp_path / "void")


def test_evaluate_dirs_validates_options_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="protocol"):
        evaluate_dirs(tmp_path / "missing", tmp_path / "missing", protocol="semi")  # type: ignore[arg-type]
