"""A robust wrapper around the official ``replicate`` client: create, poll, cancel, download.

It drives the ``replicate`` client (its HTTP client carries the token, the base URL, the user agent
and retries GETs on 429/503/504) and adds what a batch pipeline needs:

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
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from replicate.client import Client as _SDKClient
from replicate.exceptions import ReplicateError

from sam2_autotrack._fs import atomic_path, file_sha256, write_bytes_atomic, write_json_atomic
from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.errors import (
    BackendError,
    ConfigError,
    DownloadError,
    MissingTokenError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionError,
    PredictionFailedError,
    PredictionTimeoutError,
    RateLimitError,
    ReplicateAPIError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "PredictionResult",
    "ReplicateClient",
]

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
_LOG_TAIL_LINES = 20
_ASKED_HEADER = "X-Autotrack-Retry-After"

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
                raise ConfigError(
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
