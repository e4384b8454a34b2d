"""Malformed answers become the library's typed errors, naming the prediction (issue 14 item 5).

On its own, replicate 1.0.7 lets pydantic's ``ValidationError`` (an unknown status on create —
orphaning that prediction), ``JSONDecodeError`` (an HTML page), ``AttributeError`` (a 500 whose
body is ``[]``), ``httpx.TooManyRedirects``, ``DecodingError`` and ``InvalidURL`` escape raw. The
client still creates through the SDK and maps what it raises (test_replicate_sdk.py has each case).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import blank, fast_backend
from sam2_autotrack import DownloadError, ReplicateAPIError
from sam2_autotrack.backends.replicate.failures import api_error
from sam2_autotrack.backends.replicate.transport import Failure


def boxes() -> np.ndarray:
    image = blank()
    image[5:15, 5:25] = (255, 0, 0)
    return image


def journaled_id(work: Path) -> str:
    (path,) = (work / "replicate_journal").glob("*.json")
    return str(json.loads(path.read_text())["prediction_id"])


def test_an_unknown_status_on_create_is_journaled_and_followed(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.create_status = "queued_for_gpu"
    proposals = fast_backend().propose(blank(), work_dir=tmp_path)
    assert journaled_id(tmp_path) == proposals.prediction_id
    assert fake_replicate.creates == 1


def test_an_html_page_on_create_is_not_an_orphan(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.create_body = b"<html><body>Bad Gateway</body></html>"
    proposals = fast_backend().propose(blank(), work_dir=tmp_path)
    assert (fake_replicate.create_attempts, fake_replicate.creates) == (1, 1)
    assert proposals.prediction_id in fake_replicate.predictions  # found in the listing
    assert journaled_id(tmp_path) == proposals.prediction_id


def test_an_html_page_on_a_poll_is_retried(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    fake_replicate.scenario.get_html = 2
    proposals = fast_backend().propose(blank(), work_dir=tmp_path)
    assert proposals.prediction_id in fake_replicate.predictions


def test_html_pages_on_every_poll_are_a_typed_error_naming_the_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    fake_replicate.scenario.get_html = 10_000
    with pytest.raises(ReplicateAPIError, match="not JSON") as info:
        fast_backend(retries={"max_retries": 1}).propose(blank(), work_dir=tmp_path)
    (prediction_id,) = fake_replicate.predictions
    assert info.value.prediction_id == prediction_id
    assert prediction_id in str(info.value)
    assert journaled_id(tmp_path) == prediction_id  # a re-run resumes it


@pytest.mark.parametrize("failures", [2, 10_000])
def test_a_500_whose_body_is_an_empty_list(
    fake_replicate: FakeReplicate, tmp_path: Path, failures: int
) -> None:
    fake_replicate.scenario.create_500 = failures
    fake_replicate.scenario.create_500_body = b"[]"
    if failures == 2:
        fast_backend().propose(blank(), work_dir=tmp_path)
        assert fake_replicate.create_attempts == 3
        return
    with pytest.raises(ReplicateAPIError, match=r"HTTP 500: \[\]") as info:
        fast_backend(retries={"max_retries": 1}).propose(blank(), work_dir=tmp_path)
    assert info.value.status_code == 500
    assert fake_replicate.creates == 0


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("output_redirect_loop", "TooManyRedirects"),
        ("output_bad_encoding", "DecodingError"),
        ("output_urls", "InvalidURL"),
    ],
)
def test_broken_outputs_are_download_errors_naming_the_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path, fault: str, named: str
) -> None:
    if fault == "output_urls":
        fake_replicate.scenario.output_urls = ["http://[::1/mask.png"]
    else:
        setattr(fake_replicate.scenario, fault, True)
    with pytest.raises(DownloadError, match=named) as info:
        fast_backend(retries={"max_retries": 1}).propose(boxes(), work_dir=tmp_path)
    (prediction_id,) = fake_replicate.predictions
    assert info.value.prediction_id == prediction_id
    assert prediction_id in str(info.value)
    assert journaled_id(tmp_path) == prediction_id


def test_every_failure_kind_maps_to_a_typed_error() -> None:
    for kind in ("status", "throttled", "timeout", "deadline", "network", "protocol"):
        error = api_error(Failure("reading prediction p9", kind, "why", 503), prediction_id="p9")  # type: ignore[arg-type]
        assert error.__class__.__module__ == "sam2_autotrack.errors", kind
        assert getattr(error, "prediction_id", None) == "p9", kind
