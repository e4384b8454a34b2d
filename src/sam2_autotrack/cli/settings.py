"""Turn parsed flags into the library's option objects, all validated before any work starts.

A flag whose value an option object refuses (``--max-objects 0``, ``--output-frame-interval 0``,
``--pred-iou-thresh 2``) raises [`ConfigError`][sam2_autotrack.ConfigError], which the command line
reports in one line with exit status 2 — whichever backend was asked for.
"""

from __future__ import annotations

import argparse
from typing import Any

from sam2_autotrack.backends.replicate.options import ImageModelInputs, Timeouts, VideoModelInputs
from sam2_autotrack.backends.resolve import close_backend, resolve_backend
from sam2_autotrack.errors import ConfigError
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.progress import StderrProgress
from sam2_autotrack.prompts import Prompts, parse_box, parse_picks, parse_point
from sam2_autotrack.rediscovery import RediscoveryOptions, coerce_rediscovery
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.tracker import AutoTracker

__all__ = ["export_options", "make_tracker", "prompt_options", "replicate_options"]


def export_options(args: argparse.Namespace) -> ExportOptions:
    """Return the [`ExportOptions`][sam2_autotrack.export.ExportOptions] of the export flags."""
    return ExportOptions(
        alpha=tuple(args.alpha or ()),
        per_object=args.per_object,
        overlay=args.overlay,
        coco=args.coco,
        palette=args.palette,
        quality=args.quality,
        cleanup={
            "fill_holes_px": args.fill_holes,
            "min_component_px": args.min_component,
            "feather_px": args.feather,
        },
        ffmpeg=args.ffmpeg,
    )


def prompt_options(args: argparse.Namespace) -> Prompts | None:
    """Return the [`Prompts`][sam2_autotrack.prompts.Prompts] of the prompt flags (``None``: none).

    Every flag is parsed and checked here, before any work: a malformed ``--point`` or an empty
    ``--box`` is a one-line [`ConfigError`][sam2_autotrack.ConfigError] naming the flag.
    """
    points = [parse_point(text) for text in args.point or ()]
    points += [
        parse_point(text, label=0, flag="--negative-point") for text in args.negative_point or ()
    ]
    boxes = [parse_box(text) for text in args.box or ()]
    picks = [number for text in args.pick or () for number in parse_picks(text)]
    if len(set(picks)) != len(picks):
        repeated = sorted({n for n in picks if picks.count(n) > 1})
        raise ConfigError(f"--pick {repeated[0]} is given twice; pick each proposal once")
    text = list(args.prompt or ())
    if not (points or boxes or picks or text):
        return None
    try:
        return Prompts(points=points, boxes=boxes, picks=picks, text=text)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("invalid Prompts: ", "invalid prompt flags: ")) from None


def _given(**values: Any) -> dict[str, Any]:
    """Keep the flags that were given (``None`` means "the option's own default")."""
    return {name: value for name, value in values.items() if value is not None}


def replicate_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return `ReplicateBackend` keyword arguments, already validated."""
    options: dict[str, Any] = {
        "image_inputs": ImageModelInputs(
            **_given(
                points_per_side=args.points_per_side,
                pred_iou_thresh=args.pred_iou_thresh,
                stability_score_thresh=args.stability_score_thresh,
                use_m2m=args.use_m2m,
            )
        ),
        "video_inputs": VideoModelInputs(
            mask_type=args.mask_type, output_frame_interval=args.output_frame_interval
        ),
        "per_object": args.object_strategy,
        "resume": not args.no_resume,
    }
    if args.timeout is not None:
        options["timeouts"] = Timeouts(prediction=args.timeout)
    return options


def rediscover_option(text: str) -> RediscoveryOptions | None:
    """Turn ``--rediscover-every`` (``N`` frames, ``auto`` or ``0``) into options (``None``: off).

    Examples
    --------
    >>> rediscover_option("0") is None, rediscover_option("25").every
    (True, 25)
    """
    value = str(text).strip().lower()
    if value == "auto":
        return RediscoveryOptions()
    try:
        every = int(value)
    except ValueError:
        every = -1
    if every < 0:
        raise ConfigError(
            f"--rediscover-every must be a frame count >= 0 (0 = off) or 'auto'; got {text!r}"
        )
    return coerce_rediscovery(every)


def make_tracker(args: argparse.Namespace) -> AutoTracker:
    """Build the tracker of ``track``: every option checked first, then the backend made.

    The command line builds the backend itself (to pass the Replicate options), so the caller
    closes it (`close_backend`).
    """
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be >= 1; got {args.jobs}")
    selection = SelectionOptions(
        **_given(
            min_area=args.min_area,
            max_objects=args.max_objects,
            max_area_fraction=args.max_area_fraction,
        )
    )
    seeds = SeedOptions(seeds_per_object=args.seeds_per_object, negatives=args.negatives)
    rediscover = rediscover_option(args.rediscover_every)
    backend = resolve_backend(args.backend, replicate_options=replicate_options(args))
    try:
        return AutoTracker(
            backend,
            selection=selection,
            seeds=seeds,
            progress=StderrProgress(),
            rediscover=rediscover,
        )
    except BaseException:
        close_backend(backend)
        raise
