"""The on-disk journal of predictions, so a re-run resumes what it already paid for.

One JSON file per prediction identity under ``<work_dir>/replicate_journal/<key>.json``. The key is
a digest of the model version, the JSON inputs, the SHA-256 of each uploaded file and any extra
identity (how the upload was prepared), so the same request maps to the same file and a changed
request never resumes another's prediction. An entry is written (atomically) before the create
request is sent, again the moment the prediction's id is known, and when its outputs are on disk:
whatever fails after the create, a re-run finds the prediction that was paid for.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sam2_autotrack._fs import write_json_atomic

__all__ = [
    "JOURNAL_DIR",
    "Journal",
    "is_pending",
    "journal_key",
    "json_safe",
    "parse_time",
    "started_at",
]

JOURNAL_DIR = "replicate_journal"

Json = dict[str, Any]


def journal_key(
    version: str,
    inputs: Mapping[str, Any],
    file_digests: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Return the journal key of a prediction request (32 hex digits).

    Examples
    --------
    >>> a = journal_key("v1", {"x": 1}, {"image": "ab"})
    >>> a == journal_key("v1", {"x": 1}, {"image": "ab"}), a == journal_key("v2", {"x": 1}, {})
    (True, False)
    """
    identity: dict[str, Any] = {
        "version": version,
        "input": dict(inputs),
        "files": dict(file_digests),
    }
    if extra:  # absent when empty, so keys of runs without extras never change
        identity["extra"] = dict(extra)
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(Z|z|[+-]\d\d:\d\d)?")


def json_safe(value: Any) -> Any:
    """Return ``value`` as strict JSON: non-finite floats become ``None``, other types ``str``.

    Examples
    --------
    >>> json_safe({"t": float("nan"), "s": ("a", 1.5, float("inf")), 2: Path("x")})
    {'t': None, 's': ['a', 1.5, None], '2': 'x'}
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return str(value)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class Journal:
    """The journal entry of one prediction request in a work directory.

    An entry goes through three states: ``"creating"`` (written *before* the create request, with
    exactly what is sent, so a prediction whose create answer was lost can be found again),
    ``"created"`` (the id is known: a re-run polls it instead of paying again) and
    ``"succeeded"`` (the outputs are on disk: a re-run needs no network).

    Parameters
    ----------
    work_dir
        The run's work directory (entries go to ``work_dir/replicate_journal/<key>.json``).
    version, inputs, file_sha256, extra
        The request's identity (see `journal_key`).

    Examples
    --------
    >>> import tempfile
    >>> journal = Journal(Path(tempfile.mkdtemp()), version="v", inputs={"x": 1}, file_sha256={})
    >>> _ = journal.begin(sent_input={"x": 1})
    >>> journal.read()["state"]
    'creating'
    >>> journal.created("p1")["prediction_id"]
    'p1'
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        version: str,
        inputs: Mapping[str, Any],
        file_sha256: Mapping[str, str],
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.key = journal_key(version, inputs, file_sha256, extra)
        self.path = Path(work_dir) / JOURNAL_DIR / f"{self.key}.json"
        self._identity: Json = {
            "version": version,
            "input": dict(inputs),
            "file_sha256": dict(file_sha256),
            **({"extra": dict(extra)} if extra else {}),
        }

    def read(self) -> Json | None:
        """Return the entry (with an id, or a pending creation), else ``None``."""
        try:
            entry = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict):
            return None
        if isinstance(entry.get("prediction_id"), str) or is_pending(entry):
            return entry
        return None

    def write(self, entry: Mapping[str, Any]) -> Json:
        """Write ``entry`` (atomically, as strict JSON: see `json_safe`); return it."""
        written: Json = json_safe(dict(entry))
        write_json_atomic(self.path, written)
        return written

    def begin(self, *, sent_input: Mapping[str, Any]) -> Json:
        """Record a create request about to be sent (``sent_input``: exactly what is sent)."""
        return self.write(
            {
                "state": "creating",
                "create_started_at": _now_iso(),
                **self._identity,
                "sent_input": dict(sent_input),
            }
        )

    def created(self, prediction_id: str) -> Json:
        """Record a prediction the moment its id is known."""
        earlier = self.read() or {}
        return self.write(
            {
                **{k: v for k, v in earlier.items() if k in ("create_started_at", "sent_input")},
                "state": "created",
                "prediction_id": prediction_id,
                "created_at": _now_iso(),
                **self._identity,
            }
        )

    def succeeded(
        self,
        *,
        prediction_id: str,
        output: Any,
        predict_time: float | None,
        downloaded: list[str],
    ) -> Json:
        """Record that the prediction succeeded and its outputs are on disk."""
        return self.write(
            {
                **(self.read() or self._identity),
                "state": "succeeded",
                "prediction_id": prediction_id,
                "status": "succeeded",
                "output": output,
                "predict_time": predict_time,
                "downloaded": downloaded,
            }
        )


def is_pending(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` records a create request whose answer (the id) never arrived.

    Examples
    --------
    >>> is_pending({"state": "creating", "sent_input": {}}), is_pending({"prediction_id": "p"})
    (True, False)
    """
    return (
        entry.get("state") == "creating"
        and not isinstance(entry.get("prediction_id"), str)
        and isinstance(entry.get("sent_input"), dict)
    )


def started_at(entry: Mapping[str, Any]) -> datetime | None:
    """Return when the entry's create request was sent (``None`` if unknown)."""
    return parse_time(entry.get("create_started_at"))


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 time as the API writes it (``...Z`` included); ``None`` if it is not.

    Examples
    --------
    >>> parse_time("2025-01-01T00:00:00.5Z").isoformat()
    '2025-01-01T00:00:00.500000+00:00'
    >>> parse_time("yesterday") is None
    True
    """
    match = _ISO_TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    base, fraction, zone = match.groups()
    micros = (fraction or ".0")[1:7].ljust(6, "0")  # Python 3.10 parses exactly 6 digits
    offset = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{base}.{micros}{offset}")
    except ValueError:
        return None
