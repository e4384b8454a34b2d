"""The run folder on disk: writing its seed stage and its tracks, and loading a finished run back.

Layout (every file written atomically; ``manifest.json`` last, by
:mod:`sam2_autotrack.run.manifest`):

- seed stage: ``frame0.png`` (the exact frame the clicks were made on), ``masks_all/`` (every
  proposal), ``masks_selected/<object_id>.png`` (the kept objects), ``clicks.json``;
- tracks: ``masks/<object_id>/frame_00000.png``... (one white-on-black PNG per mask frame, named by
  source frame index) and ``video_result.json`` (the backend's record, secrets scrubbed).

:func:`load_run` reads a finished folder (manifest + per-object masks) back into a
:class:`~sam2_autotrack.TrackResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path, write_json_atomic, write_text_atomic
from sam2_autotrack.backends.base import MaskProposals, ObjectTracks
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import AutotrackError, ConfigError, ExportError
from sam2_autotrack.export.sequences import write_mask_sequences
from sam2_autotrack.masks.png import decode_mask, write_mask_png
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.run.manifest import read_manifest, scrub_secrets, video_info_from_json
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.selection.decisions import Selection

__all__ = [
    "INCOMPLETE_NAME",
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
    """Make ``run_dir`` ready for a run and mark it incomplete until :func:`finish_run`.

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
    """Whether ``run_dir`` holds an unfinished (interrupted or failed) run."""
    return (Path(run_dir) / INCOMPLETE_NAME).is_file()


def write_seed_stage(
    run_dir: str | Path,
    *,
    frame0_rgb: NDArray[np.uint8],
    proposals: MaskProposals,
    selection: Selection,
    clicks: ClickSet,
) -> list[Path]:
    """Write what the clicks were made from; return the files written.

    ``frame0.png`` (lossless, native size), ``masks_all/proposal_000.png``... (every proposal),
    ``masks_selected/<object_id>.png`` (the kept masks, in click order) and ``clicks.json``.
    """
    out = Path(run_dir)
    frame0 = out / "frame0.png"
    with atomic_path(frame0) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(frame0_rgb, cv2.COLOR_RGB2BGR)):
            raise AutotrackError(f"could not write {frame0}; is the disk full?")
    files = [frame0]
    for index, mask in enumerate(proposals.masks):
        files.append(write_mask_png(out / "masks_all" / f"proposal_{index:03d}.png", mask))
    for object_id, mask in zip(clicks.object_ids, selection.masks, strict=True):
        files.append(write_mask_png(out / "masks_selected" / f"{object_id}.png", mask))
    files.append(write_json_atomic(out / "clicks.json", clicks.to_json_dict()))
    return files


def write_tracks(run_dir: str | Path, result: TrackResult) -> list[Path]:
    """Write ``masks/<object_id>/frame_*.png`` (the raw tracked masks) and ``video_result.json``.

    Returns the files written. The masks are not cleaned: :func:`load_run` reads back exactly what
    the tracker returned. Anything in the record whose key names a secret is scrubbed.
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
    }
    files = [write_json_atomic(out / "video_result.json", scrub_secrets(video_result))]
    written = write_mask_sequences(
        tracks.masks, frame_indices=tracks.frame_indices, out_dir=out / "masks"
    )
    for paths in written.values():
        files.extend(paths)
    return files


def load_run(run_dir: str | Path) -> TrackResult:
    """Load a run folder written by :meth:`AutoTracker.track` (manifest + per-object masks).

    Parameters
    ----------
    run_dir
        The ``out_dir`` of a finished run.

    Returns
    -------
    TrackResult
        Tracks, clicks, video and its properties, backend record and timings; ``run_dir`` set.
        The proposals and the selection are not loaded.

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
        oid: _load_sequence(run / "masks" / oid, frame_indices, info.resolution_wh)
        for oid in manifest["tracks"]["object_ids"]
    }
    tracks = ObjectTracks(
        masks=masks,
        frame_indices=frame_indices,
        frame_count=int(manifest["tracks"]["frame_count"]),
        prediction_ids=tuple(manifest["tracks"].get("prediction_ids", ())),
        predict_time=manifest["tracks"].get("predict_time"),
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


def _load_sequence(
    folder: Path, frame_indices: NDArray[np.int64], resolution_wh: tuple[int, int]
) -> MaskSequence:
    sequence = MaskSequence(resolution_wh)
    for index in frame_indices.tolist():
        path = folder / f"frame_{int(index):05d}.png"
        if not path.is_file():
            raise ExportError(
                f"mask {path} is missing; the run folder is incomplete — re-run "
                "`sam2-autotrack track` (a Replicate prediction is resumed, not paid again)"
            )
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
