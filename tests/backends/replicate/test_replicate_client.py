"""ReplicateClient against the fake server: terminal states, timeouts, cancel on Ctrl-C, tokens."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import CLICKS, H, W, fast_backend, make_clip
from sam2_autotrack import (
    MissingTokenError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionFailedError,
    PredictionTimeoutError,
    ReplicateAPIError,
)


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "clip.avi"
    return path, make_clip(path)


def test_failed_prediction_carries_id_error_and_log_tail(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.final = "failed"
    with pytest.raises(PredictionFailedError) as info:
        fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    error = info.value
    assert error.prediction_id in fake_replicate.predictions
    assert error.prediction_id in str(error)
    assert "CUDA out of memory" in str(error)
    assert error.logs_tail is not None
    assert "RuntimeError: boom" in error.logs_tail


@pytest.mark.parametrize("final", ["canceled", "aborted"])
def test_canceled_and_aborted(fake_replicate: FakeReplicate, tmp_path: Path, final: str) -> None:
    fake_replicate.scenario.final = final
    with pytest.raises(PredictionCanceledError) as info:
        fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert info.value.status == final


def test_data_removed_raises_outputs_expired(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.data_removed = True
    with pytest.raises(OutputsExpiredError, match="one hour") as info:
        fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert "--no-resume" in str(info.value)


def test_timeout_cancels_the_remote_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True
    with pytest.raises(PredictionTimeoutError) as info:
        fast_backend(timeouts={"prediction": 1.0}).propose(
            np.zeros((H, W, 3), np.uint8), work_dir=tmp_path
        )
    assert fake_replicate.cancels == [info.value.prediction_id]
    assert fake_replicate.predictions[info.value.prediction_id or ""].canceled


def test_ctrl_c_from_a_progress_hook_cancels_remotely(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "predict" and done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fast_backend().track(clip[0], CLICKS, work_dir=tmp_path, progress=progress)
    assert fake_replicate.cancels == list(fake_replicate.predictions)


def test_real_sigint_mid_poll_cancels_remotely(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True
    main = threading.main_thread().ident
    assert main is not None
    assert threading.current_thread() is threading.main_thread()

    def interrupt() -> None:
        fake_replicate.wait_for_status("processing", timeout=10)
        signal.pthread_kill(main, signal.SIGINT)

    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    finally:
        sender.join(timeout=10)
    assert len(fake_replicate.cancels) == 1
    assert fake_replicate.predictions[fake_replicate.cancels[0]].canceled


def test_missing_token_fails_before_any_upload(
    fake_replicate: FakeReplicate,
    monkeypatch: pytest.MonkeyPatch,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    with pytest.raises(MissingTokenError, match="REPLICATE_API_TOKEN"):
        fast_backend().track(clip[0], CLICKS, work_dir=tmp_path)
    assert fake_replicate.requests == []


def test_rejected_token(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    with pytest.raises(ReplicateAPIError, match="rejected") as info:
        fast_backend(api_token="wrong").propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert info.value.status_code == 401
    assert fake_replicate.uploads == 0
