"""The on-disk journal of predictions, so a re-run resumes what it already paid for.

One JSON file per prediction identity under ``<work_dir>/replicate_journal/<key>.json``. The key is
a digest of the model version, the JSON inputs, the SHA-256 of each uploaded file and any extra
identity (how the upload was prepared), so the same request maps to the same file and a changed
request never resumes another's prediction. An entry is written (atomically) the moment a
prediction is created and updated when its outputs are on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sam2_autotrack._fs import write_json_atomic

__all__ = ["JOURNAL_DIR", "Journal", "journal_key"]

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


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class Journal:
    """The journal of one work directory.

    Parameters
    ----------
    work_dir
        The run's work directory (entries go to ``work_dir/replicate_journal/``).
    """

    def __init__(self, work_dir: Path) -> None:
        self.root = Path(work_dir) / JOURNAL_DIR

    def path(self, key: str) -> Path:
        """Return the entry file of ``key``."""
        return self.root / f"{key}.json"

    def read(self, key: str) -> Json | None:
        """Return the entry of ``key``, or ``None`` when absent or unreadable."""
        try:
            entry = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("prediction_id"), str):
            return None
        return entry

    def write(self, key: str, entry: Mapping[str, Any]) -> Json:
        """Write ``entry`` as the entry of ``key`` (atomically); return it."""
        written = dict(entry)
        write_json_atomic(self.path(key), written)
        return written

    def created(
        self,
        key: str,
        *,
        prediction_id: str,
        version: str,
        inputs: Mapping[str, Any],
        file_sha256: Mapping[str, str],
        extra: Mapping[str, Any] | None = None,
    ) -> Json:
        """Record a prediction the moment it was created."""
        return self.write(
            key,
            {
                "prediction_id": prediction_id,
                "version": version,
                "created_at": _now_iso(),
                "input": dict(inputs),
                "file_sha256": dict(file_sha256),
                **({"extra": dict(extra)} if extra else {}),
            },
        )

    def succeeded(
        self,
        key: str,
        *,
        prediction_id: str,
        output: Any,
        predict_time: float | None,
        downloaded: list[str],
    ) -> Json:
        """Record that the prediction succeeded and its outputs are on disk."""
        return self.write(
            key,
            {
                **(self.read(key) or {"prediction_id": prediction_id}),
                "status": "succeeded",
                "output": output,
                "predict_time": predict_time,
                "downloaded": downloaded,
            },
        )
