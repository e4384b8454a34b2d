"""Quality of the embedded CPU engine on the synthetic suite, with objects chosen automatically.

For every clip of ``SYNTHETIC_SUITE`` (one fixed parameter set for all of them):

    frame 0 → LocalBackend.propose (with motion cues from the clip) → select_objects
    → clicks_from_selection → LocalBackend.track → evaluate against the exact ground truth

Scoring is the DAVIS 2017 unsupervised protocol (the library default, ``davis-unsupervised``):
every frame, every ground-truth object (late-entering ones included), predictions matched on
(J + F) / 2, a ground-truth object without a prediction compared with an empty mask. Per clip the
script prints the means over that clip's objects; the final row averages over **all objects of
all clips** (``aggregate``), as the DAVIS benchmark does, and names the protocol. The selection
keeps the library's defaults (calibrated objectness, at most 10 objects) unless told otherwise.
`run_suite` is importable (``bench_families`` puts the suite beside the families).

Run::

    .venv/bin/python benchmarks/bench_local_quality.py [--frames 60] [--max-objects N]
        [--weight-model 0.5] [--objects all] [clip ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from sam2_autotrack.backends.local import LocalBackend
from sam2_autotrack.evaluation import (
    OBJECTS_MODES,
    EvaluationReport,
    ObjectsMode,
    aggregate,
    evaluate,
)
from sam2_autotrack.seeds import clicks_from_selection
from sam2_autotrack.selection import SelectionOptions, select_objects
from sam2_autotrack.testing import SYNTHETIC_SUITE, make_clip
from sam2_autotrack.video import read_frame


@dataclass(frozen=True)
class SuiteResult:
    """One clip of the suite: its report, the objects selected and the engine's seconds."""

    name: str
    report: EvaluationReport
    selected: int
    seconds: float


def run_suite(
    clips: Sequence[str] = SYNTHETIC_SUITE,
    *,
    frames: int = 60,
    options: SelectionOptions | None = None,
    objects: ObjectsMode = "all",
    out: TextIO | None = sys.stdout,
) -> list[SuiteResult]:
    """Run the pipeline on each clip and score it; print one row per clip to ``out`` (if any).

    ``seconds`` covers propose, select, seed and track (not rendering or encoding the clip).
    """
    backend = LocalBackend()
    options = options if options is not None else SelectionOptions()
    results = []
    if out is not None:
        print(f"{'clip':18s} {'J':>6s} {'F':>6s} {'J&F':>6s}  objs  gt  notes", file=out)
    with tempfile.TemporaryDirectory() as tmp:
        for name in clips:
            clip = make_clip(name, frame_count=frames)
            files = clip.write(Path(tmp) / name)
            first = read_frame(files.video_path, 0)
            started = time.perf_counter()
            proposals = backend.propose(first, video=files.video_path)
            propose_s = time.perf_counter() - started
            selection = select_objects(
                proposals.masks, scores=proposals.scores, image_rgb=first, options=options
            )
            clicks = clicks_from_selection(selection)
            tracks = backend.track(files.video_path, clicks)
            seconds = time.perf_counter() - started
            predicted = {oid: seq.to_array() for oid, seq in tracks.masks.items()}
            report = evaluate(predicted, clip.masks, objects=objects)
            results.append(SuiteResult(name, report, len(selection), seconds))
            if out is None:
                continue
            notes = (
                f"propose {propose_s:.2f}s, track {tracks.info['tracking_fps']} fps, "
                f"{len(proposals)} proposals"
            )
            if report.unmatched_gt:
                notes += f", missed {','.join(report.unmatched_gt)}"
            print(
                f"{name:18s} {report.j_mean:6.3f} {report.f_mean:6.3f} {report.jf_mean:6.3f}"
                f"  {len(selection):4d}  {len(report.per_object):2d}  {notes}",
                file=out,
                flush=True,
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=list(SYNTHETIC_SUITE))
    parser.add_argument("--frames", type=int, default=60, help="frames per clip")
    parser.add_argument(
        "--max-objects",
        type=int,
        default=None,
        help="cap on the objects the selection keeps (default: the library default)",
    )
    parser.add_argument(
        "--weight-model",
        type=float,
        default=SelectionOptions().weight_model,
        help="weight of the proposal confidence in the selection's objectness",
    )
    parser.add_argument(
        "--objects",
        choices=OBJECTS_MODES,
        default="all",
        help="ground-truth objects scored (default: all, as DAVIS intends)",
    )
    args = parser.parse_args(argv)
    cap = {} if args.max_objects is None else {"max_objects": args.max_objects}
    options = SelectionOptions(weight_model=args.weight_model, **cap)
    results = run_suite(args.clips, frames=args.frames, options=options, objects=args.objects)
    reports = {r.name: r.report for r in results}
    summary = aggregate(reports)
    clip_mean = float(np.mean([r.jf_mean for r in reports.values()]))
    print(
        f"{'all objects':18s} {summary.j_mean:6.3f} {summary.f_mean:6.3f} {summary.jf_mean:6.3f}"
        f"        {summary.object_count:2d}  (mean of clip means: J&F {clip_mean:.3f})"
    )
    print(
        f"protocol: {summary.protocol}, objects: {summary.objects}; J&F averaged over "
        f"{summary.object_count} objects of {len(reports)} clips (recall J {summary.j_recall:.3f}"
        f" F {summary.f_recall:.3f}, decay J {summary.j_decay:.3f} F {summary.f_decay:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
