"""The run folder on disk: writing its seed stage and its tracks, and loading a finished run back.

Layout (every file written atomically; ``manifest.json`` last, by
`sam2_autotrack.run.manifest`):

- seed stage: ``frame0.png`` (the exact frame the clicks were made on), ``masks_all/`` (every
  proposal), ``masks_selected/<object_id>.png`` (the kept objects), ``clicks.json``;
- tracks: ``masks/<object_id>/frame_00000.png``... (one white-on-black PNG per mask frame, named by
  source frame index), ``masks_index/<object_id>.msq`` (the same masks as one compact file per
  object, see `sam2_autotrack.masks.store_file`) and ``video_result.json`` (the backend's
  record, secrets scrubbed).

[`write_tracks`][sam2_autotrack.run.write_tracks] writes one frame's mask at a time, and
[`load_run`][sam2_autotrack.load_run] reads a finished folder (manifest + per-object masks) back
into a [`TrackResult`][sam2_autotrack.TrackResult] whose masks are read from the ``.msq`` files on
demand: loading costs a few bytes per frame, not a decoded PNG. The PNGs stay the reference: an
object whose index is missing, damaged, or older than one of its PNGs (a mask edited by hand) is
read from its PNGs instead.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path, write_json_atomic, write_text_atomic
from sam2_autotrack.backends.base import MaskProposals, ObjectTracks
from sam2_autotrack.backends.cost import CostReport
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import AutotrackError, ConfigError, ExportError, MaskError
from sam2_autotrack.masks.health_meter import health_from_json, health_to_json
from sam2_autotrack.masks.png import decode_mask, write_mask_png
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.store_file import MASK_FILE_SUFFIX, open_mask_file, write_mask_file
from sam2_autotrack.run.health import health_record
from sam2_autotrack.run.manifest import read_manifest, scrub_secrets, video_info_from_json
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.selection.decisions import Selection

__all__ = [
    "INCOMPLETE_NAME",
    "MASK_INDEX_DIR",
    "begin_run",
    "check_run_dir",
    "finish_run",
    "is_incomplete",
    "load_run",
    "write_seed_stage",
    "write_tracks",
]

INCOMPLETE_NAME = "INCOMPLETE"
"""Marker file of a run folder whose run has not finished (it goes when the manifest is written)."""
MASK_INDEX_DIR = "masks_index"
"""Folder of a run's compact mask files, ``masks_index/<object_id>.msq``."""

_INCOMPLETE_TEXT = (
    "This run folder is incomplete: its run was interrupted or failed before manifest.json was "
    "written.\nRun the same `sam2-autotrack track` command (or AutoTracker.track call) again to "
    "resume it: a Replicate prediction already created is resumed from work/, not paid again.\n"
)


def check_run_dir(run_dir: str | Path) -> Path:
    """Check that ``run_dir`` can be a run folder (missing, or a folder) before any work is done.

    Raises
    ------
    ConfigError
        ``run_dir`` or a parent of it exists and is not a folder (an ``--out`` naming a file).
    """
    out = Path(run_dir)
    for part in (out, *out.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(
                    f"the output folder {out} cannot be created: {part} exists and is not a "
                    "folder; pass a new or existing folder as out_dir (--out)"
                )
            break
    return out


def begin_run(run_dir: str | Path) -> Path:
    """Make ``run_dir`` ready for a run and mark it incomplete until `finish_run`.

    Parameters
    ----------
    run_dir
        The run folder; created when missing, reused (and overwritten file by file) when it is
        already a folder.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ConfigError
        ``run_dir`` exists but is not a folder (an ``--out`` that names a file).
    """
    out = check_run_dir(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / INCOMPLETE_NAME, _INCOMPLETE_TEXT)
    return out


def finish_run(run_dir: str | Path) -> None:
    """Remove the incomplete marker of ``run_dir`` (call after the manifest is written)."""
    (Path(run_dir) / INCOMPLETE_NAME).unlink(missing_ok=True)


def is_incomplete(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds an unfinished (interrupted or failed) run.

    Parameters
    ----------
    run_dir
        A run folder.

    Returns
    -------
    bool
        ``True`` when its ``INCOMPLETE`` marker is there.
    """
    return (Path(run_dir) / INCOMPLETE_NAME).is_file()


def write_seed_stage(
    run_dir: str | Path,
    *,
    frame0_rgb: NDArray[np.uint8],
    proposals: MaskProposals,
    selection: Selection | None,
    clicks: ClickSet,
) -> list[Path]:
    """Write what the clicks were made from; return the files written.

    ``frame0.png`` (lossless, native size), ``masks_all/proposal_000.png``... (every proposal),
    ``masks_selected/<object_id>.png`` (the kept masks, in click order; with ``selection=None``,
    objects chosen by prompts, the caller writes them) and ``clicks.json``.

    Parameters
    ----------
    run_dir
        The run folder (created).
    frame0_rgb
        ``(H, W, 3)`` uint8 RGB frame 0 the proposals were made on.
    proposals
        Every frame-0 proposal.
    selection
        The selection made from ``proposals``, or ``None`` for objects chosen by prompts.
    clicks
        The seed clicks.

    Returns
    -------
    list[pathlib.Path]
        The files written.

    Raises
    ------
    AutotrackError
        A PNG could not be written (a full disk, say).
    """
    out = Path(run_dir)
    frame0 = out / "frame0.png"
    with atomic_path(frame0) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(frame0_rgb, cv2.COLOR_RGB2BGR)):
            raise AutotrackError(f"could not write {frame0}; is the disk full?")
    files = [frame0]
    for index, mask in enumerate(proposals.masks):
        files.append(write_mask_png(out / "masks_all" / f"proposal_{index:03d}.png", mask))
    if selection is not None:
        for object_id, mask in zip(clicks.object_ids, selection.masks, strict=True):
            files.append(write_mask_png(out / "masks_selected" / f"{object_id}.png", mask))
    files.append(write_json_atomic(out / "clicks.json", clicks.to_json_dict()))
    return files


def write_tracks(run_dir: str | Path, result: TrackResult) -> list[Path]:
    """Write the tracked masks and ``video_result.json``; return the files written.

    Per object: ``masks/<object_id>/frame_*.png`` (one white-on-black PNG per mask frame, named by
    source frame index) and ``masks_index/<object_id>.msq`` (the compact copy
    [`load_run`][sam2_autotrack.load_run] reads). One frame's mask is decoded at a time, so memory
    does not grow with the length of the video. The masks are not cleaned:
    [`load_run`][sam2_autotrack.load_run] reads back exactly what the tracker returned. Anything in
    the record whose key names a secret is scrubbed.

    Parameters
    ----------
    run_dir
        The run folder (created).
    result
        The tracking result.

    Returns
    -------
    list[pathlib.Path]
        The files written.
    """
    out = Path(run_dir)
    tracks = result.tracks
    video_result = {
        "backend": dict(result.backend),
        "object_ids": list(tracks.object_ids),
        "frame_indices": tracks.frame_indices.tolist(),
        "frame_count": tracks.frame_count,
        "prediction_ids": list(result.prediction_ids),
        "predict_time": tracks.predict_time,
        "info": _jsonable(tracks.info),
        "cost": result.cost.to_json(),
        "health": health_record(result.health, tracks.frame_indices),
    }
    files = [write_json_atomic(out / "video_result.json", scrub_secrets(video_result))]
    frames = tracks.frame_indices.tolist()
    for object_id, sequence in tracks.masks.items():
        folder = out / "masks" / object_id
        for position, frame in enumerate(frames):
            files.append(write_mask_png(folder / _png_name(frame), sequence[position]))
        # Written after the PNGs: an index older than a PNG means the PNG was edited since.
        files.append(write_mask_file(_index_path(out, object_id), sequence))
    return files


def load_run(run_dir: str | Path) -> TrackResult:
    """Load a run folder written by `AutoTracker.track` (manifest + per-object masks).

    Parameters
    ----------
    run_dir
        The ``out_dir`` of a finished run.

    Returns
    -------
    TrackResult
        Tracks, clicks, video and its properties, backend record and timings; ``run_dir`` set.
        Its `health` is the one recorded in the manifest.
        The proposals and the selection are not loaded; the whole cost report (proposals
        included) is on the tracks. The masks are read from the folder's ``masks_index/`` files
        frame by frame when they are used (a frame read after the folder was overwritten by
        another run raises [`MaskError`][sam2_autotrack.MaskError]: load it again).

    Raises
    ------
    ExportError
        Not a run folder, an incomplete (interrupted) run, or a mask PNG is missing.
    """
    run = Path(run_dir)
    if is_incomplete(run):
        raise ExportError(
            f"{run} holds an incomplete run (interrupted or failed before it finished); run the "
            "same `sam2-autotrack track` command again to resume it, then load or export it"
        )
    manifest = read_manifest(run)
    clicks = ClickSet.model_validate(
        {key: manifest["clicks"][key] for key in ("clicks", "resolution_wh")}
    )
    info = video_info_from_json(manifest["input"]["video_info"])
    frame_indices = np.asarray(manifest["tracks"]["frame_indices"], dtype=np.int64)
    masks = {
        oid: _load_sequence(run, oid, frame_indices, info.resolution_wh)
        for oid in manifest["tracks"]["object_ids"]
    }
    tracks = ObjectTracks(
        masks=masks,
        frame_indices=frame_indices,
        frame_count=int(manifest["tracks"]["frame_count"]),
        prediction_ids=tuple(manifest["tracks"].get("prediction_ids", ())),
        predict_time=manifest["tracks"].get("predict_time"),
        cost=CostReport.from_json(manifest.get("cost")),
        info={
            **_recorded_health(run, manifest),
            "scene_cuts": list(manifest["tracks"].get("scene_cuts") or []),
            "rediscovered": list(manifest["tracks"].get("rediscovered") or []),
        },
    )
    return TrackResult(
        tracks=tracks,
        clicks=clicks,
        video=Path(manifest["input"]["video"]),
        video_info=info,
        backend=manifest.get("backend") or {},
        timings=manifest.get("timings") or {},
        run_dir=run,
    )


def _recorded_health(run: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``{"health": record}`` from the manifest (or an older folder's ``video_result.json``).

    Empty when neither has it: the result then judges its masks when asked.
    """
    record = manifest["tracks"].get("health")
    if record is None:
        with contextlib.suppress(OSError, ValueError):
            saved = json.loads((run / "video_result.json").read_text())
            record = saved.get("health", saved.get("info", {}).get("health"))
    if record is None:
        return {}
    try:
        return {"health": health_to_json(health_from_json(record))}
    except MaskError as exc:
        raise ExportError(f"{run}: the recorded track health is damaged ({exc})") from None


def _png_name(frame: int) -> str:
    return f"frame_{int(frame):05d}.png"


def _index_path(run: Path, object_id: str) -> Path:
    return run / MASK_INDEX_DIR / f"{object_id}{MASK_FILE_SUFFIX}"


def _load_sequence(
    run: Path, object_id: str, frame_indices: NDArray[np.int64], resolution_wh: tuple[int, int]
) -> MaskSequence:
    """One object's masks: its index file read lazily, else its PNGs decoded one at a time."""
    pngs = [run / "masks" / object_id / _png_name(i) for i in frame_indices.tolist()]
    newest = 0
    for path in pngs:
        try:
            newest = max(newest, path.stat().st_mtime_ns)
        except FileNotFoundError:
            raise ExportError(
                f"mask {path} is missing; the run folder is incomplete — re-run "
                "`sam2-autotrack track` (a Replicate prediction is resumed, not paid again)"
            ) from None
    index = _index_path(run, object_id)
    if index.is_file():
        try:
            sequence = open_mask_file(index)
        except MaskError:
            sequence = None  # damaged: the PNGs are the reference
        if (
            sequence is not None
            and sequence.resolution_wh == resolution_wh
            and len(sequence) == len(pngs)
            and index.stat().st_mtime_ns >= newest
        ):
            return sequence
    sequence = MaskSequence(resolution_wh)
    for path in pngs:
        sequence.append(decode_mask(path, expected_wh=resolution_wh))
    return sequence


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value
