"""The run manifest: one JSON file recording what a run read, did and wrote (never a secret).

``manifest.json`` is written last: a run folder with a manifest is complete.
[`write_manifest`][sam2_autotrack.run.write_manifest] writes any manifest;
[`write_run_manifest`][sam2_autotrack.run.write_run_manifest] builds the one of a
[`TrackResult`][sam2_autotrack.TrackResult] (input video hash and properties, parameters, backend,
clicks, tracks, timings, files); `add_files` records files written later (exports) and leaves
everything else the run recorded as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sam2_autotrack._fs import file_sha256, write_json_atomic
from sam2_autotrack.errors import ExportError
from sam2_autotrack.run.health import health_record
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.video.probe import VideoInfo

__all__ = [
    "MANIFEST_NAME",
    "add_files",
    "read_manifest",
    "scrub_secrets",
    "video_info_from_json",
    "video_info_json",
    "write_manifest",
    "write_run_manifest",
]

MANIFEST_NAME = "manifest.json"
"""File name of a run's manifest, written last: a run folder with one is complete."""
MANIFEST_VERSION = 1
_SECRET_WORDS = ("token", "secret", "password", "authorization", "api_key")


def scrub_secrets(value: Any) -> Any:
    """Return ``value`` with every mapping entry whose key names a secret replaced by ``"***"``.

    Parameters
    ----------
    value
        Any JSON-like value: mappings and lists are walked, other values kept.

    Returns
    -------
    Any
        A scrubbed copy (``value`` is not modified).

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
    cost: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json`` (atomically) into ``run_dir`` and return its path.

    Files are recorded relative to ``run_dir``; anything whose key names a secret is scrubbed.
    ``cost`` (a [`to_json`][sam2_autotrack.backends.CostReport.to_json] record) is written under
    ``"cost"`` when given.

    Parameters
    ----------
    run_dir
        The run folder.
    inputs
        The input video's record (path, SHA-256, size, probed properties).
    parameters
        The selection, seed and export options (see
        [`VideoJob.parameters`][sam2_autotrack.run.VideoJob.parameters]).
    backend
        The backend's [`describe`][sam2_autotrack.Backend.describe] record.
    clicks
        The click set's [`to_json_dict`][sam2_autotrack.ClickSet.to_json_dict].
    tracks
        Object ids, frame indices and the like of the tracks.
    timings
        Seconds per stage.
    files
        The files the run wrote.
    cost
        The remote predictions' cost record, if any.

    Returns
    -------
    pathlib.Path
        ``run_dir/manifest.json``.

    Raises
    ------
    ExportError
        When one of ``files`` lies outside ``run_dir``.
    """
    from sam2_autotrack import __version__

    relative = sorted(_names_in(run_dir, files) | {MANIFEST_NAME})
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
    if cost is not None:
        manifest["cost"] = dict(cost)
    return write_json_atomic(run_dir / MANIFEST_NAME, scrub_secrets(manifest))


def add_files(run_dir: str | Path, files: Iterable[Path]) -> Path:
    """Add ``files`` to the file list of ``run_dir``'s manifest; return the manifest's path.

    Only ``files`` changes: what the run recorded (its creation time, tracks, re-discovered
    objects, timings, cost) stays as it was. The manifest is rewritten atomically.

    Parameters
    ----------
    run_dir
        A finished run folder.
    files
        Files written into it since (paths inside ``run_dir``).

    Returns
    -------
    pathlib.Path
        ``run_dir/manifest.json``.

    Raises
    ------
    ExportError
        When ``run_dir`` has no readable manifest, or a file lies outside it.

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = write_manifest(run, inputs={}, parameters={}, backend={}, clicks={}, tracks={},
    ...                    timings={}, files=[])
    >>> _ = add_files(run, [run / "overlay.mp4"])
    >>> read_manifest(run)["files"]
    ['manifest.json', 'overlay.mp4']
    """
    run = Path(run_dir)
    manifest = read_manifest(run)
    added = _names_in(run, files)
    manifest["files"] = sorted(set(manifest.get("files", [])) | added | {MANIFEST_NAME})
    return write_json_atomic(run / MANIFEST_NAME, manifest)


def _names_in(run_dir: Path, files: Iterable[Path]) -> set[str]:
    """Names of ``files`` relative to ``run_dir``, as the manifest records them."""
    root = run_dir.resolve()
    names = set()
    for f in files:
        try:
            names.add(str(Path(f).resolve().relative_to(root)))
        except ValueError:
            raise ExportError(
                f"{f} is not inside the run folder {run_dir}; only files written into it are "
                "recorded in its manifest"
            ) from None
    return names


def video_info_json(info: VideoInfo | None) -> dict[str, Any] | None:
    """Return probed video properties as JSON-ready values (``None`` stays ``None``)."""
    if info is None:
        return None
    data = dataclasses.asdict(info)
    data["path"] = str(info.path)
    data["sample_aspect_ratio"] = list(info.sample_aspect_ratio)
    return data


def video_info_from_json(data: Mapping[str, Any]) -> VideoInfo:
    """Rebuild [`VideoInfo`][sam2_autotrack.VideoInfo] from `video_info_json`'s output."""
    return VideoInfo(
        **{
            **data,
            "path": Path(data["path"]),
            "sample_aspect_ratio": tuple(data["sample_aspect_ratio"]),
        }
    )


def write_run_manifest(
    result: TrackResult,
    run_dir: str | Path,
    *,
    files: Iterable[Path],
    parameters: Mapping[str, Any],
) -> Path:
    """Write the manifest of ``result`` into ``run_dir``; return its path.

    The input video is recorded by absolute path, SHA-256 and size (when it exists) and its probed
    properties; ``files`` are the files the run wrote; ``cost`` is the result's
    [`CostReport`][sam2_autotrack.backends.CostReport] (predictions, frames uploaded, predict time);
    ``tracks.health`` is the result's [`health`][sam2_autotrack.TrackResult.health]
    (`health_record`: per object id, each issue's kind, mask-frame positions ``[start, stop)``,
    detail and source ``frames`` ``[first, last]``; ``[]`` when healthy).

    Parameters
    ----------
    result
        The tracking result.
    run_dir
        The run folder.
    files
        The files the run wrote.
    parameters
        The selection, seed and export options, as recorded.

    Returns
    -------
    pathlib.Path
        ``run_dir/manifest.json``.
    """
    video = result.video
    inputs: dict[str, Any] = {"video": str(video.resolve()) if video else None}
    if video is not None and video.is_file():
        inputs["video_sha256"] = file_sha256(video)
        inputs["video_bytes"] = video.stat().st_size
    inputs["video_info"] = video_info_json(result.video_info)
    tracks = result.tracks
    return write_manifest(
        Path(run_dir),
        inputs=inputs,
        parameters=parameters,
        backend=result.backend,
        clicks=result.clicks.to_json_dict(),
        tracks={
            "object_ids": list(tracks.object_ids),
            "frame_indices": tracks.frame_indices.tolist(),
            "frame_count": tracks.frame_count,
            "prediction_ids": list(result.prediction_ids),
            "predict_time": tracks.predict_time,
            "first_frames": result.first_frames,
            "scene_cuts": list(result.scene_cuts),
            "rediscovered": list(tracks.info.get("rediscovered") or []),
            "health": health_record(result.health, tracks.frame_indices),
        },
        timings=result.timings,
        files=files,
        cost=result.cost.to_json(),
    )


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """Read the manifest of a finished run folder.

    Parameters
    ----------
    run_dir
        The run folder.

    Returns
    -------
    dict[str, Any]
        The parsed ``manifest.json``.

    Raises
    ------
    ExportError
        ``run_dir`` has no manifest (not a run folder, or an unfinished run).
    """
    path = Path(run_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ExportError(
            f"{run_dir} is not a run folder: {MANIFEST_NAME} is missing; pass the --out folder of "
            "a finished `sam2-autotrack track` run"
        )
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest
