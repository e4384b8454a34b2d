"""One prediction end to end, journaled: resume or upload, create, wait, download.

`run_prediction` is [`ReplicateClient.run`][sam2_autotrack.backends.replicate.ReplicateClient.run]'s
body. It writes the journal at every step that costs money (before the create request, the moment
the id is known, when the outputs are on disk), so whatever fails after a create — a lost answer, a
crash, the deadline, Ctrl-C — the prediction is either canceled or found again by the next run.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sam2_autotrack._fs import file_sha256
from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.replicate.downloads import source_url, suffix_for
from sam2_autotrack.backends.replicate.exchange import Deadline
from sam2_autotrack.backends.replicate.journal import Journal, is_pending, started_at
from sam2_autotrack.backends.replicate.options import Limits, Timeouts
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
from sam2_autotrack.errors import (
    BackendError,
    PredictionCanceledError,
    PredictionError,
    PredictionTimeoutError,
)

__all__ = ["OUTPUT_DIR", "PredictionSteps", "run_prediction", "wait_for"]

OUTPUT_DIR = "replicate_outputs"


class PredictionSteps(Protocol):
    """The client calls a run is made of (implemented by ``ReplicateClient``)."""

    timeouts: Timeouts
    limits: Limits

    def upload(
        self, path: Path, *, filename: str | None = None, deadline: Deadline | None = None
    ) -> str:
        """Upload a file; return its URL."""
        ...

    def create(
        self, version: str, inputs: Mapping[str, Any], *, deadline: Deadline | None = None
    ) -> str:
        """Create a prediction; return its id."""
        ...

    def get(self, prediction_id: str, *, deadline: Deadline | None = None) -> Json | None:
        """Read a prediction (``None`` when unknown)."""
        ...

    def find(
        self,
        version: str,
        inputs: Mapping[str, Any],
        *,
        created_after: datetime | None = None,
        budget: float | None = None,
    ) -> Json | None:
        """Look for a prediction by version and input."""
        ...

    def cancel(self, prediction_id: str) -> bool:
        """Cancel a prediction, best effort."""
        ...

    def download(
        self,
        items: Sequence[tuple[Any, Path]],
        *,
        prediction_id: str | None = None,
        progress: ProgressCallback | None = None,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """Download outputs."""
        ...


def run_prediction(
    client: PredictionSteps,
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
    """Run one prediction end to end (see `run`)."""
    started = time.monotonic()
    deadline = Deadline.after(client.timeouts.prediction if timeout is None else timeout)
    files = dict(files or {})
    for name, path in files.items():
        if not Path(path).is_file():
            raise BackendError(f"file input {name!r} does not exist: {path}; pass an existing file")
    digests = {name: file_sha256(Path(path)) for name, path in files.items()}
    journal = Journal(
        work_dir, version=version, inputs=inputs, file_sha256=digests, extra=journal_extra
    )
    select = select_outputs or flatten_outputs

    prediction_id: str | None = None
    resumed = False
    entry = journal.read() if resume else None
    if entry is not None:
        local = _complete_local_result(entry, work_dir, started)
        if local is not None:
            return local
        known = _resumable(client, entry, deadline)
        if known is not None:
            prediction_id = str(known["id"])
            resumed = True
            if is_pending(entry):  # its create answer was lost; found again
                journal.created(prediction_id)
            if known.get("status") == SUCCEEDED and known.get("data_removed"):
                raise expired_error(prediction_id)
    sent: dict[str, Any] | None = None
    try:
        if prediction_id is None:
            sent = {**inputs, **_upload_all(client, files, deadline, progress)}
            journal.begin(sent_input=sent)  # before the request: a lost answer is found again
            prediction_id = client.create(version, sent, deadline=deadline)
            journal.created(prediction_id)
        final = wait_for(client, prediction_id, deadline, progress=progress, stop=stop)
        if final.get("data_removed"):
            raise expired_error(prediction_id)
        sources = list(select(final.get("output")))
        out_dir = work_dir / OUTPUT_DIR / _safe_component(prediction_id)
        items = [
            (source, out_dir / f"output_{index:05d}{suffix_for(source_url(source))}")
            for index, source in enumerate(sources)
        ]
        paths = client.download(
            items, prediction_id=prediction_id, progress=progress, deadline=deadline
        )
    except KeyboardInterrupt:
        if prediction_id is None and sent is not None:  # interrupted during the create
            orphan = client.find(version, sent, budget=client.timeouts.cancel)
            prediction_id = None if orphan is None else str(orphan["id"])
        if prediction_id is not None:
            client.cancel(prediction_id)
        raise
    predict_time = predict_time_of(final)
    journal.succeeded(
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


def wait_for(
    client: PredictionSteps,
    prediction_id: str,
    deadline: Deadline,
    *,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> Json:
    """Poll until the prediction ends; return its JSON if it succeeded (see ``client.wait``).

    Polls start ``Limits.poll_interval`` apart and grow 1.5x up to ``Limits.max_poll_interval``.
    Statuses the client does not know are polled on, like ``processing``. When ``stop`` is set
    or ``deadline`` passes, the prediction is canceled first.
    """
    pause = client.limits.poll_interval
    polls = 0
    status = "unknown"
    body: Json | None = None
    while True:
        try:
            body = client.get(prediction_id, deadline=deadline)
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
                client.cancel(prediction_id)
                raise PredictionCanceledError(
                    f"prediction {prediction_id} was canceled because a sibling job stopped",
                    prediction_id=prediction_id,
                    status=status,
                )
        if deadline.expired():
            client.cancel(prediction_id)
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
        pause = min(client.limits.max_poll_interval, pause * 1.5)


def _resumable(client: PredictionSteps, entry: Json, deadline: Deadline) -> Json | None:
    """Return the journaled prediction's JSON if it can be resumed (not failed/canceled)."""
    if is_pending(entry):
        known = client.find(
            str(entry.get("version")), entry["sent_input"], created_after=started_at(entry)
        )
    else:
        known = client.get(str(entry["prediction_id"]), deadline=deadline)
    if known is None or known.get("status") in CANCELED_STATES | {FAILED}:
        return None
    return known


def _upload_all(
    client: PredictionSteps,
    files: Mapping[str, Path],
    deadline: Deadline,
    progress: ProgressCallback | None,
) -> dict[str, str]:
    """Upload the file inputs; return ``{input name: URL}``."""
    urls = {}
    for index, (name, path) in enumerate(files.items()):
        if progress is not None:
            progress("upload", index, len(files))
        urls[name] = client.upload(
            Path(path), filename=f"{name}{Path(path).suffix}", deadline=deadline
        )
    if progress is not None and files:
        progress("upload", len(files), len(files))
    return urls


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


def _safe_component(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)[:80]
    return cleaned or "prediction"
