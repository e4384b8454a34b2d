"""Wall-clock deadlines (issue 14 item 4): drip-fed and silent peers cost seconds, not hours."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import blank, fast_backend
from sam2_autotrack import DownloadError, PredictionTimeoutError, ReplicateAPIError
from sam2_autotrack.backends.replicate.exchange import (
    Deadline,
    WallClockTimeoutError,
    exchange,
    read_json,
)


def boxes() -> np.ndarray:
    image = blank()
    image[5:15, 5:25] = (255, 0, 0)
    return image


def test_a_drip_fed_poll_answer_is_cut_at_the_request_deadline(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    # ~1 KB of prediction JSON at one byte every 50 ms: each poll would take about a minute,
    # and no single read ever waits long enough to trip httpx's read timeout.
    fake_replicate.scenario.drip = {"get": 0.05}
    started = time.monotonic()
    with pytest.raises(PredictionTimeoutError) as info:
        fast_backend(timeouts={"request": 0.4, "prediction": 2.0}).propose(
            blank(), work_dir=tmp_path
        )
    assert time.monotonic() - started < 5
    prediction_id = info.value.prediction_id
    assert prediction_id in fake_replicate.predictions
    assert fake_replicate.cancels == [prediction_id]
    entry = json.loads(next((tmp_path / "replicate_journal").glob("*.json")).read_text())
    assert entry["prediction_id"] == prediction_id


def test_a_drip_fed_poll_fails_after_its_retries_within_their_budgets(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.drip = {"get": 0.05}
    started = time.monotonic()
    with pytest.raises(ReplicateAPIError, match=r"no complete answer within 0\.3 s") as info:
        fast_backend(timeouts={"request": 0.3}, retries={"max_retries": 2}).propose(
            blank(), work_dir=tmp_path
        )
    assert time.monotonic() - started < 5  # three attempts of 0.3 s, short backoffs
    assert "reading prediction" in str(info.value)


def test_a_silent_file_host_costs_one_download_budget_per_attempt(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.silent = frozenset({"output"})
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"no complete answer within 0\.3 s"):
        fast_backend(timeouts={"download": 0.3}, retries={"max_retries": 1}).propose(
            boxes(), work_dir=tmp_path
        )
    assert time.monotonic() - started < 5


def test_the_run_deadline_bounds_the_downloads_and_a_rerun_resumes(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.drip = {"output": 0.05}
    started = time.monotonic()
    with pytest.raises(PredictionTimeoutError, match="journaled") as info:
        fast_backend(timeouts={"prediction": 1.5}).propose(boxes(), work_dir=tmp_path)
    assert time.monotonic() - started < 4
    prediction_id = info.value.prediction_id
    assert prediction_id in fake_replicate.predictions
    assert fake_replicate.cancels == []  # it succeeded: nothing to cancel, nothing lost
    assert not list((tmp_path / "replicate_outputs").rglob(".*"))  # no partial file left

    fake_replicate.scenario.drip = {}
    again = fast_backend().propose(boxes(), work_dir=tmp_path)
    assert again.prediction_id == prediction_id
    assert fake_replicate.creates == 1


def test_the_run_deadline_bounds_the_upload(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.drip = {"upload": 0.05}
    started = time.monotonic()
    with pytest.raises(PredictionTimeoutError, match="uploading") as info:
        fast_backend(timeouts={"prediction": 1.0}).propose(blank(), work_dir=tmp_path)
    assert time.monotonic() - started < 3
    assert info.value.prediction_id is None
    assert fake_replicate.creates == 0  # nothing was created, nothing is billed


# -- the exchange itself: headers drip-fed by a raw socket server ----------------------------------


@pytest.fixture
def header_dripper() -> Iterator[str]:
    """Serve TCP: answer every request with its status line, one byte every 100 ms."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 100:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host, port = listener.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def test_drip_fed_headers_are_cut_at_the_deadline(header_dripper: str) -> None:
    with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
        started = time.monotonic()
        outcome = exchange(
            client,
            client.build_request("GET", header_dripper),
            read_json(1 << 20),
            until=Deadline.after(0.5),
        )
        elapsed = time.monotonic() - started
    assert isinstance(outcome.error, WallClockTimeoutError)
    assert elapsed < 1.5  # the connection's socket was shut down: no waiting for the read timeout
