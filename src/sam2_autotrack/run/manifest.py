"""The run manifest: one JSON file recording what a run read, did and wrote (never a secret)."""

from __future__ import annotations

import datetime as _dt
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sam2_autotrack._fs import write_json_atomic

__all__ = ["MANIFEST_NAME", "scrub_secrets", "write_manifest"]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
_SECRET_WORDS = ("token", "secret", "password", "authorization", "api_key")


def scrub_secrets(value: Any) -> Any:
    """Return ``value`` with every mapping entry whose key names a secret replaced by ``"***"``.

    Examples
    --------
    >>> scrub_secrets({"api_token": "r8_abc", "nested": [{"Authorization": "Bearer x"}], "n": 1})
    {'api_token': '***', 'nested': [{'Authorization': '***'}], 'n': 1}
    """
    if isinstance(value, Mapping):
        return {
            key: (
                "***"
                if any(word in str(key).lower() for word in _SECRET_WORDS)
                else scrub_secrets(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_secrets(item) for item in value]
    return value


def write_manifest(
    run_dir: Path,
    *,
    inputs: Mapping[str, Any],
    parameters: Mapping[str, Any],
    backend: Mapping[str, Any],
    clicks: Mapping[str, Any],
    tracks: Mapping[str, Any],
    timings: Mapping[str, float],
    files: Iterable[Path],
) -> Path:
    """Write ``manifest.json`` (atomically) into ``run_dir`` and return its path.

    Files are recorded relative to ``run_dir``; anything whose key names a secret is scrubbed.
    """
    from sam2_autotrack import __version__

    relative = sorted(
        {str(Path(f).resolve().relative_to(run_dir.resolve())) for f in files} | {MANIFEST_NAME}
    )
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "library": {"name": "sam2_autotrack", "version": __version__},
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "input": dict(inputs),
        "parameters": dict(parameters),
        "backend": dict(backend),
        "clicks": dict(clicks),
        "tracks": dict(tracks),
        "timings": {key: round(float(value), 4) for key, value in timings.items()},
        "files": relative,
    }
    return write_json_atomic(run_dir / MANIFEST_NAME, scrub_secrets(manifest))
