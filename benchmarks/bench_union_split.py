"""J&F and cost of the Replicate backend's per-object strategies against a perfect tracker.

The server is the tests' Replicate-compatible one (``tests/fake_replicate.py``), started on
127.0.0.1: its ``meta/sam-2-video`` tracks by colour, which on the flat-colour clips of
``tests/split_clips.py`` is a *perfect* tracker (whatever a click lands in is tracked exactly).
So every difference between strategies is the union split's doing. The clips are hard for
geometry alone — same-size discs crossing (``crossing``), a disc passing behind a box
(``occlusion``), boxes sliding along each other in contact (``touching``), discs running into
each other twice (``bouncing``) — but separable by appearance.

Every strategy gets the same clicks (from each object's frame-0 mask, as the selection would hand
them over). Per clip and strategy the script prints J, F and J&F — DAVIS 2017 unsupervised
protocol (``sam2_autotrack.evaluation.evaluate``'s default: every frame, predictions matched to
ground-truth objects on (J + F) / 2) — and the cost report: predictions made, frames uploaded
(and their ratio to ``split``'s), predict time (the server reports 0.1 s per uploaded frame).
The summary averages J&F over all objects of all clips and checks the targets: ``auto`` within
0.01 J&F of ``separate`` while uploading at most twice the frames of ``split``.

Run::

    .venv/bin/python benchmarks/bench_union_split.py [--frames 40] [clip ...]
        [--strategies split,image,auto,separate]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_replicate import FakeReplicate
from sam2_autotrack.backends.cost import CostReport
from sam2_autotrack.backends.replicate import ReplicateBackend
from sam2_autotrack.evaluation import EvaluationReport, aggregate, evaluate
from sam2_autotrack.seeds.build import clicks_from_selection
from split_clips import CLIP_NAMES, flat_clip

STRATEGIES = ("split", "image", "auto", "separate")
SECONDS_PER_FRAME = 0.1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=list(CLIP_NAMES))
    parser.add_argument("--frames", type=int, default=40, help="frames per clip")
    parser.add_argument(
        "--strategies", default=",".join(STRATEGIES), help="comma-separated per_object values"
    )
    args = parser.parse_args(argv)
    strategies = [s for s in args.strategies.split(",") if s]
    reports: dict[str, dict[str, EvaluationReport]] = {s: {} for s in strategies}
    costs: dict[str, dict[str, CostReport]] = {s: {} for s in strategies}
    print(
        f"{'clip':10s} {'strategy':9s} {'J':>6s} {'F':>6s} {'J&F':>6s}  {'preds':>5s} "
        f"{'frames':>6s} {'x split':>7s} {'predict s':>9s} {'local s':>7s}  windows"
    )
    with tempfile.TemporaryDirectory() as tmp, FakeReplicate() as server:
        server.scenario.predict_time_per_frame = SECONDS_PER_FRAME
        server.scenario.statuses = ["processing"]
        for name in args.clips:
            clip = flat_clip(name, args.frames)
            video = clip.write(Path(tmp) / f"{name}.avi")
            clicks = clicks_from_selection(clip.seed_masks(), object_ids=list(clip.truth))
            for strategy in strategies:
                backend = ReplicateBackend(
                    api_token=server.token,
                    base_url=server.url,
                    per_object=strategy,  # type: ignore[arg-type]
                    limits={"poll_interval": 0.01},
                    resume=False,
                )
                started = time.perf_counter()
                with backend:
                    tracks = backend.track(video, clicks, work_dir=Path(tmp) / name / strategy)
                seconds = time.perf_counter() - started
                report = evaluate(
                    {oid: seq.to_array() for oid, seq in tracks.masks.items()}, clip.truth
                )
                reports[strategy][name] = report
                costs[strategy][name] = tracks.cost
                split_frames = costs["split"][name].frames_uploaded if "split" in costs else None
                ratio = f"{tracks.cost.frames_uploaded / split_frames:7.2f}" if split_frames else ""
                spans = " ".join(
                    f"{w['frames'][0]}-{w['frames'][1]}:{len(w['rerun'])}"
                    for w in tracks.info.get("windows", ())
                )
                print(
                    f"{name:10s} {strategy:9s} {report.j_mean:6.3f} {report.f_mean:6.3f} "
                    f"{report.jf_mean:6.3f}  {tracks.cost.prediction_count:5d} "
                    f"{tracks.cost.frames_uploaded:6d} {ratio:>7s} "
                    f"{tracks.cost.predict_time or 0.0:9.1f} {seconds:7.1f}  {spans}",
                    flush=True,
                )
    print()
    print(
        f"{'all clips':10s} {'strategy':9s} {'J&F':>6s}  {'preds':>5s} {'frames':>6s} "
        f"{'x split':>7s}"
    )
    totals: dict[str, tuple[float, int, int]] = {}
    for strategy in strategies:
        summary = aggregate(reports[strategy])
        frames = sum(c.frames_uploaded for c in costs[strategy].values())
        count = sum(c.prediction_count for c in costs[strategy].values())
        totals[strategy] = (summary.jf_mean, frames, count)
    split_total = totals.get("split", (0.0, 0, 0))[1]
    for strategy, (jf, frames, count) in totals.items():
        ratio = f"{frames / split_total:7.2f}" if split_total else ""
        print(f"{'':10s} {strategy:9s} {jf:6.3f}  {count:5d} {frames:6d} {ratio:>7s}")
    any_report = next(iter(next(iter(reports.values())).values()))
    print(
        f"protocol: {any_report.protocol} (J&F averaged over all objects of "
        f"{len(args.clips)} clips); predict time {SECONDS_PER_FRAME} s per uploaded frame"
    )
    if {"auto", "separate", "split"} <= set(totals):
        gap = totals["separate"][0] - totals["auto"][0]
        ratio_auto = totals["auto"][1] / split_total
        print(
            f"targets: auto within 0.01 J&F of separate: {'yes' if gap <= 0.01 else 'NO'} "
            f"(gap {gap:.4f}); auto uploads <= 2x split's frames: "
            f"{'yes' if ratio_auto <= 2.0 else 'NO'} ({ratio_auto:.2f}x)"
        )
        per_clip = [
            costs["auto"][n].frames_uploaded / costs["split"][n].frames_uploaded for n in args.clips
        ]
        print(f"auto/split uploaded frames per clip: {np.round(per_clip, 2).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
