"""Downloads: size cap, retries, our own names, token only for the API host, data: URIs."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import H, W, fast_backend
from sam2_autotrack import DownloadError, OutputsExpiredError
from sam2_autotrack.backends.replicate.client import ReplicateClient


def test_data_uri_outputs_are_decoded(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.data_uri_outputs = True
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = 200
    proposals = fast_backend().propose(image, work_dir=tmp_path)
    assert any((m == (image[..., 0] == 200)).all() for m in proposals.masks)
    assert fake_replicate.downloads == 0


@pytest.mark.parametrize("status", [404, 410])
def test_gone_outputs_raise_outputs_expired(
    fake_replicate: FakeReplicate, tmp_path: Path, status: int
) -> None:
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = 200
    fake_replicate.scenario.output_status = status
    with pytest.raises(OutputsExpiredError):
        fast_backend().propose(image, work_dir=tmp_path)


def _client_with(handler: Any, **options: Any) -> ReplicateClient:
    return ReplicateClient(
        api_token="t",
        base_url="http://replicate.test",
        transport=httpx.MockTransport(handler),
        retries={"backoff_base": 0.001},
        **options,
    )


def test_download_is_size_capped(tmp_path: Path) -> None:
    client = _client_with(
        lambda r: httpx.Response(200, content=b"x" * 100), limits={"max_download_bytes": 50}
    )
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


# -- issue 14 item 8: one failed download stops its siblings ---------------------------------------


def four_boxes() -> np.ndarray:
    image = np.zeros((H, W, 3), np.uint8)
    for index, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]):
        image[5 : 15 + 4 * index, 5 + 18 * index : 20 + 18 * index] = colour
    return image


def test_one_failed_download_stops_its_siblings_at_once(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    # Every output is a 1 GiB file trickling in at ~6 MB/s; one of them is refused (403).
    fake_replicate.scenario.output_size = 1 << 30
    fake_replicate.scenario.output_chunk_delay = 0.01
    fake_replicate.scenario.output_fail = "mask_2.png"
    backend = fast_backend()  # kept alive: closing its connections is not what stops them
    started = time.monotonic()
    with pytest.raises(DownloadError, match="HTTP 403") as info:
        backend.propose(four_boxes(), work_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert info.value.prediction_id in fake_replicate.predictions
    sent_at_error = fake_replicate.output_bytes
    time.sleep(0.5)
    # The siblings' connections are shut: at most a chunk or so per sibling was in flight.
    assert fake_replicate.output_bytes - sent_at_error <= 4 * (64 << 10)
    assert sent_at_error < 64 << 20
    leftovers = [p for p in (tmp_path / "replicate_outputs").rglob("*") if p.is_file()]
    assert leftovers == []  # no partial (temporary) file left behind
    backend.close()


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_during_downloads_stops_them_and_leaves_no_partial_file(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.output_size = 1 << 30
    fake_replicate.scenario.output_chunk_delay = 0.01
    main = threading.main_thread().ident
    assert main is not None

    def interrupt() -> None:
        deadline = time.monotonic() + 10
        while fake_replicate.output_bytes < 1 << 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGINT)

    backend = fast_backend()  # kept alive: closing its connections is not what stops them
    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            backend.propose(four_boxes(), work_dir=tmp_path)
    finally:
        sender.join(timeout=10)
    sent_at_interrupt = fake_replicate.output_bytes
    time.sleep(0.5)
    assert fake_replicate.output_bytes - sent_at_interrupt <= 8 * (64 << 10)
    leftovers = [p for p in (tmp_path / "replicate_outputs").rglob("*") if p.is_file()]
    assert leftovers == []
    backend.close()
