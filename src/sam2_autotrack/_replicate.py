"""Replicate's hosted SAM 2 as a backend: a robust client wrapper and :class:`ReplicateBackend`.

The wrapper drives the official ``replicate`` client (its HTTP client carries the token, the base
URL, the user agent and retries GETs on 429/503/504) and adds what a batch pipeline needs:

* a token check *before* anything is uploaded (:class:`~sam2_autotrack.MissingTokenError`);
* prediction creation with bounded retries on 429 (``Retry-After``, or "resets in ~30s" in the
  body, or exponential backoff with jitter), on connection errors and on 5xx, and a rate-limit
  backoff shared by every thread using the same client;
* polling of the *raw* prediction JSON with backoff until a terminal status (``replicate`` 1.0.7's
  ``Prediction`` model rejects the ``aborted`` status, so it is never parsed with it); ``aborted``
  is treated like ``canceled``;
* a ``timeout`` that cancels the remote prediction, and Ctrl-C handling that cancels it too;
* a journal of created predictions, so that a re-run with the same inputs resumes the prediction it
  already paid for instead of creating a new one;
* concurrent, retried, size-capped, atomic downloads under names chosen here.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import contextlib
import email.utils
import hashlib
import json
import math
import os
import re
import tempfile
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray
from replicate.client import Client as _SDKClient
from replicate.exceptions import ReplicateError

from ._backend import MaskProposals, ObjectTracks, ProgressCallback
from ._clicks import ClickSet
from ._errors import (
    BackendConfigError,
    BackendError,
    ClickError,
    DownloadError,
    MaskError,
    MissingTokenError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionError,
    PredictionFailedError,
    PredictionTimeoutError,
    RateLimitError,
    ReplicateAPIError,
    VideoNotFoundError,
)
from ._fs import atomic_path, file_sha256, write_bytes_atomic, write_json_atomic
from ._mask_io import decode_mask
from ._union_split import split_union
from ._video_prepare import PreparedVideo, check_prepare_options, prepare_upload

__all__ = [
    "DEFAULT_BASE_URL",
    "SAM2_IMAGE_MODEL",
    "SAM2_IMAGE_VERSION",
    "SAM2_VIDEO_MODEL",
    "SAM2_VIDEO_VERSION",
    "PredictionResult",
    "ReplicateBackend",
    "ReplicateClient",
]

SAM2_IMAGE_MODEL = "meta/sam-2"
"""The hosted automatic mask generator (frame-0 proposals)."""
SAM2_IMAGE_VERSION = "fe97b453a6455861e3bac769b441ca1f1086110da7466dbb65cf1eecfd60dc83"
"""Pinned version of ``meta/sam-2`` (override with ``ReplicateBackend(image_version=...)``)."""
SAM2_VIDEO_MODEL = "meta/sam-2-video"
"""The hosted video predictor (tracking from clicks)."""
SAM2_VIDEO_VERSION = "33432afdfc06a10da6b4018932893d39b0159f838b6d11dd1236dff85cc5ec1d"
"""Pinned version of ``meta/sam-2-video`` (override: ``ReplicateBackend(video_version=...)``)."""
DEFAULT_BASE_URL = "https://api.replicate.com"
"""Replicate's API, used unless ``base_url=`` or ``REPLICATE_BASE_URL`` says otherwise."""

TOKEN_ENV = "REPLICATE_API_TOKEN"
BASE_URL_ENV = "REPLICATE_BASE_URL"

_FAILED = "failed"
_SUCCEEDED = "succeeded"
_CANCELED_STATES = frozenset({"canceled", "aborted"})
_TERMINAL = frozenset({_SUCCEEDED, _FAILED}) | _CANCELED_STATES
_RESETS_IN_RE = re.compile(r"resets in\s*~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_SAFE_SUFFIXES = frozenset({".png", ".webp", ".jpg", ".jpeg", ".mp4", ".json", ".txt"})
_MIME_SUFFIX = {
    "image/png": ".png",
    "image/webp": ".webp",
    "image/jpeg": ".jpg",
    "video/mp4": ".mp4",
    "application/json": ".json",
    "text/plain": ".txt",
}
_JOURNAL_DIR = "replicate_journal"
_OUTPUT_DIR = "replicate_outputs"
_INPUT_DIR = "replicate_inputs"
_LOG_TAIL_LINES = 20
_ASKED_HEADER = "X-Autotrack-Retry-After"
_PREPARE_TIMEOUT_S = 3600.0

Json = dict[str, Any]
OutputSelector = Callable[[Any], Sequence[Any]]


# -- small helpers ---------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _journal_key(
    version: str,
    inputs: Mapping[str, Any],
    file_digests: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> str:
    identity: dict[str, Any] = {
        "version": version,
        "input": dict(inputs),
        "files": dict(file_digests),
    }
    if extra:  # absent when empty, so keys of runs without extras never change
        identity["extra"] = dict(extra)
    canonical = json.dumps(
        identity,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _logs_tail(logs: Any, lines: int = _LOG_TAIL_LINES) -> str | None:
    if not isinstance(logs, str) or not logs.strip():
        return None
    return "\n".join(logs.rstrip().splitlines()[-lines:])


def retry_after_seconds(headers: Mapping[str, str], body: str = "") -> float | None:
    """Return how long a throttled (429) response asks us to wait, if it says so.

    ``Retry-After`` (seconds or an HTTP date) wins; otherwise Replicate's body text
    "... resets in ~30s" is parsed.

    Examples
    --------
    >>> retry_after_seconds({"Retry-After": "3"})
    3.0
    >>> retry_after_seconds({}, '{"detail": "Your rate limit resets in ~12s."}')
    12.0
    >>> retry_after_seconds({}, "slow down") is None
    True
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    raw = (lowered.get("retry-after") or "").strip()
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                when = email.utils.parsedate_to_datetime(raw)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    match = _RESETS_IN_RE.search(body or "")
    if match:
        return float(match.group(1))
    return None


class _RateGate:
    """A shared "not before" time: when one request is throttled, every request waits."""

    def __init__(self, *, max_wait: float) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._max_wait = max_wait

    def defer(self, seconds: float) -> float:
        seconds = min(max(seconds, 0.0), self._max_wait)
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
        return seconds

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._not_before - time.monotonic())

    def wait(self) -> None:
        # Bounded: defer() never sets more than max_wait ahead, and we re-check after sleeping.
        while (left := self.remaining()) > 0:
            time.sleep(min(left, self._max_wait))


class _GatedTransport(httpx.BaseTransport):
    """Wraps an httpx transport: waits on the shared gate before each request, feeds 429s to it.

    When a 429 says how long to wait (``Retry-After`` or "resets in ~Ns"), every request through
    this transport waits that long (capped), and the ``Retry-After`` is rewritten to the capped
    value so ``replicate``'s own ``RetryTransport`` never sleeps longer than the cap either.
    """

    def __init__(self, inner: httpx.BaseTransport, gate: _RateGate) -> None:
        self._inner = inner
        self._gate = gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._gate.wait()
        response = self._inner.handle_request(request)
        if response.status_code != 429:
            return response
        try:
            body = response.read()  # decoded: a 429 body is a small JSON problem document
        finally:
            response.close()
        asked = retry_after_seconds(response.headers, body.decode("utf-8", errors="replace"))
        dropped = {"retry-after", "content-encoding", "content-length", "transfer-encoding"}
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped]
        if asked is not None:
            waited = self._gate.defer(asked)
            headers.append(("Retry-After", str(math.floor(waited))))  # the gate waits the rest
            headers.append((_ASKED_HEADER, repr(waited)))
        return httpx.Response(
            429, headers=headers, content=body, request=request, extensions=response.extensions
        )

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class PredictionResult:
    """A finished prediction and its downloaded outputs.

    Parameters
    ----------
    prediction_id
        Replicate's id (``https://replicate.com/p/<id>``).
    output
        The prediction's raw JSON ``output``.
    files
        The selected outputs, downloaded, in output order (names chosen by the client).
    predict_time
        Billed seconds (``metrics.predict_time``), when reported.
    resumed
        ``True`` when an earlier prediction from the journal was reused instead of creating one.
    seconds
        Wall time of the whole call.
    prediction
        The final prediction JSON (or the journal entry when nothing had to be fetched).
    """

    prediction_id: str
    output: Any
    files: tuple[Path, ...] = ()
    predict_time: float | None = None
    resumed: bool = False
    seconds: float = 0.0
    prediction: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _flatten_outputs(output: Any) -> list[Any]:
    if output is None:
        return []
    if isinstance(output, Mapping):
        return [item for value in output.values() for item in _flatten_outputs(value)]
    if isinstance(output, (list, tuple)):
        return [item for value in output for item in _flatten_outputs(value)]
    return [output]


def _source_url(source: Any) -> str:
    url = getattr(source, "url", None)  # replicate.helpers.FileOutput
    if isinstance(url, str):
        return url
    if isinstance(source, str):
        return source
    raise DownloadError(
        f"cannot download an output of type {type(source).__name__}; expected a URL string or a "
        "replicate FileOutput (check the model's output schema)"
    )


def _suffix_for(url: str) -> str:
    if url.startswith("data:"):
        mime = url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
        return _MIME_SUFFIX.get(mime, ".bin")
    suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower()
    return suffix if suffix in _SAFE_SUFFIXES else ".bin"


def _decode_data_uri(url: str, max_bytes: int) -> bytes:
    header, _, payload = url.partition(",")
    try:
        if header.endswith(";base64"):
            if len(payload) * 3 // 4 > max_bytes + 3:
                raise DownloadError(
                    f"data: URI output is larger than max_download_bytes={max_bytes}; raise "
                    "max_download_bytes if the output is expected to be this big",
                    url=url[:64],
                )
            data = base64.b64decode(payload, validate=False)
        else:
            data = urllib.parse.unquote_to_bytes(payload)
    except binascii.Error as exc:
        raise DownloadError(
            f"malformed base64 in a data: URI output ({exc}); the model returned a broken file",
            url=url[:64],
        ) from None
    if len(data) > max_bytes:
        raise DownloadError(
            f"data: URI output has {len(data)} bytes, more than max_download_bytes={max_bytes}; "
            "raise max_download_bytes if the output is expected to be this big",
            url=url[:64],
        )
    return data


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# -- the client wrapper ----------------------------------------------------------------------------


class ReplicateClient:
    """A thread-safe wrapper around ``replicate.Client`` that survives the real world.

    One instance can be shared by concurrent jobs: requests go through one connection pool and a
    rate-limit gate, so when one request is throttled (429) every other request waits too.

    Parameters
    ----------
    api_token
        Replicate API token; defaults to ``$REPLICATE_API_TOKEN``, read at the first request. A
        missing token raises :class:`~sam2_autotrack.MissingTokenError` before anything is
        uploaded.
    base_url
        API root; defaults to ``$REPLICATE_BASE_URL``, then ``https://api.replicate.com``.
    transport
        An ``httpx.BaseTransport`` used for the API *and* for downloads (tests inject
        ``httpx.MockTransport``); default: a fresh ``httpx.HTTPTransport``.
    poll_interval, max_poll_interval
        First and largest pause between status polls (the pause grows 1.5x per poll).
    max_retries
        Retries of a request after a 429, a 5xx or a connection error (then it fails).
    backoff_base, max_backoff
        Exponential backoff ``backoff_base * 2**attempt`` seconds with jitter, capped; also caps
        any ``Retry-After`` the server asks for.
    request_timeout, upload_timeout, cancel_timeout
        Seconds allowed for one API request, one file upload and a best-effort cancel.
    download_concurrency
        Parallel downloads.
    max_download_bytes
        Largest output file accepted.
    rng
        Randomness for the backoff jitter.

    Examples
    --------
    >>> client = ReplicateClient(api_token="r8_example", base_url="http://127.0.0.1:9")
    >>> client.base_url
    'http://127.0.0.1:9'
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        poll_interval: float = 0.5,
        max_poll_interval: float = 5.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        max_backoff: float = 60.0,
        request_timeout: float = 30.0,
        upload_timeout: float = 600.0,
        cancel_timeout: float = 5.0,
        download_concurrency: int = 8,
        max_download_bytes: int = 1 << 30,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        checks = {
            "poll_interval": poll_interval > 0,
            "max_poll_interval": max_poll_interval >= poll_interval,
            "max_retries": max_retries >= 0,
            "backoff_base": backoff_base >= 0,
            "max_backoff": max_backoff >= 0,
            "request_timeout": request_timeout > 0,
            "upload_timeout": upload_timeout > 0,
            "cancel_timeout": cancel_timeout > 0,
            "download_concurrency": download_concurrency >= 1,
            "max_download_bytes": max_download_bytes >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise BackendConfigError(
                    f"ReplicateClient({name}=...) is out of range; timeouts and intervals must be "
                    "positive (max_poll_interval >= poll_interval), counts >= 1, retries >= 0"
                )
        self._api_token = api_token
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self.upload_timeout = upload_timeout
        self.cancel_timeout = cancel_timeout
        self.download_concurrency = download_concurrency
        self.max_download_bytes = max_download_bytes
        self._rng = _as_rng(rng)
        self._rng_lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._gate = _RateGate(max_wait=max_backoff)
        self._transport = _GatedTransport(
            transport if transport is not None else httpx.HTTPTransport(),
            self._gate,
        )
        self._replicate: _SDKClient | None = None
        self._api: httpx.Client | None = None
        self._downloads: httpx.Client | None = None
        # Close the connection pools when the wrapper is garbage collected (no ResourceWarning);
        # the finalizer holds the list, not the wrapper.
        self._open: list[httpx.Client] = []
        weakref.finalize(self, _close_clients, self._open)

    # -- lifecycle ---------------------------------------------------------------------------

    def _ensure_clients(self) -> tuple[_SDKClient, httpx.Client, httpx.Client]:
        with self._init_lock:
            if self._replicate is None or self._api is None or self._downloads is None:
                token = self._api_token or os.environ.get(TOKEN_ENV) or ""
                if not token.strip():
                    raise MissingTokenError(
                        f"no Replicate API token: set the {TOKEN_ENV} environment variable (or "
                        "pass api_token=...); get one at https://replicate.com/account/api-tokens"
                        " — or use the embedded CPU engine with backend='local'"
                    )
                timeout = httpx.Timeout(
                    self.request_timeout, connect=min(10.0, self.request_timeout)
                )
                self._replicate = _SDKClient(
                    api_token=token.strip(),
                    base_url=self.base_url,
                    timeout=timeout,
                    transport=self._transport,
                )
                self._api = self._replicate._client
                self._downloads = httpx.Client(
                    transport=self._transport, timeout=timeout, follow_redirects=True
                )
                self._open.extend([self._api, self._downloads])
            return self._replicate, self._api, self._downloads

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used: it reconnects lazily)."""
        with self._init_lock:
            _close_clients(self._open)
            self._replicate = self._api = self._downloads = None

    def __enter__(self) -> ReplicateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backoff -----------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        with self._rng_lock:
            jitter = float(self._rng.uniform(0.5, 1.0))
        return min(self.max_backoff, self.backoff_base * (2.0**attempt)) * jitter

    def _sleep_for_retry(self, attempt: int, response: httpx.Response | None) -> None:
        if response is not None and response.status_code == 429:
            # Shared: every thread using this client waits out the same throttle window. The
            # gate transport already recorded the server's wish (Retry-After / "resets in ~Ns").
            if response.headers.get(_ASKED_HEADER) is None:
                self._gate.defer(self._backoff(attempt))
            self._gate.wait()
            return
        time.sleep(self._backoff(attempt))

    def _request_with_retries(
        self,
        what: str,
        send: Callable[[], httpx.Response],
        *,
        retry_read_errors: bool,
    ) -> httpx.Response:
        """Send with bounded retries on 429, 5xx and connection errors; return a 2xx response."""
        last: str = ""
        for attempt in range(self.max_retries + 1):
            response: httpx.Response | None = None
            try:
                response = send()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                last = f"connection failed ({exc.__class__.__name__}: {exc})"
            except httpx.TransportError as exc:
                if not retry_read_errors:
                    raise ReplicateAPIError(
                        f"{what} failed mid-request ({exc.__class__.__name__}: {exc}); it may "
                        "have reached Replicate — check https://replicate.com/predictions before "
                        "re-running, or raise request_timeout"
                    ) from exc
                last = f"request failed ({exc.__class__.__name__}: {exc})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                if status != 429 and status < 500:
                    raise _api_error(what, response)
                last = f"HTTP {status}: {_detail(response)}"
            if attempt == self.max_retries:
                break
            self._sleep_for_retry(attempt, response)
        if last.startswith("HTTP 429"):
            raise RateLimitError(
                f"{what}: Replicate kept throttling (429) after {self.max_retries} retries "
                f"({last}); wait a minute, lower the concurrency, or add a payment method to raise "
                "the rate limit",
                status_code=429,
            )
        raise ReplicateAPIError(
            f"{what} failed after {self.max_retries} retries: {last}; check your network and "
            "https://www.replicatestatus.com, then re-run (the journal resumes created predictions)"
        )

    # -- API calls ---------------------------------------------------------------------------

    def upload(self, path: Path, *, filename: str | None = None) -> str:
        """Upload one file through the Files API and return its URL (``urls.get``).

        Same multipart layout as ``replicate.Client.files.create`` (field ``content``), but with
        an explicit ``upload_timeout`` and retries.
        """
        _, api, _ = self._ensure_clients()
        name = filename or path.name
        content_type = _MIME_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")

        def send() -> httpx.Response:
            with path.open("rb") as handle:
                return api.post(
                    "/v1/files",
                    files={"content": (name, handle, content_type)},
                    timeout=self.upload_timeout,
                )

        response = self._request_with_retries(f"uploading {name}", send, retry_read_errors=True)
        body = response.json()
        try:
            return str(body["urls"]["get"])
        except (KeyError, TypeError):
            raise ReplicateAPIError(
                f"the Files API answered without urls.get for {name}: {str(body)[:200]}; is "
                "base_url a Replicate-compatible API?"
            ) from None

    def create(self, version: str, inputs: Mapping[str, Any]) -> str:
        """Create a prediction of a model version and return its id (no waiting).

        Uses ``replicate.Client.predictions.create(version=..., input=...)`` (``POST
        /v1/predictions``, which serves community models such as ``meta/sam-2``). ``inputs`` must
        already be JSON (upload files first with :meth:`upload`).
        """
        client, _, _ = self._ensure_clients()
        prediction_id: list[str] = []

        def send() -> httpx.Response:
            try:
                created = client.predictions.create(version=version, input=dict(inputs))
            except ReplicateError as exc:
                return httpx.Response(
                    exc.status or 500,
                    json=exc.to_dict(),
                    headers=(
                        {_ASKED_HEADER: repr(self._gate.remaining())}
                        if exc.status == 429 and self._gate.remaining() > 0
                        else {}
                    ),
                )
            prediction_id.append(created.id)
            return httpx.Response(201)

        self._request_with_retries("creating a prediction", send, retry_read_errors=False)
        return prediction_id[-1]

    def get(self, prediction_id: str) -> Json | None:
        """Return a prediction's raw JSON, or ``None`` when Replicate does not know the id."""
        _, api, _ = self._ensure_clients()
        response = self._request_with_retries_allowing_404(
            f"reading prediction {prediction_id}",
            lambda: api.get(f"/v1/predictions/{prediction_id}"),
        )
        if response is None:
            return None
        body = response.json()
        if not isinstance(body, dict) or "status" not in body:
            raise ReplicateAPIError(
                f"prediction {prediction_id} came back without a status: {str(body)[:200]}; is "
                "base_url a Replicate-compatible API?"
            )
        return body

    def _request_with_retries_allowing_404(
        self, what: str, send: Callable[[], httpx.Response]
    ) -> httpx.Response | None:
        missing: list[bool] = []

        def wrapped() -> httpx.Response:
            response = send()
            if response.status_code in (404, 410):
                missing.append(True)
                return httpx.Response(200)
            return response

        response = self._request_with_retries(what, wrapped, retry_read_errors=True)
        return None if missing else response

    def cancel(self, prediction_id: str) -> bool:
        """Ask Replicate to cancel a prediction; best effort, bounded by ``cancel_timeout``.

        Returns whether the request was accepted. Never raises for network problems.
        """
        try:
            _, api, _ = self._ensure_clients()
            response = api.post(
                f"/v1/predictions/{prediction_id}/cancel", timeout=self.cancel_timeout
            )
        except (httpx.HTTPError, MissingTokenError):
            return False
        return 200 <= response.status_code < 300

    # -- waiting -----------------------------------------------------------------------------

    def wait(
        self,
        prediction_id: str,
        *,
        timeout: float | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> Json:
        """Poll until the prediction reaches a terminal status; return its JSON if it succeeded.

        Raises
        ------
        PredictionFailedError
            Status ``failed`` (the error names the prediction, its error and the logs' tail).
        PredictionCanceledError
            Status ``canceled`` or ``aborted`` (``aborted``: Replicate stopped it before it ran,
            e.g. a deadline; ``replicate`` 1.0.7 cannot even parse that status), or ``stop`` set.
        PredictionTimeoutError
            Not finished within ``timeout`` seconds; the prediction is canceled remotely first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = self.poll_interval
        polls = 0
        while True:
            body = self.get(prediction_id)
            if body is None:
                raise PredictionError(
                    f"prediction {prediction_id} no longer exists on Replicate (404); re-run "
                    "without resume (--no-resume) to create a new one",
                    prediction_id=prediction_id,
                )
            status = str(body.get("status"))
            polls += 1
            if progress is not None:
                progress("predict", polls, None)
            if status in _TERMINAL:
                return _check_terminal(body)
            if stop is not None and stop.is_set():
                self.cancel(prediction_id)
                raise PredictionCanceledError(
                    f"prediction {prediction_id} was canceled because a sibling job stopped",
                    prediction_id=prediction_id,
                    status=status,
                )
            if deadline is not None and time.monotonic() >= deadline:
                self.cancel(prediction_id)
                raise PredictionTimeoutError(
                    f"prediction {prediction_id} was still {status!r} after {timeout:g} s, so it "
                    "was canceled; raise timeout= (hosted SAM 2 video runs can take minutes and "
                    "cold starts add more) or try again later",
                    prediction_id=prediction_id,
                    status=status,
                    logs_tail=_logs_tail(body.get("logs")),
                )
            sleep = pause if deadline is None else min(pause, max(0.0, deadline - time.monotonic()))
            if stop is not None:
                stop.wait(sleep)
            else:
                time.sleep(sleep)
            pause = min(self.max_poll_interval, pause * 1.5)

    # -- downloads ---------------------------------------------------------------------------

    def download(
        self,
        items: Sequence[tuple[Any, Path]],
        *,
        prediction_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[Path]:
        """Download ``(source, destination)`` pairs concurrently, atomically, with retries.

        ``source`` is a URL string, a ``data:`` URI or a ``replicate`` ``FileOutput``; existing
        destinations are kept (they were written atomically, so they are complete).
        """
        _, api, downloads = self._ensure_clients()
        total = len(items)
        if progress is not None:
            progress("download", 0, total)
        if not items:
            return []
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(self.download_concurrency, total), thread_name_prefix="autotrack-dl"
        )
        try:
            futures = [
                pool.submit(self._download_one, source, dest, api, downloads, prediction_id)
                for source, dest in items
            ]
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                future.result()
                if progress is not None:
                    progress("download", done, total)
            return [dest for _, dest in items]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _download_one(
        self,
        source: Any,
        dest: Path,
        api: httpx.Client,
        downloads: httpx.Client,
        prediction_id: str | None,
    ) -> Path:
        if dest.exists():
            return dest
        url = _source_url(source)
        if url.startswith("data:"):
            return write_bytes_atomic(dest, _decode_data_uri(url, self.max_download_bytes))
        if not url.startswith(("https://", "http://")):
            raise DownloadError(
                f"output {url[:80]!r} is not an http(s) or data: URL; the model's output schema "
                "changed — pin an older version with image_version=/video_version=",
                url=url,
            )
        # Only the API's own host gets the token; file hosts (replicate.delivery) never see it.
        client = api if url.startswith(self.base_url + "/") else downloads
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                with client.stream("GET", url, follow_redirects=True) as response:
                    status = response.status_code
                    if status in (404, 410):
                        raise OutputsExpiredError(
                            f"output {url} is gone (HTTP {status}): Replicate deletes API "
                            "outputs one hour after the prediction; re-run with --no-resume (or "
                            "resume=False), or delete the journal entry in the work directory",
                            prediction_id=prediction_id,
                            status=_SUCCEEDED,
                        )
                    if 200 <= status < 300:
                        return self._stream_to(dest, response, url)
                    last = f"HTTP {status}"
                    if status != 429 and status < 500:
                        raise DownloadError(
                            f"downloading {url} failed with HTTP {status}; the URL is not "
                            "public or the output was moved — re-run the prediction",
                            url=url,
                        )
            except httpx.TransportError as exc:
                last = f"{exc.__class__.__name__}: {exc}"
            if attempt < self.max_retries:
                time.sleep(self._backoff(attempt))
        raise DownloadError(
            f"downloading {url} failed after {self.max_retries} retries ({last}); check your "
            "network and re-run within the hour (the journal resumes the prediction)",
            url=url,
        )

    def _stream_to(self, dest: Path, response: httpx.Response, url: str) -> Path:
        declared = response.headers.get("Content-Length")
        cap = self.max_download_bytes
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise DownloadError(
                f"{url} is {int(declared)} bytes, more than max_download_bytes={cap}; raise "
                "max_download_bytes if the output is expected to be this big",
                url=url,
            )
        size = 0
        with atomic_path(dest) as tmp, tmp.open("wb") as handle:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise DownloadError(
                        f"{url} exceeded max_download_bytes={cap} while downloading; raise "
                        "max_download_bytes if the output is expected to be this big",
                        url=url,
                    )
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return dest

    # -- the whole thing ---------------------------------------------------------------------

    def run(
        self,
        version: str,
        inputs: Mapping[str, Any],
        *,
        work_dir: Path,
        files: Mapping[str, Path] | None = None,
        select_outputs: OutputSelector | None = None,
        resume: bool = True,
        timeout: float | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
        journal_extra: Mapping[str, Any] | None = None,
    ) -> PredictionResult:
        """Run one prediction end to end: journal lookup, upload, create, wait, download.

        Parameters
        ----------
        version
            The model version id.
        inputs
            JSON inputs (no files).
        work_dir
            Holds the journal (``replicate_journal/``) and the downloads
            (``replicate_outputs/<prediction id>/output_00000.png``, ...).
        files
            File inputs ``{input name: path}``; each is uploaded through the Files API and its
            URL sent under that name. Their SHA-256 (not their URL) enters the journal key.
        select_outputs
            Picks the outputs to download from the raw output (default: every URL in it).
        resume
            Reuse the journal: an unfinished or succeeded prediction with the same version,
            inputs and file contents is polled/downloaded instead of paid for again; a failed,
            canceled or vanished one is replaced by a new prediction.
        timeout
            Seconds to wait for the prediction, counted from its creation (or from the resume);
            on expiry it is canceled and :class:`~sam2_autotrack.PredictionTimeoutError` raised.
        progress
            Called with ``("upload"|"predict"|"download", done, total)``.
        stop
            When set (by a sibling job), the prediction is canceled and the wait ends.
        journal_extra
            JSON values that are not sent but still define the prediction's identity (for
            example how the uploaded file was prepared from the user's file); they enter the
            journal key and are recorded in the journal entry.

        Raises
        ------
        MissingTokenError
            Before anything is uploaded when no token is configured.
        OutputsExpiredError
            The prediction's outputs were deleted (``data_removed``, or 404/410 on download).
        KeyboardInterrupt
            Re-raised after a best-effort cancel of the remote prediction (a Ctrl-C during the
            create request itself cannot cancel: the id is not known yet).
        """
        started = time.monotonic()
        self._ensure_clients()
        files = dict(files or {})
        for name, path in files.items():
            if not Path(path).is_file():
                raise BackendError(
                    f"file input {name!r} does not exist: {path}; pass an existing file"
                )
        digests = {name: file_sha256(Path(path)) for name, path in files.items()}
        key = _journal_key(version, inputs, digests, journal_extra)
        journal = Path(work_dir) / _JOURNAL_DIR / f"{key}.json"
        select = select_outputs or _flatten_outputs

        prediction_id: str | None = None
        resumed = False
        entry = _read_journal(journal) if resume else None
        if entry is not None:
            local = _complete_local_result(entry, Path(work_dir), started)
            if local is not None:
                return local
            known = self.get(str(entry["prediction_id"]))
            if known is not None and known.get("status") not in _CANCELED_STATES | {_FAILED}:
                prediction_id = str(known["id"])
                resumed = True
                if known.get("status") == _SUCCEEDED and known.get("data_removed"):
                    raise _expired(prediction_id)
        try:
            if prediction_id is None:
                urls = {}
                for index, (name, path) in enumerate(files.items()):
                    if progress is not None:
                        progress("upload", index, len(files))
                    urls[name] = self.upload(Path(path), filename=f"{name}{Path(path).suffix}")
                if progress is not None and files:
                    progress("upload", len(files), len(files))
                prediction_id = self.create(version, {**inputs, **urls})
                write_json_atomic(
                    journal,
                    {
                        "prediction_id": prediction_id,
                        "version": version,
                        "created_at": _now_iso(),
                        "input": {k: v for k, v in inputs.items()},
                        "file_sha256": digests,
                        **({"extra": dict(journal_extra)} if journal_extra else {}),
                    },
                )
            final = self.wait(prediction_id, timeout=timeout, progress=progress, stop=stop)
            if final.get("data_removed"):
                raise _expired(prediction_id)
            sources = list(select(final.get("output")))
            out_dir = Path(work_dir) / _OUTPUT_DIR / _safe_component(prediction_id)
            items = [
                (source, out_dir / f"output_{index:05d}{_suffix_for(_source_url(source))}")
                for index, source in enumerate(sources)
            ]
            paths = self.download(items, prediction_id=prediction_id, progress=progress)
        except KeyboardInterrupt:
            if prediction_id is not None:
                self.cancel(prediction_id)
            raise
        metrics = final.get("metrics") or {}
        predict_time = metrics.get("predict_time") if isinstance(metrics, Mapping) else None
        predict_time = float(predict_time) if isinstance(predict_time, (int, float)) else None
        write_json_atomic(
            journal,
            {
                **(_read_journal(journal) or {"prediction_id": prediction_id}),
                "status": _SUCCEEDED,
                "output": final.get("output"),
                "predict_time": predict_time,
                "downloaded": [str(p.relative_to(work_dir)) for p in paths],
            },
        )
        return PredictionResult(
            prediction_id=prediction_id,
            output=final.get("output"),
            files=tuple(paths),
            predict_time=predict_time,
            resumed=resumed,
            seconds=time.monotonic() - started,
            prediction=final,
        )


_MIME_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
}


def _close_clients(clients: list[httpx.Client]) -> None:
    while clients:
        with contextlib.suppress(Exception):
            clients.pop().close()


def _safe_component(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)[:80]
    return cleaned or "prediction"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:200]


def _api_error(what: str, response: httpx.Response) -> ReplicateAPIError:
    status = response.status_code
    detail = _detail(response)
    if status in (401, 403):
        fix = f"check the token in {TOKEN_ENV} (or api_token=) — it was rejected"
    elif status == 404:
        fix = "check the model version id (image_version=/video_version=) and base_url"
    elif status == 422:
        fix = "an input was rejected by the model's schema; check the options passed"
    else:
        fix = "see the detail above"
    return ReplicateAPIError(
        f"{what} failed with HTTP {status}: {detail}; {fix}", status_code=status
    )


def _check_terminal(body: Json) -> Json:
    status = str(body.get("status"))
    pid = str(body.get("id"))
    tail = _logs_tail(body.get("logs"))
    if status == _SUCCEEDED:
        return body
    if status == _FAILED:
        error = body.get("error") or "no error message"
        shown = f"\n--- last log lines ---\n{tail}" if tail else ""
        raise PredictionFailedError(
            f"prediction {pid} failed: {error}; look at https://replicate.com/p/{pid}, fix the "
            f"input (video codec, click coordinates) and re-run{shown}",
            prediction_id=pid,
            status=status,
            logs_tail=tail,
        )
    raise PredictionCanceledError(
        f"prediction {pid} ended with status {status!r} (canceled or aborted by Replicate or by "
        "someone on the dashboard) before producing output; re-run to start a new one",
        prediction_id=pid,
        status=status,
        logs_tail=tail,
    )


def _expired(prediction_id: str) -> OutputsExpiredError:
    return OutputsExpiredError(
        f"the outputs of prediction {prediction_id} have expired: Replicate deletes API outputs "
        "one hour after the prediction (data_removed); re-run with --no-resume (resume=False) or "
        "delete its entry under replicate_journal/ in the work directory to pay for a new one",
        prediction_id=prediction_id,
        status=_SUCCEEDED,
    )


def _read_journal(path: Path) -> Json | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("prediction_id"), str):
        return None
    return entry


def _complete_local_result(entry: Json, work_dir: Path, started: float) -> PredictionResult | None:
    names = entry.get("downloaded")
    if entry.get("status") != _SUCCEEDED or not isinstance(names, list):
        return None
    paths = tuple(work_dir / str(name) for name in names)
    if not all(path.is_file() for path in paths):
        return None
    predict_time = entry.get("predict_time")
    return PredictionResult(
        prediction_id=str(entry["prediction_id"]),
        output=entry.get("output"),
        files=paths,
        predict_time=float(predict_time) if isinstance(predict_time, (int, float)) else None,
        resumed=True,
        seconds=time.monotonic() - started,
        prediction=entry,
    )


# -- the backend -----------------------------------------------------------------------------------


def _video_size_and_count(video: Path) -> tuple[tuple[int, int], int]:
    """``((width, height), exact frame count)`` of a video, as the hosted model will decode it."""
    from ._video import probe_video

    info = probe_video(video, exact_frame_count=True)
    return info.resolution_wh, int(info.frame_count)


def _decode_greenscreen(path: Path, expected_wh: tuple[int, int]) -> NDArray[np.bool_]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MaskError(
            f"greenscreen output {path} is not a decodable image; re-run the prediction"
        )
    if (image.shape[1], image.shape[0]) != expected_wh:
        raise MaskError(
            f"greenscreen output {path} is {image.shape[1]}x{image.shape[0]} but the video is "
            f"{expected_wh[0]}x{expected_wh[1]}; use mask_type='binary'"
        )
    distance = np.abs(image.astype(np.int16) - np.array([0, 255, 0], dtype=np.int16)).sum(axis=2)
    return np.asarray(distance > 60, dtype=np.bool_)


def _individual_masks(output: Any) -> Sequence[Any]:
    if isinstance(output, Mapping):
        masks = output.get("individual_masks")
        if isinstance(masks, (list, tuple)):
            return list(masks)
    raise BackendError(
        "meta/sam-2 returned no 'individual_masks' list (got "
        f"{type(output).__name__}: {str(output)[:120]}); its output schema changed — pin "
        f"image_version={SAM2_IMAGE_VERSION!r}"
    )


def _frame_outputs(output: Any) -> Sequence[Any]:
    items = output if isinstance(output, (list, tuple)) else [output]
    if not items or any(item is None for item in items):
        raise BackendError(
            "meta/sam-2-video returned no frames; check the clicks and the video, or pin "
            f"video_version={SAM2_VIDEO_VERSION!r}"
        )
    return list(items)


@dataclass(frozen=True)
class _VideoJob:
    root: Path
    resume: bool
    expected_wh: tuple[int, int]
    frame_count: int
    journal_extra: Mapping[str, Any] | None = None


class ReplicateBackend:
    """Hosted SAM 2 on Replicate: ``meta/sam-2`` proposals, ``meta/sam-2-video`` tracking.

    Cost and accuracy of the two per-object strategies (``per_object``):

    ``"split"`` (default)
        One ``meta/sam-2-video`` prediction for all objects. With ``mask_type="binary"`` the
        model returns one *union* mask per frame, so the objects are recovered locally by
        :func:`~sam2_autotrack.split_union`, which carries each object's identity forward from
        its frame-0 clicks. Cost: one prediction. Exact while objects stay apart; where they
        touch or cross, the cut between them is an estimate (synthetic crossing discs: mean IoU
        about 0.85 during the crossing versus 1.0 apart).
    ``"separate"``
        One prediction per object, run concurrently: exact per-object masks, N times the cost
        (and N cold starts worst case).

    Parameters
    ----------
    api_token
        Replicate token; defaults to ``$REPLICATE_API_TOKEN`` (checked before any upload).
    base_url
        API root; defaults to ``$REPLICATE_BASE_URL``, then ``https://api.replicate.com``.
    transport
        ``httpx`` transport for the API and the downloads (for tests).
    client
        A shared :class:`ReplicateClient` (then ``api_token``, ``base_url``, ``transport``,
        ``poll_interval``, ``max_retries``, ``download_concurrency``, ``max_download_bytes`` are
        taken from it).
    image_version, video_version
        Model versions (pinned by default: :data:`SAM2_IMAGE_VERSION`,
        :data:`SAM2_VIDEO_VERSION`).
    points_per_side
        Sent to ``meta/sam-2`` but has **no effect** on the hosted model: its point grid is fixed
        when the model loads. Kept so the request documents what was asked.
    pred_iou_thresh, stability_score_thresh, use_m2m
        ``meta/sam-2`` filtering options (``use_m2m``: mask-to-mask refinement).
    mask_type
        ``"binary"`` (union masks, exact) or ``"greenscreen"`` (frames composited on green,
        decoded by colour; only useful to inspect the model's compositing).
    output_frame_interval
        Return every k-th frame (``frame_indices`` are then ``0, k, 2k, ...``).
    output_format, output_quality
        Mask image format; ``"png"`` (lossless, default) or lossy ``"webp"``/``"jpg"`` with a
        quality 0-100.
    per_object
        ``"split"`` or ``"separate"``, see above.
    poll_interval, timeout, max_retries
        First pause between polls; seconds allowed per prediction (then it is canceled); retries
        per request.
    download_concurrency, max_download_bytes
        Parallel downloads; largest accepted output file.
    resume
        Reuse journaled predictions in ``work_dir`` (see :meth:`ReplicateClient.run`).
    backoff_base
        First retry pause in seconds (doubles per retry, with jitter).
    upload_max_side
        Off by default: the original file is uploaded, never re-encoded. When set, a video whose
        larger side exceeds it is re-encoded (H.264, CRF 16) down to that side before upload; the
        clicks are scaled into the smaller frame and the returned masks are resized back to the
        source size (bilinear, threshold 0.5). Cost versus accuracy: a smaller upload uploads
        faster and, since ``meta/sam-2-video`` decodes and embeds every frame, can shorten the
        billed prediction time; but detail below the upload's resolution is lost, and mask
        edges come back with up to about one upload pixel (``1 / scale`` source pixels) of
        error, so thin or small objects suffer first. The hosted model resizes frames to 1024
        px internally, so ``upload_max_side=1024`` loses little.
    start_frame, stop_frame
        Off by default. Upload only source frames ``start_frame .. stop_frame - 1`` (re-encoded
        as above): the hosted model then starts at ``start_frame`` — put the clicks on that
        frame — and pays only for the range. Click frames are shifted into the upload and the
        returned ``frame_indices`` are in source numbering; frames outside the range simply
        have no masks, while ``frame_count`` stays the source's.

    Examples
    --------
    >>> backend = ReplicateBackend(api_token="r8_example", per_object="separate")
    >>> backend.describe()["per_object"]
    'separate'
    >>> "r8_example" in str(backend.describe())
    False
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        client: ReplicateClient | None = None,
        image_version: str = SAM2_IMAGE_VERSION,
        video_version: str = SAM2_VIDEO_VERSION,
        points_per_side: int = 32,
        pred_iou_thresh: float = 0.88,
        stability_score_thresh: float = 0.95,
        use_m2m: bool = True,
        mask_type: Literal["binary", "greenscreen"] = "binary",
        output_frame_interval: int = 1,
        output_format: Literal["png", "webp", "jpg"] = "png",
        output_quality: int = 80,
        per_object: Literal["split", "separate"] = "split",
        poll_interval: float = 0.5,
        timeout: float | None = 1800.0,
        max_retries: int = 5,
        download_concurrency: int = 8,
        max_download_bytes: int = 1 << 30,
        resume: bool = True,
        backoff_base: float = 1.0,
        upload_max_side: int | None = None,
        start_frame: int = 0,
        stop_frame: int | None = None,
    ) -> None:
        problems = check_prepare_options(
            max_side=upload_max_side, start_frame=start_frame, stop_frame=stop_frame
        )
        if not (isinstance(points_per_side, int) and points_per_side >= 1):
            problems.append(f"points_per_side must be a positive int; got {points_per_side!r}")
        for option, value in (
            ("pred_iou_thresh", pred_iou_thresh),
            ("stability_score_thresh", stability_score_thresh),
        ):
            if not 0.0 <= float(value) <= 1.0:
                problems.append(f"{option} must be within 0..1; got {value!r}")
        if not isinstance(use_m2m, bool):
            problems.append(f"use_m2m must be a real bool (True/False); got {use_m2m!r}")
        if mask_type not in ("binary", "greenscreen"):
            problems.append(
                f"mask_type must be 'binary' or 'greenscreen' ('highlighted' is a matplotlib "
                f"figure, not a mask); got {mask_type!r}"
            )
        if not (isinstance(output_frame_interval, int) and output_frame_interval >= 1):
            problems.append(
                f"output_frame_interval must be an int >= 1; got {output_frame_interval!r}"
            )
        if output_format not in ("png", "webp", "jpg"):
            problems.append(f"output_format must be 'png', 'webp' or 'jpg'; got {output_format!r}")
        if not (isinstance(output_quality, int) and 0 <= output_quality <= 100):
            problems.append(f"output_quality must be an int within 0..100; got {output_quality!r}")
        if per_object not in ("split", "separate"):
            problems.append(f"per_object must be 'split' or 'separate'; got {per_object!r}")
        if timeout is not None and timeout <= 0:
            problems.append(f"timeout must be positive seconds or None; got {timeout!r}")
        if problems:
            raise BackendConfigError("invalid ReplicateBackend options: " + "; ".join(problems))
        self._client = client or ReplicateClient(
            api_token=api_token,
            base_url=base_url,
            transport=transport,
            poll_interval=poll_interval,
            max_poll_interval=max(poll_interval, 5.0),
            max_retries=max_retries,
            backoff_base=backoff_base,
            download_concurrency=download_concurrency,
            max_download_bytes=max_download_bytes,
        )
        self.image_version = image_version
        self.video_version = video_version
        self.points_per_side = points_per_side
        self.pred_iou_thresh = float(pred_iou_thresh)
        self.stability_score_thresh = float(stability_score_thresh)
        self.use_m2m = use_m2m
        self.mask_type = mask_type
        self.output_frame_interval = output_frame_interval
        self.output_format = output_format
        self.output_quality = output_quality
        self.per_object = per_object
        self.timeout = timeout
        self.resume = resume
        self.upload_max_side = upload_max_side
        self.start_frame = start_frame
        self.stop_frame = stop_frame

    @property
    def name(self) -> str:
        """``"replicate"``."""
        return "replicate"

    @property
    def client(self) -> ReplicateClient:
        """The (shareable) client wrapper this backend uses."""
        return self._client

    def close(self) -> None:
        """Close the HTTP connections (also done when the backend is garbage collected)."""
        self._client.close()

    def __enter__(self) -> ReplicateBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """Models, versions and options for the run manifest (never the token)."""
        return {
            "name": self.name,
            "base_url": self._client.base_url,
            "image_model": SAM2_IMAGE_MODEL,
            "image_version": self.image_version,
            "video_model": SAM2_VIDEO_MODEL,
            "video_version": self.video_version,
            "points_per_side": self.points_per_side,
            "points_per_side_note": "no effect on the hosted model (grid fixed at load time)",
            "pred_iou_thresh": self.pred_iou_thresh,
            "stability_score_thresh": self.stability_score_thresh,
            "use_m2m": self.use_m2m,
            "mask_type": self.mask_type,
            "output_frame_interval": self.output_frame_interval,
            "output_format": self.output_format,
            "output_quality": self.output_quality,
            "per_object": self.per_object,
            "timeout": self.timeout,
            "resume": self.resume,
            "upload_max_side": self.upload_max_side,
            "start_frame": self.start_frame,
            "stop_frame": self.stop_frame,
        }

    @contextlib.contextmanager
    def _work_dir(self, work_dir: Path | None) -> Iterator[tuple[Path, bool]]:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
            yield Path(work_dir), self.resume
            return
        with tempfile.TemporaryDirectory(prefix="sam2_autotrack_replicate_") as tmp:
            yield Path(tmp), False

    # -- proposals ---------------------------------------------------------------------------

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: Path | None = None,
        work_dir: Path | None = None,
    ) -> MaskProposals:
        """Propose masks on ``image_rgb`` with ``meta/sam-2`` (uploaded as lossless PNG).

        ``video`` is unused (the hosted model sees one image). Masks come from the output's
        ``individual_masks`` (``combined_mask`` is a matplotlib figure, not input-sized).
        """
        started = time.monotonic()
        image = np.asarray(image_rgb)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise MaskError(
                f"image_rgb must be an (H, W, 3) uint8 RGB image; got shape {image.shape} dtype "
                f"{image.dtype} — convert with np.asarray(img, dtype=np.uint8)"
            )
        height, width = image.shape[:2]
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise MaskError("could not encode the image as PNG; pass an (H, W, 3) uint8 array")
        data = encoded.tobytes()
        with self._work_dir(work_dir) as (root, resume):
            image_path = root / _INPUT_DIR / f"image_{hashlib.sha256(data).hexdigest()[:16]}.png"
            if not image_path.exists():
                write_bytes_atomic(image_path, data)
            result = self._client.run(
                self.image_version,
                {
                    "points_per_side": self.points_per_side,
                    "pred_iou_thresh": self.pred_iou_thresh,
                    "stability_score_thresh": self.stability_score_thresh,
                    "use_m2m": self.use_m2m,
                },
                files={"image": image_path},
                work_dir=root,
                select_outputs=_individual_masks,
                resume=resume,
                timeout=self.timeout,
            )
            masks = [decode_mask(path, expected_wh=(width, height)) for path in result.files]
        stack = (np.stack(masks) if masks else np.zeros((0, height, width), dtype=bool)).astype(
            bool, copy=False
        )
        return MaskProposals(
            masks=stack,
            scores=None,
            prediction_id=result.prediction_id,
            seconds=time.monotonic() - started,
        )

    # -- tracking ----------------------------------------------------------------------------

    def _video_inputs(self, clicks: ClickSet) -> dict[str, Any]:
        return {
            **clicks.to_replicate().as_input(),
            "mask_type": self.mask_type,
            "output_video": False,
            "output_format": self.output_format,
            "output_quality": self.output_quality,
            "output_frame_interval": self.output_frame_interval,
        }

    def _track_one(
        self,
        video: Path,
        clicks: ClickSet,
        job: _VideoJob,
        *,
        progress: ProgressCallback | None,
        stop: threading.Event | None = None,
    ) -> tuple[NDArray[np.bool_], PredictionResult]:
        root, resume, expected_wh, frame_count = (
            job.root,
            job.resume,
            job.expected_wh,
            job.frame_count,
        )
        result = self._client.run(
            self.video_version,
            self._video_inputs(clicks),
            files={"input_video": video},
            work_dir=root,
            select_outputs=_frame_outputs,
            resume=resume,
            timeout=self.timeout,
            progress=progress,
            stop=stop,
            journal_extra=job.journal_extra,
        )
        k = self.output_frame_interval
        expected = math.ceil(frame_count / k)
        if len(result.files) != expected:
            raise PredictionError(
                f"meta/sam-2-video returned {len(result.files)} mask frames but the video has "
                f"{frame_count} frames, so {expected} were expected with output_frame_interval="
                f"{k}; the hosted model decodes with ffmpeg, so a variable-frame-rate or damaged "
                "file can decode differently — re-encode it to constant frame rate (ffmpeg -i in "
                "-vsync cfr out.mp4) and re-run",
                prediction_id=result.prediction_id,
                status=_SUCCEEDED,
            )
        if self.mask_type == "binary":
            frames = [decode_mask(path, expected_wh=expected_wh) for path in result.files]
        else:
            frames = [_decode_greenscreen(path, expected_wh) for path in result.files]
        return np.stack(frames).astype(bool, copy=False), result

    def track(
        self,
        video: Path,
        clicks: ClickSet,
        *,
        work_dir: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> ObjectTracks:
        """Track every object of ``clicks`` through ``video`` with ``meta/sam-2-video``.

        By default the original file is uploaded (never re-encoded). With ``upload_max_side``,
        ``start_frame`` or ``stop_frame`` set, the upload is prepared by
        :func:`~sam2_autotrack._video_prepare.prepare_upload` (kept in ``work_dir`` and reused),
        the clicks are moved into it and the masks brought back to the source's size and frame
        numbering. The four click strings come from ``clicks.to_replicate()``; the mask frames
        are downloaded and decoded, and split per object according to ``per_object``.
        """
        video = Path(video)
        if not video.is_file():
            raise VideoNotFoundError(
                f"video {video} does not exist; pass the path of the clip to track", path=video
            )
        object_ids = clicks.object_ids
        with self._work_dir(work_dir) as (root, resume):
            prepared = self._prepare(video, root)
            resolution_wh = prepared.source_wh
            if clicks.resolution_wh is not None and tuple(clicks.resolution_wh) != resolution_wh:
                raise ClickError(
                    f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} "
                    f"frame but {video.name} is {resolution_wh[0]}x{resolution_wh[1]}; make the "
                    "clicks on the video's own frame 0 (no resizing)"
                )
            extra = self._prepare_identity(prepared)
            sent = prepared.to_upload(clicks) if extra else clicks
            job = _VideoJob(root, resume, prepared.upload_wh, prepared.frame_count, extra)
            if self.per_object == "separate" and len(object_ids) > 1:
                masks, results = self._track_separately(prepared.path, sent, job, progress)
            else:
                seeds = (
                    self._frame0_seeds(sent, first_frame=prepared.start_frame)
                    if len(object_ids) > 1
                    else {}
                )
                union, result = self._track_one(prepared.path, sent, job, progress=progress)
                results = [result]
                masks = (
                    {object_ids[0]: union} if len(object_ids) == 1 else split_union(union, seeds)
                )
        k = self.output_frame_interval
        upload_indices = np.arange(next(iter(masks.values())).shape[0], dtype=np.int64) * k
        if prepared.upload_wh != prepared.source_wh:
            masks = {
                oid: prepared.masks_to_source(stack, upload_indices)[0]
                for oid, stack in masks.items()
            }
        times = [r.predict_time for r in results if r.predict_time is not None]
        return ObjectTracks(
            masks=masks,
            frame_indices=upload_indices + prepared.start_frame,
            frame_count=prepared.source_frame_count,
            prediction_ids=tuple(r.prediction_id for r in results),
            predict_time=float(sum(times)) if len(times) == len(results) else None,
            info={
                "backend": self.name,
                "video_model": SAM2_VIDEO_MODEL,
                "video_version": self.video_version,
                "per_object": self.per_object if len(object_ids) > 1 else "single",
                "output_frame_interval": k,
                "mask_type": self.mask_type,
                "resumed": any(r.resumed for r in results),
                "upload": {
                    "reencoded": prepared.reencoded,
                    "resolution_wh": list(prepared.upload_wh),
                    "start_frame": prepared.start_frame,
                    "frame_count": prepared.frame_count,
                },
            },
        )

    @property
    def _prepares(self) -> bool:
        return (
            self.upload_max_side is not None or self.start_frame != 0 or self.stop_frame is not None
        )

    def _prepare(self, video: Path, root: Path) -> PreparedVideo:
        """Return the upload: ``video`` itself, or its trimmed/downscaled re-encode in ``root``."""
        if not self._prepares:
            resolution_wh, frame_count = _video_size_and_count(video)
            return PreparedVideo(
                path=video,
                source=video,
                source_wh=resolution_wh,
                upload_wh=resolution_wh,
                scale_xy=(1.0, 1.0),
                start_frame=0,
                frame_count=frame_count,
                source_frame_count=frame_count,
            )
        return prepare_upload(
            video,
            out_dir=root / _INPUT_DIR,
            max_side=self.upload_max_side,
            start_frame=self.start_frame,
            stop_frame=self.stop_frame,
            timeout=_PREPARE_TIMEOUT_S,
        )

    def _prepare_identity(self, prepared: PreparedVideo) -> dict[str, Any] | None:
        """Return what the journal key must know about the preparation (``None`` when off).

        The uploaded file's SHA-256 enters the key anyway; this adds the options and the frame
        range they resolved to, so a re-run with other options never resumes this prediction.
        """
        if not self._prepares:
            return None
        return {
            "upload_prepare": {
                "max_side": self.upload_max_side,
                "start_frame": self.start_frame,
                "stop_frame": self.stop_frame,
                "upload_wh": list(prepared.upload_wh),
                "upload_frames": [prepared.start_frame, prepared.stop_frame],
            }
        }

    @staticmethod
    def _frame0_seeds(clicks: ClickSet, *, first_frame: int = 0) -> dict[str, NDArray[np.int64]]:
        seeds: dict[str, NDArray[np.int64]] = {}
        for object_id, group in clicks.by_object().items():
            points = [c.point_xy for c in group if c.is_positive and c.frame == 0]
            if not points:
                raise ClickError(
                    f"object {object_id!r} has no positive click on frame {first_frame} (the "
                    "first uploaded frame), so its identity cannot be carried through the union "
                    "masks; add one, or use per_object='separate'"
                )
            seeds[object_id] = np.asarray(points, dtype=np.int64)
        return seeds

    def _track_separately(
        self,
        video: Path,
        clicks: ClickSet,
        job: _VideoJob,
        progress: ProgressCallback | None,
    ) -> tuple[dict[str, NDArray[np.bool_]], list[PredictionResult]]:
        object_ids = clicks.object_ids
        stop = threading.Event()
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(len(object_ids), 8), thread_name_prefix="autotrack-obj"
        )
        futures = {
            oid: pool.submit(
                self._track_one,
                video,
                clicks.for_object(oid),
                job,
                progress=progress,
                stop=stop,
            )
            for oid in object_ids
        }
        try:
            outcomes = {oid: future.result() for oid, future in futures.items()}
        except BaseException:
            # Ctrl-C or one object failing: stop the siblings (they cancel their predictions).
            stop.set()
            concurrent.futures.wait(
                list(futures.values()),
                timeout=self._client.cancel_timeout + self._client.max_poll_interval + 1.0,
            )
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return (
            {oid: outcome[0] for oid, outcome in outcomes.items()},
            [outcome[1] for outcome in outcomes.values()],
        )
