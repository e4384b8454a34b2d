"""``ReplicateClient``: upload, create, get, cancel, wait and run predictions on Replicate's API.

The client composes the pieces a batch pipeline needs: the
`Transport` (rate gate, retries, wall-clock
deadlines, token scrubbing) beneath every request, the
`Journal` (resume instead of paying twice,
driven by `run_prediction`), the orphan search of
`orphans` and the
`Downloader`.

Through the ``replicate`` SDK (a ``replicate.Client`` running on our transport, see
`sdk`):

* ``predictions.create(version=..., input=...)`` creates a prediction
  ([`create`][sam2_autotrack.backends.replicate.ReplicateClient.create]); when the SDK cannot read
  the answer (pydantic's ``ValidationError`` for a status it does not know, ``JSONDecodeError`` for
  an HTML page, ``ReplicateError``) or the answer is lost, the prediction is looked for in the
  listing, so none is paid for and forgotten;
* ``files.create(...)`` uploads a file input
  ([`upload`][sam2_autotrack.backends.replicate.ReplicateClient.upload]);
* ``predictions.cancel(id)`` cancels
  ([`cancel`][sam2_autotrack.backends.replicate.ReplicateClient.cancel]).

Not through the SDK, as raw JSON over the same transport:

* reading a prediction (the polls of
  [`wait`][sam2_autotrack.backends.replicate.ReplicateClient.wait]) and listing predictions
  ([`find`][sam2_autotrack.backends.replicate.ReplicateClient.find]): the SDK's ``Prediction`` model
  has a closed set of statuses, so ``aborted`` (Replicate stopping a prediction before it ran) or
  any status added later is a ``ValidationError`` — one such prediction would hide a whole listing
  page — and an unknown id is an exception rather than "gone"; the raw JSON is read NaN-safe and
  token-scrubbed instead;
* waiting: the SDK's ``wait()`` and ``run()`` poll without a deadline (and ``run()`` returns
  ``None`` when the create answer says ``processing``);
* downloads: the SDK's ``FileOutput`` covers only ``https:`` and ``data:`` outputs, with no size
  cap, deadline, atomic file or stopping of siblings.

A ``timeout`` and Ctrl-C cancel the remote prediction. The token is checked before anything is
uploaded ([`MissingTokenError`][sam2_autotrack.MissingTokenError]).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
import numpy as np

from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.replicate.connections import Connections
from sam2_autotrack.backends.replicate.downloads import Downloader
from sam2_autotrack.backends.replicate.exchange import Deadline, read_json
from sam2_autotrack.backends.replicate.failures import api_error, create_error
from sam2_autotrack.backends.replicate.options import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    TOKEN_ENV,
    Limits,
    Retries,
    Timeouts,
)
from sam2_autotrack.backends.replicate.orphans import find_prediction
from sam2_autotrack.backends.replicate.predictions import (
    Json,
    OutputSelector,
    PredictionResult,
)
from sam2_autotrack.backends.replicate.runs import run_prediction, wait_for
from sam2_autotrack.backends.replicate.sdk import (
    SDK_ANSWER_ERRORS,
    Call,
    RequestFailedError,
    calling,
    describe,
    unreadable,
)
from sam2_autotrack.backends.replicate.transport import Transport
from sam2_autotrack.errors import (
    AutotrackError,
    BackendError,
    MissingTokenError,
    ReplicateAPIError,
)

__all__ = ["BASE_URL_ENV", "DEFAULT_BASE_URL", "TOKEN_ENV", "ReplicateClient"]

_ANSWER_BYTES = 64 << 20  # the largest API answer read (prediction JSON with data: URI outputs)
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


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _scrubbing(
    method: Callable[Concatenate[ReplicateClient, _P], _R],
) -> Callable[Concatenate[ReplicateClient, _P], _R]:
    """Scrub the token from any library error a client method raises.

    The last line of defence: the server's text is already scrubbed where it is read.
    """

    @functools.wraps(method)
    def scrubbed(self: ReplicateClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except AutotrackError as error:
            self._transport.redact_error(error)
            raise

    return scrubbed


class ReplicateClient:
    """A thread-safe client of Replicate's prediction API that survives the real world.

    One instance can be shared by concurrent jobs: requests go through one connection pool and a
    rate-limit gate, so when one request is throttled (429) every other request waits too.

    Parameters
    ----------
    api_token
        Replicate API token; defaults to ``$REPLICATE_API_TOKEN``, read at the first request. A
        missing token raises [`MissingTokenError`][sam2_autotrack.MissingTokenError] before anything
        is uploaded.
    base_url
        API root; defaults to ``$REPLICATE_BASE_URL``, then ``https://api.replicate.com``.
    transport
        An ``httpx.BaseTransport`` used for the API *and* for downloads (tests inject
        ``httpx.MockTransport``); default: a fresh ``httpx.HTTPTransport``.
    timeouts, retries, limits
        [`Timeouts`][sam2_autotrack.backends.replicate.Timeouts],
        [`Retries`][sam2_autotrack.backends.replicate.Retries],
        [`Limits`][sam2_autotrack.backends.replicate.Limits] (or dicts of their fields).
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
        self._transport = Transport(timeouts=self.timeouts, retries=self.retries, rng=rng)
        self._downloader = Downloader(self._transport, self.limits)
        self._connections = Connections(
            self._transport,
            api_token=api_token,
            base_url=base_url,
            inner=transport,
            answer_bytes=_ANSWER_BYTES,
        )

    def _json(self, response: httpx.Response, stopped: Callable[[], bool]) -> Any:
        """Read a JSON answer with the token scrubbed from it (a server may echo it back)."""
        return self._transport.redact_json(read_json(_ANSWER_BYTES)(response, stopped))

    @property
    def base_url(self) -> str:
        """The API root: ``base_url=``, else ``$REPLICATE_BASE_URL``, else Replicate's."""
        return self._connections.base_url

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used: it reconnects lazily)."""
        self._connections.close()

    def __enter__(self) -> ReplicateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- API calls ---------------------------------------------------------------------------

    @_scrubbing
    def upload(
        self, path: Path, *, filename: str | None = None, deadline: Deadline | None = None
    ) -> str:
        """Upload one file through the Files API and return its URL (``urls.get``).

        Sent by the SDK's ``files.create`` (multipart field ``content``); each attempt has the
        ``Timeouts.upload`` wall-clock budget, and none goes past ``deadline``.

        Parameters
        ----------
        path
            The file to upload.
        filename
            The name Replicate records (default ``path``'s name); its suffix sets the content type.
        deadline
            A wall-clock limit for every attempt together (``None``: only the per-attempt budget).

        Returns
        -------
        str
            The file's URL, to send as a model input.

        Raises
        ------
        ReplicateAPIError
            The upload was refused or failed after the retries, or the answer has no URL.
        """
        sdk = self._connections.open().sdk
        name = filename or path.name
        content_type = _MIME_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
        call = Call(f"uploading {name}", self.timeouts.upload, deadline)
        try:
            with path.open("rb") as handle, calling(call):
                uploaded = sdk.files.create(handle, filename=name, content_type=content_type)
            url = uploaded.urls.get("get")
        except RequestFailedError as failed:
            raise api_error(failed.failure) from None
        except SDK_ANSWER_ERRORS as error:
            reason = unreadable(call.what, error, self._transport.redact).reason
            raise ReplicateAPIError(
                f"uploading {name}: {reason}; is base_url a Replicate-compatible API?"
            ) from None
        if not isinstance(url, str) or not url:
            raise ReplicateAPIError(
                f"the Files API answered without urls.get for {name}: "
                f"{self._transport.redact(str(uploaded.urls))[:200]}; is base_url a "
                "Replicate-compatible API?"
            )
        return self._transport.redact(url)

    @_scrubbing
    def create(
        self, version: str, inputs: Mapping[str, Any], *, deadline: Deadline | None = None
    ) -> str:
        """Create a prediction of a model version and return its id (no waiting).

        Sent by the SDK's ``predictions.create(version=..., input=...)`` (``POST
        /v1/predictions``, which serves community models such as ``meta/sam-2``). ``inputs``
        must already be JSON (upload files first with
        [`upload`][sam2_autotrack.backends.replicate.ReplicateClient.upload]). Each attempt has the
        ``Timeouts.request`` budget; throttling (429) and 5xx answers are retried. The request is
        never repeated once it may have reached Replicate: when its answer is lost (no answer in
        time, a broken connection, a gateway error) or unreadable (the SDK raises on it), the
        prediction is looked for with
        [`find`][sam2_autotrack.backends.replicate.ReplicateClient.find] instead, and adopted when
        found.

        Parameters
        ----------
        version
            The model version id.
        inputs
            The prediction's JSON inputs.
        deadline
            A wall-clock limit for every attempt together.

        Returns
        -------
        str
            The new (or adopted) prediction's id.

        Raises
        ------
        BackendError
            The answer was read but holds no prediction id.
        ReplicateAPIError
            The create failed, or its answer was lost and the prediction could not be found
            (the message says so: it may exist; a
            [`run`][sam2_autotrack.backends.replicate.ReplicateClient.run] re-run looks for it
            again).
        """
        sdk = self._connections.open().sdk
        since = datetime.now(timezone.utc)
        call = Call("creating a prediction", self.timeouts.request, deadline, idempotent=False)
        try:
            with calling(call):
                prediction = sdk.predictions.create(version=version, input=dict(inputs))
            if not isinstance(prediction.id, str) or not prediction.id:
                raise ValueError(f"the answer has no prediction id: {prediction.id!r}")
            return prediction.id
        except RequestFailedError as failed:
            if not failed.failure.maybe_sent:
                raise create_error(failed.failure) from None
            lost = failed.failure
        except AutotrackError:
            raise
        except SDK_ANSWER_ERRORS as error:
            if not call.answered:  # the SDK refused before sending: nothing was created
                raise BackendError(
                    f"replicate refused to create the prediction "
                    f"({self._transport.redact(describe(error))}); check the model version id "
                    "and the inputs"
                ) from None
            lost = unreadable(call.what, error, self._transport.redact)
        found = self.find(version, inputs, created_after=since)  # even past the deadline
        if found is not None:
            return str(found["id"])
        raise create_error(lost)

    def find(
        self,
        version: str,
        inputs: Mapping[str, Any],
        *,
        created_after: datetime | None = None,
        budget: float | None = None,
    ) -> Json | None:
        """Look for a prediction created with exactly ``version`` and ``inputs``; best effort.

        Reads the account's recent predictions (``GET /v1/predictions``, newest first, at most
        a few pages, each request bounded by ``Timeouts.request``) and returns the newest whose
        version and input match (file inputs are upload URLs, unique per upload, so a match is
        the prediction this client created). This is how a prediction whose create answer was
        lost is found again, to be resumed or canceled.

        Parameters
        ----------
        version, inputs
            What the create request sent.
        created_after
            Ignore predictions created more than a few minutes before this (clock skew).
        budget
            Seconds per listing request (default ``Timeouts.request``; a Ctrl-C uses
            ``Timeouts.cancel``).

        Returns
        -------
        dict or None
            The prediction's JSON, or ``None`` when it was not found (or the listing failed).
        """
        budget = self.timeouts.request if budget is None else budget
        try:
            api = self._connections.open().api
            return find_prediction(
                lambda url: self._list_page(api, url, budget),
                lambda pid: self.get(pid, deadline=Deadline.after(budget)),
                version=version,
                inputs=inputs,
                created_after=created_after,
            )
        except BackendError:
            return None

    def _list_page(self, api: httpx.Client, url: str, budget: float) -> Json:
        if url.startswith(("http://", "https://")) and not url.startswith(self.base_url + "/"):
            return {}  # a "next" page elsewhere would get the token: not followed
        reply = self._transport.send(
            api,
            lambda _: api.build_request("GET", url),
            what="listing predictions",
            read=self._json,
            fail=api_error,
            budget=budget,
            deadline=Deadline.after(2 * budget),
            max_retries=1,
        )
        return reply.value if isinstance(reply.value, dict) else {}

    @_scrubbing
    def get(self, prediction_id: str, *, deadline: Deadline | None = None) -> Json | None:
        """Return a prediction's raw JSON, or ``None`` when Replicate does not know the id.

        Parameters
        ----------
        prediction_id
            The prediction's id.
        deadline
            A wall-clock limit for every attempt together.

        Returns
        -------
        Json or None
            The prediction as the API returns it (status, output, metrics, ...), or ``None``
            on a 404.

        Raises
        ------
        ReplicateAPIError
            The request failed after the retries, or the answer cannot be read.
        """
        api = self._connections.open().api
        reply = self._transport.send(
            api,
            lambda _: api.build_request("GET", f"/v1/predictions/{prediction_id}"),
            what=f"reading prediction {prediction_id}",
            read=self._json,
            fail=lambda failure: api_error(failure, prediction_id=prediction_id),
            budget=self.timeouts.request,
            accept=(404, 410),
            deadline=deadline,
        )
        if reply.status in (404, 410):
            return None
        body = reply.value
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ReplicateAPIError(
                f"prediction {prediction_id} came back without a status: "
                f"{self._transport.redact(str(body))[:200]}; is base_url a Replicate-compatible "
                "API?",
                prediction_id=prediction_id,
            )
        if not isinstance(body.get("id"), str):
            body["id"] = prediction_id
        return body

    def cancel(self, prediction_id: str) -> bool:
        """Ask Replicate to cancel a prediction; best effort, bounded by ``Timeouts.cancel``.

        Sent by the SDK's ``predictions.cancel``, once. Returns whether the request was accepted
        (a 2xx answer, even one the SDK cannot read). Never raises for network problems.

        Parameters
        ----------
        prediction_id
            The prediction's id.

        Returns
        -------
        bool
            Whether Replicate accepted the request.
        """
        call = Call(f"canceling prediction {prediction_id}", self.timeouts.cancel, max_retries=0)
        try:
            sdk = self._connections.open().sdk
            with calling(call):
                sdk.predictions.cancel(prediction_id)
        except (RequestFailedError, MissingTokenError):
            return False
        except SDK_ANSWER_ERRORS:
            return call.answered > 0  # a 2xx the SDK cannot read (status "aborted") is accepted
        return True

    # -- waiting -----------------------------------------------------------------------------

    @_scrubbing
    def wait(
        self,
        prediction_id: str,
        *,
        timeout: float | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> Json:
        """Poll until the prediction reaches a terminal status; return its JSON if it succeeded.

        Parameters
        ----------
        prediction_id
            The prediction's id.
        timeout
            Seconds to wait (default ``Timeouts.prediction``).
        progress
            Called with ``("predict", polls, None)`` after every poll (the total is unknown).
        stop
            When set (by a sibling job), the prediction is canceled and the wait ends.

        Returns
        -------
        Json
            The succeeded prediction's JSON.

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
        return wait_for(self, prediction_id, Deadline.after(timeout), progress=progress, stop=stop)

    # -- downloads ---------------------------------------------------------------------------

    @_scrubbing
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

        Parameters
        ----------
        items
            ``(source, destination)`` pairs.
        prediction_id
            The prediction the outputs belong to, named in error messages.
        progress
            Called with ``("download", done, total)`` per file.
        deadline
            A wall-clock limit for the downloads together.

        Returns
        -------
        list[pathlib.Path]
            The destinations, in the order of ``items``.

        Raises
        ------
        DownloadError
            A file could not be downloaded after the retries, or is larger than
            ``Limits.max_download_bytes``.
        OutputsExpiredError
            The file host answered 404 or 410: the outputs were deleted.
        """
        connected = self._connections.open()
        api_root = self.base_url + "/"
        return self._downloader.download(
            items,
            client_for=lambda url: connected.api if url.startswith(api_root) else connected.files,
            prediction_id=prediction_id,
            progress=progress,
            deadline=deadline,
        )

    # -- the whole thing ---------------------------------------------------------------------

    @_scrubbing
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
            canceled; in every case
            [`PredictionTimeoutError`][sam2_autotrack.PredictionTimeoutError] is raised (naming the
            prediction once it exists: it stays journaled, so a re-run resumes it).
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
            Re-raised after a best-effort cancel of the remote prediction (during the create
            request, the prediction is first looked for in the listing, see
            [`find`][sam2_autotrack.backends.replicate.ReplicateClient.find]).

        Returns
        -------
        PredictionResult
            The prediction's id, raw output, downloaded files (in output order), billed predict
            time and whether it was resumed from the journal.
        """
        self._connections.open()  # a missing token fails before anything is uploaded
        return run_prediction(
            self,
            version,
            inputs,
            work_dir=Path(work_dir),
            files=files,
            select_outputs=select_outputs,
            resume=resume,
            timeout=timeout,
            progress=progress,
            stop=stop,
            journal_extra=journal_extra,
        )
