"""The ``replicate`` SDK makes create, upload and cancel, on our transport (retries, deadlines).

End to end against the fake server (the SDK's User-Agent reaches it; a spy on the SDK's
``Predictions.create`` sees the call), then unit tests through ``httpx.MockTransport``: what the
transport beneath the SDK retries and what it never repeats, the per-operation timeouts it puts
back under the SDK's ``timeout=None``, and every answer the SDK cannot read going through the
orphan search instead of losing a paid prediction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from replicate.prediction import Predictions

from fake_replicate import IMAGE_VERSION, FakeReplicate
from replicate_scenes import blank, fast_backend
from sam2_autotrack import BackendError, PredictionTimeoutError, ReplicateAPIError
from sam2_autotrack.backends.replicate.client import ReplicateClient

TOKEN = "r8_unit_t3st_t0k3n_for_the_sdk"
INPUTS = {"image": "http://replicate.test/v1/files/f1/download", "use_m2m": True}


@pytest.fixture
def sdk_creates(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record every call of the SDK's ``Predictions.create`` (which still runs)."""
    calls: list[dict[str, Any]] = []
    original = Predictions.create

    def spy(self: Predictions, *args: Any, **kwargs: Any) -> Any:
        calls.append(dict(kwargs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Predictions, "create", spy)
    return calls


def test_create_upload_and_cancel_are_sent_by_the_sdk(
    fake_replicate: FakeReplicate, tmp_path: Path, sdk_creates: list[dict[str, Any]]
) -> None:
    fake_replicate.scenario.hang = True
    with pytest.raises(PredictionTimeoutError) as info:
        fast_backend(timeouts={"prediction": 1.0}).propose(blank(), work_dir=tmp_path)
    prediction_id = info.value.prediction_id
    assert fake_replicate.cancels == [prediction_id]

    (call,) = sdk_creates
    assert call["version"] == IMAGE_VERSION
    assert call["input"]["image"].startswith(f"{fake_replicate.url}/v1/files/")
    agents = {(method, path): agent for method, path, agent in fake_replicate.user_agents}
    for route in (
        ("POST", "/v1/files"),
        ("POST", "/v1/predictions"),
        ("POST", f"/v1/predictions/{prediction_id}/cancel"),
    ):
        assert (agents[route] or "").startswith("replicate-python/"), route
    # the polls stay raw JSON (the SDK's model refuses statuses such as "aborted")
    assert (agents[("GET", f"/v1/predictions/{prediction_id}")] or "").startswith("sam2_autotrack")


# -- unit: httpx.MockTransport beneath the SDK -----------------------------------------------------


def prediction(pid: str = "p1", status: str = "starting", **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "model": "meta/sam-2",
        "version": "v",
        "status": status,
        "input": INPUTS,
        "created_at": "2030-01-01T00:00:00Z",
        **extra,
    }


class Api:
    """A scripted API that records every request.

    ``creates`` answer the create attempts in turn; the listing holds ``listed``.
    """

    def __init__(self, *creates: Callable[[httpx.Request], httpx.Response]) -> None:
        self.creates = list(creates)
        self.listed: list[dict[str, Any]] = []
        self.seen: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def count(self, method: str, path: str) -> int:
        return sum(r.method == method and r.url.path == path for r in self.seen)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.bodies.append(request.read())
        if request.method == "POST" and request.url.path == "/v1/predictions":
            return self.creates.pop(0)(request)
        if request.method == "GET" and request.url.path == "/v1/predictions":
            return httpx.Response(200, json={"results": self.listed, "next": None})
        return httpx.Response(404, json={"detail": "no such route"})


def answer(status: int, body: bytes | None = None, **headers: str) -> Callable[..., httpx.Response]:
    content = json.dumps(prediction()).encode() if body is None else body
    return lambda request: httpx.Response(status, content=content, headers=headers)


def fail_with(error: type[httpx.TransportError]) -> Callable[..., httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("scripted", request=request)

    return handler


@pytest.fixture
def make_client() -> Iterator[Callable[..., ReplicateClient]]:
    made: list[ReplicateClient] = []

    def make(api: Api, **options: Any) -> ReplicateClient:
        client = ReplicateClient(
            api_token=TOKEN,
            base_url="http://replicate.test",
            transport=httpx.MockTransport(api),
            retries={"backoff_base": 0.01, "max_retry_after": 0.05},
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize(
    ("first", "posts"),
    [
        (answer(429, b'{"detail": "slow down"}', **{"Retry-After": "0.01"}), 2),
        (answer(500, b'{"detail": "boom"}'), 2),
        (fail_with(httpx.ConnectError), 2),  # it never reached the server: safe to send again
        (answer(502, b"bad gateway"), 1),  # it may have: looked for instead, never sent again
        (fail_with(httpx.ReadError), 1),
    ],
    ids=["429", "500", "connect-error", "502", "read-error"],
)
def test_what_the_transport_beneath_the_sdk_repeats(
    make_client: Callable[..., ReplicateClient],
    first: Callable[..., httpx.Response],
    posts: int,
) -> None:
    api = Api(first, answer(201))
    api.listed = [prediction("p1")]
    assert make_client(api).create("v", INPUTS) == "p1"
    assert api.count("POST", "/v1/predictions") == posts
    assert api.count("GET", "/v1/predictions") == (posts == 1)  # the orphan search
    assert all(r.headers["User-Agent"].startswith("replicate-python/") for r in api.seen[:posts])


def test_per_operation_timeouts_are_put_back_beneath_the_sdks_timeout_none(
    make_client: Callable[..., ReplicateClient],
) -> None:
    api = Api(answer(201))
    timeouts = {"connect": 0.5, "read": 2.0, "write": 3.0, "pool": 0.25, "request": 30.0}
    make_client(api, timeouts=timeouts).create("v", INPUTS)
    (request,) = api.seen
    assert request.extensions["timeout"] == {
        "connect": 0.5,
        "read": 2.0,
        "write": 3.0,
        "pool": 0.25,
    }


UNREADABLE = {
    "unknown-status": (
        json.dumps(prediction(status=f"queued {TOKEN}")).encode(),
        "ValidationError",
    ),
    "html": (b"<html><body>Bad Gateway</body></html>", "JSONDecodeError"),
    "a-list": (b"[]", "TypeError"),
    "no-id": (json.dumps({"status": "starting"}).encode(), "ValidationError"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_answer_the_sdk_cannot_read_is_found_in_the_listing(
    make_client: Callable[..., ReplicateClient], case: str
) -> None:
    body, _ = UNREADABLE[case]
    api = Api(answer(201, body))
    api.listed = [prediction("p7", input={"image": "other"}), prediction("p1")]
    assert make_client(api).create("v", INPUTS) == "p1"
    assert api.count("POST", "/v1/predictions") == 1


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_answer_the_sdk_cannot_read_and_no_orphan_is_a_typed_error(
    make_client: Callable[..., ReplicateClient], case: str
) -> None:
    body, raised = UNREADABLE[case]
    api = Api(answer(201, body))
    with pytest.raises(ReplicateAPIError, match="may have reached Replicate") as info:
        make_client(api).create("v", INPUTS)
    message = str(info.value)
    assert raised in message  # what the SDK raised, named
    assert TOKEN not in message
    assert info.value.__context__ is None  # the SDK's exception (and its text) is not chained
    assert api.count("POST", "/v1/predictions") == 1


def test_an_sdk_refusal_before_sending_is_not_taken_for_a_lost_answer(
    make_client: Callable[..., ReplicateClient],
) -> None:
    api = Api()
    with pytest.raises(BackendError, match="refused to create") as info:
        make_client(api).create("", INPUTS)  # the SDK wants exactly one version/model
    assert not isinstance(info.value, ReplicateAPIError)
    assert "may have reached" not in str(info.value)
    assert api.seen == []  # nothing was sent, so no listing was searched either


def test_a_cancel_is_accepted_even_when_the_sdk_cannot_read_its_answer(
    make_client: Callable[..., ReplicateClient],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/predictions/p1/cancel":
            return httpx.Response(200, json=prediction("p1", status="aborted"))
        return httpx.Response(404, json={"detail": "not found"})

    client = ReplicateClient(
        api_token=TOKEN, base_url="http://replicate.test", transport=httpx.MockTransport(handler)
    )
    with client:
        assert client.cancel("p1") is True
        assert client.cancel("p2") is False  # 404: not accepted


def test_an_upload_is_sent_whole_again_after_a_503(
    make_client: Callable[..., ReplicateClient], tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00video bytes\x01" * 1000)
    file_json = {
        "id": "f1",
        "name": "input_video.mp4",
        "content_type": "video/mp4",
        "size": 14000,
        "etag": "e",
        "checksums": {},
        "metadata": {},
        "created_at": "2030-01-01T00:00:00Z",
        "expires_at": None,
        "urls": {"get": "http://replicate.test/v1/files/f1/download"},
    }
    answers = [
        httpx.Response(503, json={"detail": "busy"}, headers={"Retry-After": "0"}),
        httpx.Response(201, json=file_json),
    ]
    bodies: list[bytes] = []
    agents: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/v1/files")
        bodies.append(request.read())
        agents.append(request.headers["User-Agent"])
        return answers.pop(0)

    client = ReplicateClient(
        api_token=TOKEN,
        base_url="http://replicate.test",
        transport=httpx.MockTransport(handler),
        retries={"backoff_base": 0.01},
    )
    with client:
        url = client.upload(path, filename="input_video.mp4")
    assert url == "http://replicate.test/v1/files/f1/download"
    assert len(bodies) == 2
    for body in bodies:
        assert path.read_bytes() in body
        assert b'name="content"; filename="input_video.mp4"' in body
        assert b"Content-Type: video/mp4" in body
    assert all(agent.startswith("replicate-python/") for agent in agents)


def test_an_upload_answer_the_sdk_cannot_read_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "frame.png"
    path.write_bytes(b"png")
    client = ReplicateClient(
        api_token=TOKEN,
        base_url="http://replicate.test",
        transport=httpx.MockTransport(
            lambda request: httpx.Response(201, json={"urls": {"get": "http://x/f"}})
        ),
    )
    with client, pytest.raises(ReplicateAPIError, match="Replicate-compatible") as info:
        client.upload(path)
    assert "ValidationError" in str(info.value)
