"""``sam2-autotrack eval PRED GT [--json] [--protocol ...] [--objects ...] [--void MASKS]``."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_autotrack.cli import main


def write_pngs(root: Path, seqs: dict[str, np.ndarray]) -> None:
    for oid, seq in seqs.items():
        (root / oid).mkdir(parents=True)
        for t, frame in enumerate(seq):
            cv2.imwrite(str(root / oid / f"{t:05d}.png"), frame.astype(np.uint8) * 255)


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    # gt_1 on every frame, gt_2 enters on frame 2; the prediction finds gt_1 only, plus a blob in
    # a void corner
    gt = {"gt_1": np.zeros((5, 32, 48), bool), "gt_2": np.zeros((5, 32, 48), bool)}
    gt["gt_1"][:, 4:12, 4:12] = True
    gt["gt_2"][2:, 20:28, 30:40] = True
    pred = {"obj_0": gt["gt_1"].copy()}
    pred["obj_0"][:, 28:, 44:] = True
    write_pngs(tmp_path / "gt", gt)
    write_pngs(tmp_path / "pred", pred)
    (tmp_path / "void").mkdir()
    for t in range(5):
        void = np.zeros((32, 48), np.uint8)
        void[26:, 42:] = 255
        cv2.imwrite(str(tmp_path / "void" / f"{t:05d}.png"), void)
    return tmp_path


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["eval", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_eval_defaults_to_the_davis_unsupervised_protocol_and_every_object(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json([str(folders / "pred"), str(folders / "gt")], capsys)
    assert data["protocol"] == "davis-unsupervised"
    assert data["objects"] == "all"
    assert data["void"] == "none"
    assert data["unmatched_gt"] == ["gt_2"]
    # gt_2 is absent on frames 0-1, where the empty prediction scores 1
    assert data["per_object"]["gt_2"]["j_per_frame"] == [1, 1, 0, 0, 0]  # type: ignore[index]
    assert main(["eval", str(folders / "pred"), str(folders / "gt")]) == 0
    text = capsys.readouterr().out
    assert "protocol: davis-unsupervised" in text
    assert "unmatched gt: gt_2" in text


def test_eval_flags_choose_protocol_objects_and_void(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pred, gt = str(folders / "pred"), str(folders / "gt")
    plain = run_json([pred, gt], capsys)
    voided = run_json([pred, gt, "--void", str(folders / "void")], capsys)
    assert voided["void"] == "applied"
    assert voided["per_object"]["gt_1"]["jf_mean"] == 1.0  # type: ignore[index]
    assert plain["per_object"]["gt_1"]["jf_mean"] < 1.0  # type: ignore[index]
    start = run_json([pred, gt, "--objects", "present_at_start"], capsys)
    assert start["excluded_gt"] == ["gt_2"]
    semi = run_json([gt, gt, "--protocol", "davis-semi-supervised"], capsys)
    assert semi["protocol"] == "davis-semi-supervised"
    assert semi["frames"] == [1, 2, 3]
    assert semi["jf_mean"] == 1.0


def test_eval_reports_bad_input_as_a_failure(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # obj_0 is no ground-truth id: the semi-supervised protocol cannot pair it
    code = main(["eval", str(folders / "pred"), str(folders / "gt"), "--protocol",
                 "davis-semi-supervised"])  # fmt: skip
    assert code == 1
    assert "same id" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["eval", str(folders / "pred"), str(folders / "gt"), "--protocol", "davis"])
    assert info.value.code == 2
