"""What a prediction's JSON means: its statuses, how it ended, and the result handed back.

Replicate reports a prediction as raw JSON (``id``, ``status``, ``output``, ``error``, ``logs``,
``metrics``, ``data_removed``). The JSON is never parsed into ``replicate``'s pydantic model,
which rejects statuses it does not know (``aborted``) and would orphan a paid prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sam2_autotrack.errors import (
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionFailedError,
)

__all__ = [
    "CANCELED_STATES",
    "FAILED",
    "SUCCEEDED",
    "TERMINAL",
    "Json",
    "OutputSelector",
    "PredictionResult",
    "check_terminal",
    "expired_error",
    "flatten_outputs",
    "logs_tail",
    "predict_time_of",
]

Json = dict[str, Any]
OutputSelector = Callable[[Any], Sequence[Any]]
"""Picks the outputs to download from a prediction's raw ``output``."""

FAILED = "failed"
SUCCEEDED = "succeeded"
CANCELED_STATES = frozenset({"canceled", "aborted"})
TERMINAL = frozenset({SUCCEEDED, FAILED}) | CANCELED_STATES
_LOG_TAIL_LINES = 20


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


def logs_tail(logs: Any, lines: int = _LOG_TAIL_LINES) -> str | None:
    r"""Return the last ``lines`` lines of a prediction's logs (``None`` when there are none).

    Examples
    --------
    >>> logs_tail("a\nb\nc", lines=2)
    'b\nc'
    """
    if not isinstance(logs, str) or not logs.strip():
        return None
    return "\n".join(logs.rstrip().splitlines()[-lines:])


def predict_time_of(prediction: Mapping[str, Any]) -> float | None:
    """Return the billed seconds of a prediction JSON (``metrics.predict_time``), if a number.

    Examples
    --------
    >>> predict_time_of({"metrics": {"predict_time": 1.5}}), predict_time_of({})
    (1.5, None)
    """
    metrics = prediction.get("metrics")
    value = metrics.get("predict_time") if isinstance(metrics, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def flatten_outputs(output: Any) -> list[Any]:
    """Every leaf of a prediction's output, in order (the default output selector).

    Examples
    --------
    >>> flatten_outputs({"a": ["u1", "u2"], "b": "u3", "c": None})
    ['u1', 'u2', 'u3']
    """
    if output is None:
        return []
    if isinstance(output, Mapping):
        return [item for value in output.values() for item in flatten_outputs(value)]
    if isinstance(output, (list, tuple)):
        return [item for value in output for item in flatten_outputs(value)]
    return [output]


def check_terminal(body: Json) -> Json:
    """Return a succeeded prediction's JSON; raise the typed error of any other ending.

    Raises
    ------
    PredictionFailedError
        Status ``failed`` (the error names the prediction, its error and the logs' tail).
    PredictionCanceledError
        Status ``canceled`` or ``aborted``.
    """
    status = str(body.get("status"))
    pid = str(body.get("id"))
    tail = logs_tail(body.get("logs"))
    if status == SUCCEEDED:
        return body
    if status == FAILED:
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


def expired_error(prediction_id: str) -> OutputsExpiredError:
    """Return the error for a prediction whose outputs Replicate has deleted."""
    return OutputsExpiredError(
        f"the outputs of prediction {prediction_id} have expired: Replicate deletes API outputs "
        "one hour after the prediction (data_removed); re-run with --no-resume (resume=False) or "
        "delete its entry under replicate_journal/ in the work directory to pay for a new one",
        prediction_id=prediction_id,
        status=SUCCEEDED,
    )
