"""The Replicate backend through the real ``replicate`` client over real HTTP (fake server)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from sam2_autotrack import (
    Click,
    ClickSet,
    DownloadError,
    MissingTokenError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionFailedError,
    PredictionTimeoutError,
    RateLimitError,
    ReplicateAPIError,
)
from sam2_autotrack.backends.replicate.backend import (
    SAM2_IMAGE_VERSION,
    SAM2_VIDEO_VERSION,
    ReplicateBackend,
)
from sam2_autotrack.backends.replicate.client import ReplicateClient, _RateGate, retry_after_seconds
from sam2_autotrack.errors import ConfigError

W, H, T = 80, 48, 12
BG = (30, 30, 30)


def make_clip(path: Path, *, frames: int = T, touching: bool = False) -> dict[str, np.ndarray]:
    """Two flat-colour boxes (red 'a', blue 'b') moving towards each other, lossless FFV1."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    for t in range(frames):
        frame = np.full((H, W, 3), BG, np.uint8)
        a = np.zeros((H, W), bool)
        b = np.zeros((H, W), bool)
        a[10:22, 5 + 2 * t : 17 + 2 * t] = True
        row = slice(14, 26) if touching else slice(28, 40)
        b[row, 62 - 2 * t : 74 - 2 * t] = True
        b &= ~a
        frame[a] = (0, 0, 255)
        frame[b] = (255, 0, 0)
        writer.write(frame)
        truth["a"].append(a)
        truth["b"].append(b)
    writer.release()
    return {k: np.stack(v) for k, v in truth.items()}


CLICKS = ClickSet.build(
    [Click(x=10, y=15, object_id="a"), Click(x=67, y=33, object_id="b")], resolution_wh=(W, H)
)


def backend(**options: Any) -> ReplicateBackend:
    defaults: dict[str, Any] = {"poll_interval": 0.01, "backoff_base": 0.01, "timeout": 20.0}
    return ReplicateBackend(**{**defaults, **options})


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "clip.avi"
    return path, make_clip(path)


def frame0_rgb(path: Path) -> np.ndarray:
    ok, frame = cv2.VideoCapture(str(path)).read()
    assert ok
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


# -- happy paths -----------------------------------------------------------------------------------


def test_propose_decodes_individual_masks(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = (255, 0, 0)
    image[20:40, 40:70] = (0, 255, 0)
    proposals = backend().propose(image, work_dir=tmp_path)
    assert proposals.masks.shape[1:] == (H, W)
    expected = [image[..., 0] == 255, image[..., 1] == 255]
    for truth in expected:
        assert any((mask == truth).all() for mask in proposals.masks)
    # starting -> processing -> succeeded, one create, one upload of a lossless PNG
    assert fake_replicate.creates == 1
    assert fake_replicate.gets >= 2
    created = fake_replicate.predictions[proposals.prediction_id or ""]
    assert created.version == SAM2_IMAGE_VERSION
    assert created.input["use_m2m"] is True
    (_name, content_type, data) = next(iter(fake_replicate.files.values()))
    assert content_type == "image/png"
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), 1), cv2.COLOR_BGR2RGB)
    assert (decoded == image).all()


@pytest.mark.parametrize("strategy", ["split", "separate"])
def test_track_matches_truth(
    fake_replicate: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    strategy: str,
) -> None:
    path, truth = clip
    tracks = backend(per_object=strategy, output_frame_interval=3).track(
        path, CLICKS, work_dir=tmp_path / "work"
    )
    assert list(tracks.frame_indices) == [0, 3, 6, 9]
    assert tracks.frame_count == T
    for oid in ("a", "b"):
        assert (tracks.masks[oid] == truth[oid][::3]).all()
    assert fake_replicate.creates == (2 if strategy == "separate" else 1)
    assert len(tracks.prediction_ids) == fake_replicate.creates
    assert tracks.predict_time == pytest.approx(1.25 * fake_replicate.creates)
    prediction = fake_replicate.predictions[tracks.prediction_ids[0]]
    assert prediction.version == SAM2_VIDEO_VERSION
    assert prediction.input["output_format"] == "png"
    assert prediction.input["output_video"] is False
    # the ORIGINAL file was uploaded byte for byte
    uploaded = {data for _, _, data in fake_replicate.files.values()}
    assert path.read_bytes() in uploaded


def test_split_on_touching_objects_is_close_to_truth(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    path = tmp_path / "touch.avi"
    truth = make_clip(path, touching=True)
    clicks = ClickSet.build(
        [Click(x=10, y=15, object_id="a"), Click(x=67, y=20, object_id="b")], resolution_wh=(W, H)
    )
    tracks = backend().track(path, clicks, work_dir=tmp_path / "work")
    scores = {
        oid: np.mean([iou(m, g) for m, g in zip(tracks.masks[oid], truth[oid], strict=True)])
        for oid in ("a", "b")
    }
    assert min(scores.values()) > 0.8, scores
    union = truth["a"] | truth["b"]
    assert ((tracks.masks["a"] | tracks.masks["b"]) == union).all()
    assert not (tracks.masks["a"] & tracks.masks["b"]).any()


def test_data_uri_outputs_are_decoded(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.data_uri_outputs = True
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = 200
    proposals = backend().propose(image, work_dir=tmp_path)
    assert any((m == (image[..., 0] == 200)).all() for m in proposals.masks)
    assert fake_replicate.downloads == 0


# -- retries ---------------------------------------------------------------------------------------


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    original = _RateGate.defer

    def spy(self: _RateGate, seconds: float) -> float:
        seen.append(seconds)
        return original(self, seconds)

    monkeypatch.setattr(_RateGate, "defer", spy)
    return seen


def test_429_on_create_honours_retry_after(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 2
    fake_replicate.scenario.retry_after = "0.05"
    fake_replicate.scenario.throttle_detail = "Your rate limit resets in ~7s."
    backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 1
    assert deferrals == [0.05, 0.05]  # the header wins over the body


def test_429_on_create_parses_resets_in_from_body(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 1
    fake_replicate.scenario.throttle_detail = "Your rate limit resets in ~0.04s."
    backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert deferrals == [0.04]
    assert fake_replicate.creates == 1


def test_429_without_hint_backs_off_exponentially(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 3
    fake_replicate.scenario.throttle_detail = "slow down"
    backend(backoff_base=0.005).propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert len(deferrals) == 3
    # attempt k waits base * 2**k * jitter (jitter in [0.5, 1])
    for attempt, waited in enumerate(deferrals):
        assert 0.005 * 2**attempt * 0.5 <= waited <= 0.005 * 2**attempt


def test_429_beyond_budget_raises_rate_limit_error(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.create_429 = 50
    fake_replicate.scenario.retry_after = "0"
    with pytest.raises(RateLimitError, match="429"):
        backend(max_retries=2).propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 0


def test_500_on_create_is_retried(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.create_500 = 2
    backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 1


def test_503_on_get_then_success(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.get_503 = 2
    proposals = backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert proposals.prediction_id in fake_replicate.predictions
    assert fake_replicate.gets >= 4  # two 503s, then processing and succeeded


def test_rate_limit_gate_is_shared_across_requests() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "30"}, json={"detail": "slow"})
        return httpx.Response(200, json={"id": "x", "status": "processing"})

    client = ReplicateClient(
        api_token="t",
        base_url="http://replicate.test",
        transport=httpx.MockTransport(handler),
        max_backoff=0.05,
        backoff_base=0.01,
    )
    assert client.get("x") is not None  # the GET's 429 is retried after the (capped) wait
    assert len(calls) == 2


# -- terminal states -------------------------------------------------------------------------------


def test_failed_prediction_carries_id_error_and_log_tail(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.final = "failed"
    with pytest.raises(PredictionFailedError) as info:
        backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
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
        backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert info.value.status == final


def test_data_removed_raises_outputs_expired(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.data_removed = True
    with pytest.raises(OutputsExpiredError, match="one hour") as info:
        backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert "--no-resume" in str(info.value)


@pytest.mark.parametrize("status", [404, 410])
def test_gone_outputs_raise_outputs_expired(
    fake_replicate: FakeReplicate, tmp_path: Path, status: int
) -> None:
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = 200
    fake_replicate.scenario.output_status = status
    with pytest.raises(OutputsExpiredError):
        backend().propose(image, work_dir=tmp_path)


def test_timeout_cancels_the_remote_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True
    with pytest.raises(PredictionTimeoutError) as info:
        backend(timeout=0.2).propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
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
        backend().track(clip[0], CLICKS, work_dir=tmp_path, progress=progress)
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
            backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    finally:
        sender.join(timeout=10)
    assert len(fake_replicate.cancels) == 1
    assert fake_replicate.predictions[fake_replicate.cancels[0]].canceled


def test_separate_strategy_ctrl_c_cancels_every_object(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "predict" and len(fake_replicate.predictions) == 2 and done >= 3:
            raise KeyboardInterrupt

    # the hook runs in the worker threads: the failure stops the sibling, which cancels too
    with pytest.raises(KeyboardInterrupt):
        backend(per_object="separate").track(clip[0], CLICKS, work_dir=tmp_path, progress=progress)
    assert sorted(set(fake_replicate.cancels)) == sorted(fake_replicate.predictions)


# -- resume ----------------------------------------------------------------------------------------


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
        backend().track(path, CLICKS, work_dir=work, progress=crash)
    journal = list((work / "replicate_journal").glob("*.json"))
    assert len(journal) == 1
    first_id = json.loads(journal[0].read_text())["prediction_id"]
    assert fake_replicate.cancels == []  # a crash is not a Ctrl-C: the prediction keeps running

    tracks = backend().track(path, CLICKS, work_dir=work)
    assert tracks.prediction_ids == (first_id,)
    assert tracks.info["resumed"] is True
    assert (fake_replicate.creates, fake_replicate.uploads) == (1, 1)
    assert (tracks.masks["a"] == truth["a"]).all()

    gets = fake_replicate.gets
    again = backend().track(path, CLICKS, work_dir=work)  # finished and downloaded: no network
    assert fake_replicate.gets == gets
    assert (again.masks["b"] == tracks.masks["b"]).all()

    backend(resume=False).track(path, CLICKS, work_dir=work)
    assert fake_replicate.creates == 2


def test_resume_replaces_a_canceled_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True
    with pytest.raises(PredictionTimeoutError):
        backend(timeout=0.1).propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    fake_replicate.scenario.hang = False
    backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.creates == 2


def test_resume_of_expired_outputs_says_how_to_rerun(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    def crash(stage: str, done: int, total: int | None) -> None:
        if stage == "download":
            raise CrashError

    with pytest.raises(CrashError):
        backend().track(clip[0], CLICKS, work_dir=tmp_path, progress=crash)
    fake_replicate.scenario.data_removed = True  # an hour later
    with pytest.raises(OutputsExpiredError, match="--no-resume"):
        backend().track(clip[0], CLICKS, work_dir=tmp_path)
    assert fake_replicate.creates == 1


# -- tokens, configuration -------------------------------------------------------------------------


def test_missing_token_fails_before_any_upload(
    fake_replicate: FakeReplicate,
    monkeypatch: pytest.MonkeyPatch,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    with pytest.raises(MissingTokenError, match="REPLICATE_API_TOKEN"):
        backend().track(clip[0], CLICKS, work_dir=tmp_path)
    assert fake_replicate.requests == []


def test_rejected_token(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    with pytest.raises(ReplicateAPIError, match="rejected") as info:
        backend(api_token="wrong").propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert info.value.status_code == 401
    assert fake_replicate.uploads == 0


def test_token_is_sent_as_bearer_and_never_described(fake_replicate: FakeReplicate) -> None:
    b = backend(api_token=fake_replicate.token)
    b.propose(np.zeros((H, W, 3), np.uint8))
    auth = {a for method, path, a in fake_replicate.requests if path.startswith("/v1/")}
    assert auth == {f"Bearer {fake_replicate.token}"}
    assert fake_replicate.token not in json.dumps(b.describe())


@pytest.mark.parametrize(
    "options",
    [
        {"output_frame_interval": 0},
        {"pred_iou_thresh": 1.5},
        {"use_m2m": 1},
        {"mask_type": "highlighted"},
        {"per_object": "both"},
        {"timeout": 0},
    ],
)
def test_invalid_options_raise_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        ReplicateBackend(**options)


# -- downloads (unit, MockTransport) ---------------------------------------------------------------


def _client_with(handler: Any, **options: Any) -> ReplicateClient:
    return ReplicateClient(
        api_token="t",
        base_url="http://replicate.test",
        transport=httpx.MockTransport(handler),
        backoff_base=0.001,
        **options,
    )


def test_download_is_size_capped(tmp_path: Path) -> None:
    client = _client_with(lambda r: httpx.Response(200, content=b"x" * 100), max_download_bytes=50)
    with pytest.raises(DownloadError, match="max_download_bytes"):
        client.download([("https://files.test/a.png", tmp_path / "a.png")])
    assert not (tmp_path / "a.png").exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temporary left behind


def test_download_retries_then_writes_under_our_name(tmp_path: Path) -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("boom", request=request)
        return httpx.Response(200, content=b"payload")

    client = _client_with(handler)
    dest = tmp_path / "out" / "output_00000.png"
    (path,) = client.download([("https://files.test/../../evil.png", dest)])
    assert path == dest
    assert dest.read_bytes() == b"payload"
    assert len(attempts) == 3


def test_file_hosts_never_see_the_token(tmp_path: Path) -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("Authorization")
        return httpx.Response(200, content=b"png")

    client = _client_with(handler)
    client.download(
        [
            ("https://replicate.delivery/x/frame_00000.png", tmp_path / "a.png"),
            ("http://replicate.test/v1/files/abc", tmp_path / "b.png"),
        ]
    )
    assert seen == {"replicate.delivery": None, "replicate.test": "Bearer t"}


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({}, "Your rate limit resets in ~30s.") == 30.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}, "") is None
