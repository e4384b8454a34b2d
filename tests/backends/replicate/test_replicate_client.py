"""ReplicateClient against the fake server: terminal states, timeouts, cancel on Ctrl-C, tokens."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import CLICKS, H, W, fast_backend, make_clip
from sam2_autotrack import (
    AutoTracker,
    ExportOptions,
    MissingTokenError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionFailedError,
    PredictionTimeoutError,
    ReplicateAPIError,
)
from sam2_autotrack.backends.replicate import ReplicateBackend
from sam2_autotrack.backends.replicate.outputs import individual_masks


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


@pytest.mark.usefixtures("sigint_raises")
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


# -- issue 14 item 9: the token never leaves the client --------------------------------------------

SECRET = "r8_s3cr3t_t0k3n_v4lu3"


@pytest.fixture
def echoing(fake_replicate: FakeReplicate, monkeypatch: pytest.MonkeyPatch) -> FakeReplicate:
    """Return the fake server with a realistic token, copied into everything it answers."""
    fake_replicate.token = SECRET
    monkeypatch.setenv("REPLICATE_API_TOKEN", SECRET)
    fake_replicate.scenario.echo_token = True
    return fake_replicate


def files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_an_echoed_token_is_scrubbed_from_a_failed_prediction(
    echoing: FakeReplicate, tmp_path: Path
) -> None:
    echoing.scenario.final = "failed"
    with pytest.raises(PredictionFailedError) as info:
        fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    error = info.value
    assert SECRET not in str(error)
    assert error.logs_tail is not None
    assert SECRET not in error.logs_tail
    assert "[redacted]" in error.logs_tail  # the line is kept, the secret is not
    assert files_holding(tmp_path, SECRET) == []


def test_an_echoed_token_is_scrubbed_from_http_errors(
    echoing: FakeReplicate, tmp_path: Path
) -> None:
    echoing.scenario.create_500 = 100
    with pytest.raises(ReplicateAPIError, match="HTTP 500") as info:
        fast_backend(retries={"max_retries": 1}).propose(
            np.zeros((H, W, 3), np.uint8), work_dir=tmp_path
        )
    assert SECRET not in str(info.value)
    assert "[redacted]" in str(info.value)


def test_a_rejected_token_is_not_repeated_back(echoing: FakeReplicate, tmp_path: Path) -> None:
    wrong = "r8_an0th3r_s3cr3t_th4t_1s_wr0ng"
    with pytest.raises(ReplicateAPIError, match="rejected") as info:
        fast_backend(api_token=wrong).propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert wrong not in str(info.value)


def test_an_echoed_token_never_reaches_the_journal_or_the_result(
    echoing: FakeReplicate, tmp_path: Path
) -> None:
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = (255, 0, 0)
    backend = fast_backend()
    proposals = backend.propose(image, work_dir=tmp_path)
    assert len(proposals) >= 1
    journal = json.loads(next((tmp_path / "replicate_journal").glob("*.json")).read_text())
    assert journal["output"]["debug"].endswith("=[redacted]]")
    assert files_holding(tmp_path, SECRET) == []
    assert SECRET not in json.dumps(backend.describe())
    result = backend.client.run(
        backend.models.image_version,
        backend.image_inputs.as_input(),
        files={"image": next((tmp_path / "replicate_inputs").glob("*.png"))},
        work_dir=tmp_path / "again",
        select_outputs=individual_masks,
    )
    assert SECRET not in json.dumps(result.prediction)


def test_credentials_in_the_base_url_are_not_described() -> None:
    backend = ReplicateBackend(base_url="https://user:r8_in_the_url@api.example.test:8443")
    assert backend.describe()["base_url"] == "https://api.example.test:8443"


def test_an_echoed_token_never_reaches_a_run_folder(
    echoing: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = AutoTracker(fast_backend()).track(clip[0], out, exports=ExportOptions(coco=True))
    assert len(result.prediction_ids) == 2
    assert (out / "manifest.json").is_file()
    assert files_holding(out, SECRET) == []
