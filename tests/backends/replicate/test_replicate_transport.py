"""The transport: one rate gate and one retry policy (429, 5xx, Retry-After) for every request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import H, W, blank, fast_backend
from sam2_autotrack import PredictionTimeoutError, RateLimitError
from sam2_autotrack.backends.replicate.client import ReplicateClient
from sam2_autotrack.backends.replicate.exchange import Deadline
from sam2_autotrack.backends.replicate.transport import RateGate, Transport, retry_after_seconds


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    original = RateGate.defer

    def spy(self: RateGate, seconds: float) -> float:
        seen.append(seconds)
        return original(self, seconds)

    monkeypatch.setattr(RateGate, "defer", spy)
    return seen


def test_429_on_create_honours_retry_after(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 2
    fake_replicate.scenario.retry_after = "0.05"
    fake_replicate.scenario.throttle_detail = "Your rate limit resets in ~7s."
    fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 1
    assert deferrals == [0.05, 0.05]  # the header wins over the body


def test_429_on_create_parses_resets_in_from_body(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 1
    fake_replicate.scenario.throttle_detail = "Your rate limit resets in ~0.04s."
    fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert deferrals == [0.04]
    assert fake_replicate.creates == 1


def test_429_without_hint_backs_off_exponentially(
    fake_replicate: FakeReplicate, tmp_path: Path, deferrals: list[float]
) -> None:
    fake_replicate.scenario.create_429 = 3
    fake_replicate.scenario.throttle_detail = "slow down"
    fast_backend(retries={"backoff_base": 0.005}).propose(
        np.zeros((H, W, 3), np.uint8), work_dir=tmp_path
    )
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
        fast_backend(retries={"max_retries": 2}).propose(
            np.zeros((H, W, 3), np.uint8), work_dir=tmp_path
        )
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 0


def test_500_on_create_is_retried(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.create_500 = 2
    fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert fake_replicate.create_attempts == 3
    assert fake_replicate.creates == 1


def test_503_on_get_then_success(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.get_503 = 2
    proposals = fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
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
        retries={"max_backoff": 0.05, "backoff_base": 0.01, "max_retry_after": 0.05},
    )
    assert client.get("x") is not None  # the GET's 429 is retried after the (capped) wait
    assert len(calls) == 2


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({}, "Your rate limit resets in ~30s.") == 30.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}, "") is None


# -- issue 14 item 3: Retry-After on 503/504 is capped like on 429 ---------------------------------


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause the transport took between retries (rate-gate waits included)."""
    seen: list[float] = []
    original = Transport._pause

    def spy(self: Transport, seconds: float, deadline: Deadline, cancel: Any = None) -> bool:
        slept = original(self, seconds, deadline, cancel)
        if slept and seconds > 0:
            seen.append(seconds)
        return slept

    monkeypatch.setattr(Transport, "_pause", spy)
    return seen


@pytest.mark.parametrize("status", [503, 504])
def test_retry_after_on_5xx_is_capped(status: int, pauses: list[float]) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            return httpx.Response(status, headers={"Retry-After": "86400"}, json={"detail": "x"})
        return httpx.Response(200, json={"id": "x", "status": "processing"})

    client = ReplicateClient(
        api_token="t",
        base_url="http://replicate.test",
        transport=httpx.MockTransport(handler),
        retries={"max_retry_after": 0.05},
    )
    started = time.monotonic()
    assert client.get("x") == {"id": "x", "status": "processing"}
    assert time.monotonic() - started < 2
    assert pauses == [0.05]  # asked for a day, waited the cap
    assert len(calls) == 2


def test_503_with_a_day_long_retry_after_on_the_fake_server(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.get_503 = 2
    fake_replicate.scenario.get_503_retry_after = "86400"
    started = time.monotonic()
    proposals = fast_backend(retries={"max_retry_after": 0.05}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert proposals.prediction_id in fake_replicate.predictions
    assert fake_replicate.gets >= 4  # two 503s, then processing and succeeded


def test_no_retry_after_wait_outlasts_the_run_deadline(
    fake_replicate: FakeReplicate, tmp_path: Path, pauses: list[float]
) -> None:
    fake_replicate.scenario.get_503 = 10_000
    fake_replicate.scenario.get_503_retry_after = "86400"
    started = time.monotonic()
    with pytest.raises(PredictionTimeoutError) as info:
        # the default cap (60 s) is longer than the 1.5 s the run has: never slept
        fast_backend(timeouts={"prediction": 1.5}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 4
    assert all(pause < 1.5 for pause in pauses)
    prediction_id = info.value.prediction_id
    assert prediction_id in fake_replicate.predictions
    assert fake_replicate.cancels == [prediction_id]  # the run ended: stop paying for it
