"""``ReplicateClient``: upload, create, get, cancel, wait and run predictions on Replicate's API.

The client speaks Replicate's HTTP API directly with httpx and composes the pieces a batch pipeline
needs: the :class:`~sam2_autotrack.backends.replicate.transport.Transport` (rate gate, retries,
deadlines), the :class:`~sam2_autotrack.backends.replicate.journal.Journal` (resume instead of
paying twice) and the :class:`~sam2_autotrack.backends.replicate.downloads.Downloader`. Raw
prediction JSON is polled until a terminal status (``aborted`` is treated like ``canceled``); a
``timeout`` and Ctrl-C cancel the remote prediction. The token is checked before anything is
uploaded (:class:`~sam2_autotrack.MissingTokenError`).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from sam2_autotrack._fs import file_sha256
from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.replicate.downloads import Downloader, source_url, suffix_for
from sam2_autotrack.backends.replicate.exchange import Deadline, read_json
from sam2_autotrack.backends.replicate.journal import Journal, journal_key
from sam2_autotrack.backends.replicate.options import Limits, Retries, Timeouts
from sam2_autotrack.backends.replicate.predictions import (
    CANCELED_STATES,
    FAILED,
    SUCCEEDED,
    TERMINAL,
    Json,
    OutputSelector,
    PredictionResult,
    check_terminal,
    expired_error,
    flatten_outputs,
    logs_tail,
    predict_time_of,
)
from sam2_autotrack.backends.replicate.transport import Failure, Transport
from sam2_autotrack.errors import (
    BackendError,
    MissingTokenError,
    PredictionCanceledError,
    PredictionError,
    PredictionTimeoutError,
    RateLimitError,
    ReplicateAPIError,
)

__all__ = ["BASE_URL_ENV", "DEFAULT_BASE_URL", "TOKEN_ENV", "ReplicateClient"]

DEFAULT_BASE_URL = "https://api.replicate.com"
"""Replicate's API, used unless ``base_url=`` or ``REPLICATE_BASE_URL`` says otherwise."""
TOKEN_ENV = "REPLICATE_API_TOKEN"
BASE_URL_ENV = "REPLICATE_BASE_URL"

_OUTPUT_DIR = "replicate_outputs"
_ANSWER_BYTES = 64 << 20  # the largest API answer read (prediction JSON with data: URI outputs)
_USER_AGENT = "sam2_autotrack (httpx)"
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


class ReplicateClient:
    """A thread-safe client of Replicate's prediction API that survives the real world.

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
    timeouts, retries, limits
        :class:`~sam2_autotrack.backends.replicate.options.Timeouts`,
        :class:`~sam2_autotrack.backends.replicate.options.Retries`,
        :class:`~sam2_autotrack.backends.replicate.options.Limits` (or dicts of their fields).
    rng
        Randomness for the backoff jitter.

    Examples
    --------
    >>> client = ReplicateClient(api_token="r8_example", base_url="http://127.0.0.1:9")
    >>> client.base_url
    'http://127.0.0.1:9'
    >>> ReplicateClient(limits={"download_concurrency": 2}).limits.download_concurrency
    2
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeouts: Timeouts | dict[str, Any] | None = None,
        retries: Retries | dict[str, Any] | None = None,
        limits: Limits | dict[str, Any] | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.timeouts: Timeouts = Timeouts.coerce(timeouts) or Timeouts()
        self.retries: Retries = Retries.coerce(retries) or Retries()
        self.limits: Limits = Limits.coerce(limits) or Limits()
        self._api_token = api_token
        self._base_url = base_url
        self._inner = transport
        self._transport = Transport(timeouts=self.timeouts, retries=self.retries, rng=rng)
        self._downloader = Downloader(self._transport, self.limits)
        self._init_lock = threading.Lock()
        self._api: httpx.Client | None = None
        self._files: httpx.Client | None = None
        # Close the connection pools when the client is garbage collected (no ResourceWarning);
        # the finalizer holds the list, not the client.
        self._open: list[httpx.Client] = []
        weakref.finalize(self, _close_clients, self._open)

    @property
    def base_url(self) -> str:
        """The API root: ``base_url=``, else ``$REPLICATE_BASE_URL``, else Replicate's."""
        if self._api is not None:
            return str(self._api.base_url).rstrip("/")
        return (self._base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")

    # -- lifecycle ---------------------------------------------------------------------------

    def _ensure_clients(self) -> tuple[httpx.Client, httpx.Client]:
        with self._init_lock:
            if self._api is None or self._files is None:
                token = (self._api_token or os.environ.get(TOKEN_ENV) or "").strip()
                if not token:
                    raise MissingTokenError(
                        f"no Replicate API token: set the {TOKEN_ENV} environment variable (or "
                        "pass api_token=...); get one at https://replicate.com/account/api-tokens"
                        " — or use the embedded CPU engine with backend='local'"
                    )
                self._transport.add_secret(token)
                inner = self._inner if self._inner is not None else httpx.HTTPTransport()
                timeout = self._transport.httpx_timeout()
                self._api = httpx.Client(
                    base_url=self.base_url,
                    headers={"Authorization": f"Bearer {token}", "User-Agent": _USER_AGENT},
                    timeout=timeout,
                    transport=inner,
                )
                self._files = httpx.Client(
                    headers={"User-Agent": _USER_AGENT},
                    timeout=timeout,
                    transport=inner,
                    follow_redirects=True,
                )
                self._open.extend([self._api, self._files])
            return self._api, self._files

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used: it reconnects lazily)."""
        with self._init_lock:
            _close_clients(self._open)
            self._api = self._files = None

    def __enter__(self) -> ReplicateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors ------------------------------------------------------------------------------

    def _api_error(self, failure: Failure, prediction_id: str | None = None) -> Exception:
        status = failure.status
        if failure.kind == "deadline":
            return PredictionTimeoutError(
                f"{failure.what}: the run's deadline passed ({failure.reason}); raise "
                "Timeouts.prediction (--timeout) or try again later",
                prediction_id=prediction_id,
            )
        if failure.kind == "throttled":
            return RateLimitError(
                f"{failure.what}: Replicate kept throttling (429): {failure.reason}; wait a "
                "minute, lower the concurrency, or add a payment method to raise the rate limit",
                status_code=429,
            )
        if failure.kind == "status" and status is not None and status < 500:
            if status in (401, 403):
                fix = f"check the token in {TOKEN_ENV} (or api_token=) — it was rejected"
            elif status == 404:
                fix = "check the model version id (ModelVersions) and base_url"
            elif status == 422:
                fix = "an input was rejected by the model's schema; check the options passed"
            else:
                fix = "see the detail above"
            return ReplicateAPIError(
                f"{failure.what} failed with {failure.reason}; {fix}", status_code=status
            )
        if failure.kind == "timeout":
            return ReplicateAPIError(
                f"{failure.what} got no complete answer ({failure.reason}); the server is "
                "unreachable or too slow — check https://www.replicatestatus.com, raise "
                "Timeouts.request (or .upload) if your connection is slow, then re-run",
                status_code=status,
            )
        if failure.maybe_sent:
            return ReplicateAPIError(
                f"{failure.what} failed mid-request ({failure.reason}); it may have reached "
                "Replicate — check https://replicate.com/predictions before re-running, or raise "
                "Timeouts.request",
                status_code=status,
            )
        return ReplicateAPIError(
            f"{failure.what} failed: {failure.reason}; check your network and "
            "https://www.replicatestatus.com, then re-run (the journal resumes created "
            "predictions)",
            status_code=status,
        )

    # -- API calls ---------------------------------------------------------------------------

    def upload(
        self, path: Path, *, filename: str | None = None, deadline: Deadline | None = None
    ) -> str:
        """Upload one file through the Files API and return its URL (``urls.get``).

        Multipart field ``content``, as ``replicate``'s ``files.create`` sends it; each attempt
        has the ``Timeouts.upload`` wall-clock budget, and none goes past ``deadline``.
        """
        api, _ = self._ensure_clients()
        name = filename or path.name
        content_type = _MIME_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")

        def build(resources: contextlib.ExitStack) -> httpx.Request:
            handle = resources.enter_context(path.open("rb"))
            return api.build_request(
                "POST", "/v1/files", files={"content": (name, handle, content_type)}
            )

        reply = self._transport.send(
            api,
            build,
            what=f"uploading {name}",
            read=read_json(_ANSWER_BYTES),
            fail=self._api_error,
            budget=self.timeouts.upload,
            deadline=deadline,
        )
        body = reply.value
        urls = body.get("urls") if isinstance(body, Mapping) else None
        url = urls.get("get") if isinstance(urls, Mapping) else None
        if not isinstance(url, str):
            raise ReplicateAPIError(
                f"the Files API answered without urls.get for {name}: "
                f"{self._transport.redact(str(body))[:200]}; is base_url a Replicate-compatible "
                "API?"
            )
        return url

    def create(
        self, version: str, inputs: Mapping[str, Any], *, deadline: Deadline | None = None
    ) -> str:
        """Create a prediction of a model version and return its id (no waiting).

        ``POST /v1/predictions`` with ``{"version", "input"}`` (which serves community models
        such as ``meta/sam-2``). ``inputs`` must already be JSON (upload files first with
        :meth:`upload`). Never repeated once it may have reached Replicate.
        """
        api, _ = self._ensure_clients()
        reply = self._transport.send(
            api,
            lambda _: api.build_request(
                "POST", "/v1/predictions", json={"version": version, "input": dict(inputs)}
            ),
            what="creating a prediction",
            read=read_json(_ANSWER_BYTES),
            fail=self._api_error,
            budget=self.timeouts.request,
            idempotent=False,
            deadline=deadline,
        )
        body = reply.value
        prediction_id = body.get("id") if isinstance(body, Mapping) else None
        if not isinstance(prediction_id, str) or not prediction_id:
            raise ReplicateAPIError(
                "creating a prediction answered without an id: "
                f"{self._transport.redact(str(body))[:200]}; is base_url a Replicate-compatible "
                "API?"
            )
        return prediction_id

    def get(self, prediction_id: str, *, deadline: Deadline | None = None) -> Json | None:
        """Return a prediction's raw JSON, or ``None`` when Replicate does not know the id."""
        api, _ = self._ensure_clients()
        reply = self._transport.send(
            api,
            lambda _: api.build_request("GET", f"/v1/predictions/{prediction_id}"),
            what=f"reading prediction {prediction_id}",
            read=read_json(_ANSWER_BYTES),
            fail=lambda failure: self._api_error(failure, prediction_id),
            budget=self.timeouts.request,
            accept=(404, 410),
            deadline=deadline,
        )
        if reply.status in (404, 410):
            return None
        body = reply.value
        if not isinstance(body, dict) or "status" not in body:
            raise ReplicateAPIError(
                f"prediction {prediction_id} came back without a status: "
                f"{self._transport.redact(str(body))[:200]}; is base_url a Replicate-compatible "
                "API?"
            )
        return body

    def cancel(self, prediction_id: str) -> bool:
        """Ask Replicate to cancel a prediction; best effort, bounded by ``Timeouts.cancel``.

        Returns whether the request was accepted. Never raises for network problems.
        """
        try:
            api, _ = self._ensure_clients()
            self._transport.send(
                api,
                lambda _: api.build_request("POST", f"/v1/predictions/{prediction_id}/cancel"),
                what=f"canceling prediction {prediction_id}",
                read=lambda _response, _stopped: None,
                fail=self._api_error,
                budget=self.timeouts.cancel,
                max_retries=0,
            )
        except (BackendError, MissingTokenError):
            return False
        return True

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
            e.g. a deadline), or ``stop`` set.
        PredictionTimeoutError
            Not finished within ``timeout`` seconds; the prediction is canceled remotely first.
        """
        return self._wait(prediction_id, Deadline.after(timeout), progress=progress, stop=stop)

    def _wait(
        self,
        prediction_id: str,
        deadline: Deadline,
        *,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> Json:
        pause = self.limits.poll_interval
        polls = 0
        status = "unknown"
        body: Json | None = None
        while True:
            try:
                body = self.get(prediction_id, deadline=deadline)
            except PredictionTimeoutError:
                body = None
            else:
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
                if status in TERMINAL:
                    return check_terminal(body)
                if stop is not None and stop.is_set():
                    self.cancel(prediction_id)
                    raise PredictionCanceledError(
                        f"prediction {prediction_id} was canceled because a sibling job stopped",
                        prediction_id=prediction_id,
                        status=status,
                    )
            if deadline.expired():
                self.cancel(prediction_id)
                raise PredictionTimeoutError(
                    f"prediction {prediction_id} was still {status!r} when the deadline passed, "
                    "so it was canceled; raise Timeouts.prediction (--timeout; hosted SAM 2 video "
                    "runs can take minutes and cold starts add more) or try again later",
                    prediction_id=prediction_id,
                    status=status,
                    logs_tail=logs_tail(body.get("logs")) if body else None,
                )
            left = deadline.remaining()
            sleep = pause if left is None else min(pause, left)
            if stop is not None:
                stop.wait(sleep)
            else:
                time.sleep(sleep)
            pause = min(self.limits.max_poll_interval, pause * 1.5)

    # -- downloads ---------------------------------------------------------------------------

    def download(
        self,
        items: Sequence[tuple[Any, Path]],
        *,
        prediction_id: str | None = None,
        progress: ProgressCallback | None = None,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """Download ``(source, destination)`` pairs concurrently, atomically, with retries.

        ``source`` is a URL string, a ``data:`` URI or a ``replicate`` ``FileOutput``; existing
        destinations are kept (they were written atomically, so they are complete). Only the
        API's own host gets the token; file hosts (``replicate.delivery``) never see it.
        """
        api, files = self._ensure_clients()
        api_root = self.base_url + "/"
        return self._downloader.download(
            items,
            client_for=lambda url: api if url.startswith(api_root) else files,
            prediction_id=prediction_id,
            progress=progress,
            deadline=deadline,
        )

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
            Seconds the whole call may take (default ``Timeouts.prediction``): upload, create,
            wait and downloads. When it passes while the prediction runs, the prediction is
            canceled; in every case :class:`~sam2_autotrack.PredictionTimeoutError` is raised
            (naming the prediction once it exists: it stays journaled, so a re-run resumes it).
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
        deadline = Deadline.after(self.timeouts.prediction if timeout is None else timeout)
        self._ensure_clients()
        files = dict(files or {})
        for name, path in files.items():
            if not Path(path).is_file():
                raise BackendError(
                    f"file input {name!r} does not exist: {path}; pass an existing file"
                )
        digests = {name: file_sha256(Path(path)) for name, path in files.items()}
        key = journal_key(version, inputs, digests, journal_extra)
        journal = Journal(Path(work_dir))
        select = select_outputs or flatten_outputs

        prediction_id: str | None = None
        resumed = False
        entry = journal.read(key) if resume else None
        if entry is not None:
            local = _complete_local_result(entry, Path(work_dir), started)
            if local is not None:
                return local
            known = self.get(str(entry["prediction_id"]), deadline=deadline)
            if known is not None and known.get("status") not in CANCELED_STATES | {FAILED}:
                prediction_id = str(known["id"])
                resumed = True
                if known.get("status") == SUCCEEDED and known.get("data_removed"):
                    raise expired_error(prediction_id)
        try:
            if prediction_id is None:
                urls = {}
                for index, (name, path) in enumerate(files.items()):
                    if progress is not None:
                        progress("upload", index, len(files))
                    urls[name] = self.upload(
                        Path(path), filename=f"{name}{Path(path).suffix}", deadline=deadline
                    )
                if progress is not None and files:
                    progress("upload", len(files), len(files))
                prediction_id = self.create(version, {**inputs, **urls}, deadline=deadline)
                journal.created(
                    key,
                    prediction_id=prediction_id,
                    version=version,
                    inputs=inputs,
                    file_sha256=digests,
                    extra=journal_extra,
                )
            final = self._wait(prediction_id, deadline, progress=progress, stop=stop)
            if final.get("data_removed"):
                raise expired_error(prediction_id)
            sources = list(select(final.get("output")))
            out_dir = Path(work_dir) / _OUTPUT_DIR / _safe_component(prediction_id)
            items = [
                (source, out_dir / f"output_{index:05d}{suffix_for(source_url(source))}")
                for index, source in enumerate(sources)
            ]
            paths = self.download(
                items, prediction_id=prediction_id, progress=progress, deadline=deadline
            )
        except KeyboardInterrupt:
            if prediction_id is not None:
                self.cancel(prediction_id)
            raise
        predict_time = predict_time_of(final)
        journal.succeeded(
            key,
            prediction_id=prediction_id,
            output=final.get("output"),
            predict_time=predict_time,
            downloaded=[str(p.relative_to(work_dir)) for p in paths],
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


def _complete_local_result(entry: Json, work_dir: Path, started: float) -> PredictionResult | None:
    names = entry.get("downloaded")
    if entry.get("status") != SUCCEEDED or not isinstance(names, list):
        return None
    paths = tuple(work_dir / str(name) for name in names)
    if not all(path.is_file() for path in paths):
        return None
    return PredictionResult(
        prediction_id=str(entry["prediction_id"]),
        output=entry.get("output"),
        files=paths,
        predict_time=predict_time_of({"metrics": {"predict_time": entry.get("predict_time")}}),
        resumed=True,
        seconds=time.monotonic() - started,
        prediction=entry,
    )
