"""A create whose answer never comes (issue 14 item 2): bounded, journaled, found, never lost.

replicate 1.0.7 sends ``POST /v1/predictions`` with ``timeout=None``: on its own, a server that
accepted the request and never answered hung the run forever and left a paid prediction nobody
knew about. The SDK still sends the create; the transport beneath it bounds each attempt.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import blank, fast_backend
from sam2_autotrack import PredictionTimeoutError, ReplicateAPIError
from sam2_autotrack.backends.replicate.client import ReplicateClient


def journal_entry(work: Path) -> dict[str, Any]:
    (path,) = (work / "replicate_journal").glob("*.json")
    entry: dict[str, Any] = json.loads(path.read_text())
    return entry


def test_a_create_that_never_answers_is_found_and_resumed(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.silent = frozenset({"create"})
    started = time.monotonic()
    proposals = fast_backend(timeouts={"request": 0.5}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert (fake_replicate.create_attempts, fake_replicate.creates) == (1, 1)  # never sent twice
    assert proposals.prediction_id in fake_replicate.predictions
    entry = journal_entry(tmp_path)
    assert entry["prediction_id"] == proposals.prediction_id
    assert entry["state"] == "succeeded"


def test_an_orphan_not_found_stays_pending_and_a_rerun_adopts_it(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.silent = frozenset({"create", "list"})
    started = time.monotonic()
    with pytest.raises(ReplicateAPIError, match="may have reached Replicate"):
        fast_backend(timeouts={"request": 0.3}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 5
    (orphan,) = fake_replicate.predictions
    entry = journal_entry(tmp_path)
    assert entry["state"] == "creating"
    assert "prediction_id" not in entry
    assert entry["sent_input"]["image"].startswith(fake_replicate.url)  # what was sent

    fake_replicate.scenario.silent = frozenset()
    again = fast_backend().propose(blank(), work_dir=tmp_path)
    assert again.prediction_id == orphan
    assert (fake_replicate.creates, fake_replicate.uploads) == (1, 1)  # paid and uploaded once
    assert journal_entry(tmp_path)["prediction_id"] == orphan


def test_the_deadline_during_create_cancels_the_orphan_it_finds(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.silent = frozenset({"create"})
    fake_replicate.scenario.hang = True
    started = time.monotonic()
    with pytest.raises(PredictionTimeoutError) as info:
        fast_backend(timeouts={"prediction": 1.0}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 4
    (orphan,) = fake_replicate.predictions
    assert info.value.prediction_id == orphan
    assert fake_replicate.cancels == [orphan]
    assert fake_replicate.predictions[orphan].canceled
    assert journal_entry(tmp_path)["prediction_id"] == orphan


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_during_a_create_that_never_answers_cancels_the_orphan(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.silent = frozenset({"create"})
    main = threading.main_thread().ident
    assert main is not None

    def interrupt() -> None:
        deadline = time.monotonic() + 10
        while not fake_replicate.predictions and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        signal.pthread_kill(main, signal.SIGINT)

    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fast_backend().propose(blank(), work_dir=tmp_path)
    finally:
        sender.join(timeout=10)
    (orphan,) = fake_replicate.predictions
    assert fake_replicate.cancels == [orphan]
    assert fake_replicate.predictions[orphan].canceled


# -- the listing (unit, MockTransport) -------------------------------------------------------------


def test_find_pages_through_the_listing_and_never_follows_a_foreign_next() -> None:
    wanted = {"image": "https://api.replicate.test/v1/files/f9/download"}
    pages = {
        "/v1/predictions": {
            "results": [{"id": "p3", "version": "v", "input": {"image": "other"}}],
            "next": "http://replicate.test/v1/predictions?cursor=1",
        },
        "/v1/predictions?cursor=1": {
            "results": [{"id": "p2", "version": "v"}],  # no input: read it
            "next": "http://elsewhere.test/v1/predictions?cursor=2",
        },
    }
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        seen.append((f"{request.url.host}{target}", request.headers.get("Authorization")))
        if target == "/v1/predictions/p2":
            return httpx.Response(200, json={"id": "p2", "status": "processing", "input": {}})
        if target in pages:
            return httpx.Response(200, json=pages[target])
        return httpx.Response(404, json={"detail": "no"})

    client = ReplicateClient(
        api_token="t", base_url="http://replicate.test", transport=httpx.MockTransport(handler)
    )
    assert client.find("v", wanted) is None
    assert [url for url, _ in seen] == [
        "replicate.test/v1/predictions",
        "replicate.test/v1/predictions/p2",
        "replicate.test/v1/predictions?cursor=1",
    ] or [url for url, _ in seen] == [
        "replicate.test/v1/predictions",
        "replicate.test/v1/predictions?cursor=1",
        "replicate.test/v1/predictions/p2",
    ]
    assert all(host.startswith("replicate.test") for host, _ in seen)  # the token stays home

    pages["/v1/predictions?cursor=1"]["results"] = [{"id": "p2", "version": "v", "input": wanted}]
    found = client.find("v", wanted)
    assert found is not None
    assert found["id"] == "p2"
