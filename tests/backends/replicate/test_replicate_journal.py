"""The journal: a re-run resumes the prediction it already paid for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import CLICKS, H, W, fast_backend, make_clip
from sam2_autotrack import OutputsExpiredError, PredictionTimeoutError
from sam2_autotrack.backends.replicate.journal import Journal, is_pending


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "clip.avi"
    return path, make_clip(path)


class CrashError(Exception):
    pass


def test_resume_after_a_crash_does_not_pay_twice(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    path, truth = clip
    work = tmp_path / "work"

    def crash(stage: str, done: int, total: int | None) -> None:
        if stage == "predict":
            raise CrashError

    with pytest.raises(CrashError):
        fast_backend().track(path, CLICKS, work_dir=work, progress=crash)
    journal = list((work / "replicate_journal").glob("*.json"))
    assert len(journal) == 1
    first_id = json.loads(journal[0].read_text())["prediction_id"]
    assert fake_replicate.cancels == []  # a crash is not a Ctrl-C: the prediction keeps running

    tracks = fast_backend().track(path, CLICKS, work_dir=work)
    assert tracks.prediction_ids == (first_id,)
    assert tracks.info["resumed"] is True
    assert (fake_replicate.creates, fake_replicate.uploads) == (1, 1)
    assert (tracks.masks["a"] == truth["a"]).all()

    gets = fake_replicate.gets
    again = fast_backend().track(path, CLICKS, work_dir=work)  # finished and downloaded: no network
    assert fake_replicate.gets == gets
    assert again.masks["b"] == tracks.masks["b"]

    fast_backend(resume=False).track(path, CLICKS, work_dir=work)
    assert fake_replicate.creates == 2


def test_resume_replaces_a_canceled_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True
    with pytest.raises(PredictionTimeoutError):
        fast_backend(timeouts={"prediction": 1.0}).propose(
            np.zeros((H, W, 3), np.uint8), work_dir=tmp_path
        )
    fake_replicate.scenario.hang = False
    fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.creates == 2


def test_resume_of_expired_outputs_says_how_to_rerun(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    def crash(stage: str, done: int, total: int | None) -> None:
        if stage == "download":
            raise CrashError

    with pytest.raises(CrashError):
        fast_backend().track(clip[0], CLICKS, work_dir=tmp_path, progress=crash)
    fake_replicate.scenario.data_removed = True  # an hour later
    with pytest.raises(OutputsExpiredError, match="--no-resume"):
        fast_backend().track(clip[0], CLICKS, work_dir=tmp_path)
    assert fake_replicate.creates == 1


# -- the entry's states (unit) ---------------------------------------------------------------------


def test_an_entry_goes_from_creating_to_created_to_succeeded(tmp_path: Path) -> None:
    journal = Journal(tmp_path, version="v", inputs={"x": 1}, file_sha256={"image": "ab"})
    assert journal.read() is None
    journal.begin(sent_input={"x": 1, "image": "https://files/1"})
    pending = journal.read()
    assert pending is not None
    assert is_pending(pending)
    assert pending["sent_input"]["image"] == "https://files/1"
    journal.created("p1")
    created = journal.read()
    assert created is not None
    assert not is_pending(created)
    assert (created["state"], created["prediction_id"]) == ("created", "p1")
    assert created["sent_input"] == pending["sent_input"]  # kept, to find it again if needed
    journal.succeeded(prediction_id="p1", output=["u"], predict_time=1.0, downloaded=["o.png"])
    done = journal.read()
    assert done is not None
    assert (done["state"], done["status"], done["downloaded"]) == (
        "succeeded",
        "succeeded",
        ["o.png"],
    )
    assert done["file_sha256"] == {"image": "ab"}


def test_entries_of_other_requests_and_broken_files_are_not_read(tmp_path: Path) -> None:
    first = Journal(tmp_path, version="v", inputs={"x": 1}, file_sha256={})
    first.created("p1")
    assert Journal(tmp_path, version="v", inputs={"x": 2}, file_sha256={}).read() is None
    first.path.write_text("{not json")
    assert first.read() is None
    first.path.write_text(json.dumps({"state": "creating"}))  # pending without what was sent
    assert first.read() is None


def test_entries_written_before_the_states_existed_still_resume(tmp_path: Path) -> None:
    journal = Journal(tmp_path, version="v", inputs={}, file_sha256={})
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text(json.dumps({"prediction_id": "old", "version": "v"}))
    entry = journal.read()
    assert entry is not None
    assert entry["prediction_id"] == "old"


# -- issue 14 item 7: NaN/Infinity in the prediction JSON ------------------------------------------


def strict_json(path: Path) -> dict[str, Any]:
    def refuse(constant: str) -> None:
        pytest.fail(f"{path} holds {constant}, which is not JSON")

    value: dict[str, Any] = json.loads(path.read_text(), parse_constant=refuse)
    return value


@pytest.mark.parametrize("where", ["metrics", "output"])
def test_nan_and_infinity_in_the_prediction_never_break_the_journal(
    fake_replicate: FakeReplicate, tmp_path: Path, where: str
) -> None:
    if where == "metrics":
        fake_replicate.scenario.predict_time = float("nan")
    else:
        fake_replicate.scenario.output_extra = {"scores": [float("inf"), float("-inf"), 0.5]}
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = (255, 0, 0)
    first = fast_backend().propose(image, work_dir=tmp_path)
    (path,) = (tmp_path / "replicate_journal").glob("*.json")
    entry = strict_json(path)
    assert (entry["state"], entry["prediction_id"]) == ("succeeded", first.prediction_id)
    if where == "output":
        assert entry["output"]["scores"] == [None, None, 0.5]
    else:
        assert entry["predict_time"] is None

    gets, downloads = fake_replicate.gets, fake_replicate.downloads
    again = fast_backend().propose(image, work_dir=tmp_path)  # from the journal: no network
    assert again.prediction_id == first.prediction_id
    assert (fake_replicate.gets, fake_replicate.downloads) == (gets, downloads)
    assert (again.masks == first.masks).all()
    assert fake_replicate.creates == 1
