"""Quality of the embedded engine on randomized synthetic families and on hand-annotated real clips.

For every family of ``sam2_autotrack.testing.FAMILIES`` and every seed (held-out seeds >= 1000 by
default; ``--tuning`` uses seeds < 1000), the clip is drawn, encoded to H.264 and tracked with
``AutoTracker(backend="local")`` and its default options, exactly as a user would run it; the
tracks are scored against the clip's exact visible-pixel truth. One table gives, per family and
overall: J&F, objects found, extra picks and wall time, and beside them the fixed suite
(``bench_local_quality.run_suite`` with the library's default selection options).

Protocol: the library's DAVIS 2017 unsupervised protocol (``sam2_autotrack.evaluation.evaluate``
defaults): J (IoU) and F (boundary F, tolerance 0.008 x diagonal) on every frame including frame
0, predictions matched to ground-truth objects by the Hungarian method on (J + F) / 2, every
ground-truth object scored, one without a prediction compared with an empty mask. J&F is
averaged over ground-truth objects (each object of the family counts once);
"clip" J&F is the mean of the per-clip means (the fixed suite's usual figure). *found*: ground-truth
objects whose matched track has mean J >= 0.5; *extra*: tracks matched to no ground-truth object
(background picks); *wall*: seconds of ``AutoTracker.track`` (propose, select, seed, track).

``--real`` adds the real clips of ``tests/data/real_subjects.json``: each whole video is tracked
the same way, and the subject counts as found when one track's mask box has IoU >= 0.5 with the
hand box at every annotated frame; every other track is an *other* pick. With ``--real-out DIR``
it also writes, per clip, ``<clip>_proposals.png`` (every proposal and its fate) and
``<clip>_sheet.png`` (the tracked masks at the annotated frames, hand boxes in white).

``--why`` says, for every object that was not found, where it got lost: it is not on frame 0,
no frame-0 proposal reaches IoU 0.5 with it, the selection's verdict on its best proposal (not
an object, part, duplicate, background...), or it was picked and lost while tracking; and per
family, how many got lost at each stage (also in ``--json``, per clip).

Run::

    .venv/bin/python benchmarks/bench_families.py [--seeds 6] [--tuning] [--families a,b]
        [--frames N] [--no-suite] [--real] [--real-out DIR] [--no-families] [--json out.json]
        [--score-model logistic|boosted] [--why] [--tracker NAME=VALUE ...]

``--tracker NAME=VALUE`` (repeatable) sets a field of the embedded engine's ``TrackerOptions``
for the families and the real clips (not the fixed suite): ``--tracker appearance_power=0.8``
measures how the tracker's trust in colour moves both (``docs/concepts.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bench_local_quality import run_suite
from pydantic import ValidationError

from sam2_autotrack import AutoTracker, SelectionError, SelectionOptions, TrackResult
from sam2_autotrack.backends.local import LocalBackend, ProposalOptions, TrackerOptions
from sam2_autotrack.evaluation import evaluate, jaccard
from sam2_autotrack.testing import FAMILIES, family_seeds, make_family_clip, sample_video
from sam2_autotrack.testing.real_truth import RealClipTruth, load_real_subjects, subject_match
from sam2_autotrack.video import iter_frames, read_frame
from sam2_autotrack.viz import overlay_masks, show_proposals

FOUND_J = 0.5


@dataclass
class ClipScore:
    """The score of one tracked clip."""

    family: str
    seed: int
    resolution_wh: tuple[int, int]
    frames: int
    objects: int
    jf: list[float]
    j: list[float]
    f: list[float]
    found: int
    picks: int
    extra: int
    wall_s: float
    note: str = ""
    health: dict[str, list[str]] = field(default_factory=dict)
    missed: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Row:
    """One line of the table: a family, the overall figure or the fixed suite."""

    name: str
    clips: int
    objects: int
    jf_obj: float
    j_obj: float
    f_obj: float
    jf_clip: float
    found: int
    extra: int
    picks: int
    wall_s: float
    per_clip: list[dict[str, Any]] = field(default_factory=list)


def score_family_clip(
    tracker: AutoTracker, family: str, seed: int, tmp: Path, frames: int | None
) -> ClipScore:
    clip = make_family_clip(family, seed, tmp / f"{family}_{seed}", frames=frames)
    assert clip.files is not None
    started = time.perf_counter()
    note = ""
    health: dict[str, list[str]] = {}
    result: TrackResult | None = None
    try:
        result = tracker.track(clip.files.video_path)
        predicted = {oid: seq.to_array() for oid, seq in result.tracks.masks.items()}
        report = result.evaluate(clip.masks)
        health = _health(result.tracks.info)
    except SelectionError as error:  # nothing looked like an object: every object is missed
        predicted = {}
        report = evaluate({}, clip.masks)
        note = f"no selection: {error}"
    wall = time.perf_counter() - started
    scores = list(report.per_object.values())
    missed = {
        gt: why_missed(result, np.asarray(clip.masks[gt][0], bool), s.j_mean)
        for gt, s in report.per_object.items()
        if s.pred_id is None or s.j_mean < FOUND_J
    }
    return ClipScore(
        family=family,
        seed=seed,
        resolution_wh=clip.resolution_wh,
        frames=clip.frame_count,
        objects=len(scores),
        jf=[s.jf_mean for s in scores],
        j=[s.j_mean for s in scores],
        f=[s.f_mean for s in scores],
        found=sum(s.pred_id is not None and s.j_mean >= FOUND_J for s in scores),
        picks=len(predicted),
        extra=len(report.extra_pred),
        wall_s=wall,
        note=note,
        health=health,
        missed=missed,
    )


def why_missed(result: TrackResult | None, first: np.ndarray, j_mean: float) -> tuple[str, str]:
    """Where a ground-truth object that was not found got lost (``first``: its frame-0 mask).

    Returns ``(stage, detail)``. The stage is ``"not on frame 0"``; ``"no proposal"`` (no frame-0
    proposal reaches IoU 0.5 with it); the selection's category for its best proposal
    (``"not_object"``, ``"part"``..., its reason in the detail); or ``"lost while tracking"``
    when that proposal was picked and the track still scored below mean J 0.5.
    """
    if not first.any():
        return "not on frame 0", ""
    if result is None or result.proposals is None or not len(result.proposals.masks):
        return "no proposal", "no selection"
    ious = [jaccard(mask, first) for mask in result.proposals.masks]
    best = int(np.argmax(ious))
    if ious[best] < 0.5:
        return "no proposal", f"best IoU {ious[best]:.2f}"
    decisions = result.selection.decisions if result.selection is not None else ()
    decision = next((d for d in decisions if d.index == best), None)
    if decision is None:
        return "no selection verdict", f"proposal IoU {ious[best]:.2f}"
    if decision.kept:
        return "lost while tracking", f"frame-0 pick IoU {ious[best]:.2f}, mean J {j_mean:.2f}"
    return decision.category, f"proposal IoU {ious[best]:.2f}: {decision.reason}"


def _health(info: dict[str, Any]) -> dict[str, list[str]]:
    """Return the local engine's track-health verdict per object as ``kind@start-stop``."""
    return {
        oid: [f"{i['kind']}@{i['start']}-{i['stop']}" for i in issues]
        for oid, issues in (info.get("health") or {}).items()
    }


def summarize(name: str, clips: Sequence[ClipScore]) -> Row:
    jf = [v for c in clips for v in c.jf]
    return Row(
        name=name,
        clips=len(clips),
        objects=len(jf),
        jf_obj=float(np.mean(jf)),
        j_obj=float(np.mean([v for c in clips for v in c.j])),
        f_obj=float(np.mean([v for c in clips for v in c.f])),
        jf_clip=float(np.mean([np.mean(c.jf) for c in clips])),
        found=sum(c.found for c in clips),
        extra=sum(c.extra for c in clips),
        picks=sum(c.picks for c in clips),
        wall_s=sum(c.wall_s for c in clips),
        per_clip=[asdict(c) for c in clips],
    )


def fixed_suite_row(frames: int) -> Row:
    results = run_suite(frames=frames, options=SelectionOptions(), out=None)
    clips = []
    for r in results:
        scores = list(r.report.per_object.values())
        clips.append(
            ClipScore(
                family="fixed_suite",
                seed=0,
                resolution_wh=(854, 480),
                frames=frames,
                objects=len(scores),
                jf=[s.jf_mean for s in scores],
                j=[s.j_mean for s in scores],
                f=[s.f_mean for s in scores],
                found=sum(s.pred_id is not None and s.j_mean >= FOUND_J for s in scores),
                picks=r.selected,
                extra=len(r.report.extra_pred),
                wall_s=r.seconds,
                note=r.name,
            )
        )
    return summarize(f"fixed suite ({len(clips)})", clips)


def print_table(rows: Sequence[Row], split: str) -> None:
    print(
        f"\nFamilies ({split} seeds), AutoTracker(backend='local') defaults; J&F averaged over "
        "ground-truth objects\n(DAVIS J & boundary F, Hungarian matching, all frames, missed "
        f"object = 0); found = matched with mean J >= {FOUND_J}; extra = picks matched to no object"
    )
    head = (
        f"{'set':18s} {'clips':>5s} {'objs':>5s} {'J&F':>6s} {'J':>6s} {'F':>6s} "
        f"{'clipJ&F':>7s} {'found':>12s} {'extra':>5s} {'picks':>5s} {'wall s':>7s}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        if row.name == "overall" or row.name.startswith("fixed"):
            print("-" * len(head))
        found = f"{row.found}/{row.objects} {100 * row.found / max(row.objects, 1):3.0f}%"
        print(
            f"{row.name:18s} {row.clips:5d} {row.objects:5d} {row.jf_obj:6.3f} {row.j_obj:6.3f} "
            f"{row.f_obj:6.3f} {row.jf_clip:7.3f} {found:>12s} {row.extra:5d} {row.picks:5d} "
            f"{row.wall_s:7.1f}"
        )


def print_missed(scores: Sequence[ClipScore]) -> None:
    """Per family, how many missed objects got lost at each stage (`why_missed`)."""
    print("\nwhere the missed objects got lost (family: stage count, ...)")
    for family in dict.fromkeys(s.family for s in scores):
        stages: dict[str, int] = {}
        for s in scores:
            if s.family == family:
                for stage, _ in s.missed.values():
                    stages[stage] = stages.get(stage, 0) + 1
        listed = ", ".join(f"{k} {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
        print(f"  {family:12s} {listed or '-'}")


def real_pictures(result: TrackResult, clip: RealClipTruth, out: Path) -> None:
    """Write ``<clip>_proposals.png`` and ``<clip>_sheet.png`` (hand boxes in white) to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    assert result.video is not None
    first = read_frame(result.video, 0)
    if result.proposals is not None:
        factor = max(1, 640 // first.shape[1])  # small clips: draw at a readable size
        big = np.repeat(np.repeat(first, factor, 0), factor, 1)
        big_masks = np.repeat(np.repeat(result.proposals.masks, factor, 1), factor, 2)
        show_proposals(big, big_masks, selection=result.selection).save(
            out / f"{clip.name}_proposals.png"
        )
    boxes = clip.subject.boxes
    wanted = sorted(boxes)
    tiles = []
    with contextlib.closing(iter_frames(result.video)) as frames:
        for index, frame in enumerate(frames):
            if index > wanted[-1]:
                break
            if index not in boxes:
                continue
            masks = np.stack([result.tracks.masks[oid][index] for oid in result.object_ids])
            pic = np.ascontiguousarray(overlay_masks(frame, masks))
            x0, y0, x1, y1 = boxes[index]
            thick = max(1, frame.shape[1] // 320)
            cv2.rectangle(pic, (x0, y0), (x1 - 1, y1 - 1), (255, 255, 255), thick)
            scale = 320 / frame.shape[1]
            tiles.append(cv2.resize(pic, (320, round(frame.shape[0] * scale))))
    cv2.imwrite(str(out / f"{clip.name}_sheet.png"), np.hstack(tiles)[..., ::-1])


def real_section(tracker: AutoTracker, pictures: Path | None = None) -> list[dict[str, Any]]:
    truth = load_real_subjects()
    out = []
    print(
        "\nReal clips: the subject is found when one track's mask box has IoU >= 0.5 with the "
        "hand box at every annotated frame"
    )
    head = (
        f"{'clip':13s} {'subject':14s} {'found':5s} {'best':6s} {'minIoU':>6s} "
        f"{'picks':>5s} {'others':>6s} {'wall s':>6s}  IoU per annotated frame"
    )
    print(head)
    print("-" * len(head))
    for name, clip in truth.items():
        started = time.perf_counter()
        health: dict[str, list[str]] = {}
        try:
            result = tracker.track(sample_video(name))  # type: ignore[arg-type]  # str names
            masks = dict(result.tracks.masks)
            frame_indices = result.frame_indices
            health = _health(result.tracks.info)
            if pictures is not None:
                real_pictures(result, clip, pictures)
        except SelectionError:
            masks, frame_indices = {}, None
        wall = time.perf_counter() - started
        for subject in (clip.subject, *clip.secondary):
            match = subject_match(masks, subject, frame_indices=frame_indices)
            ious = " ".join(f"{f}:{v:.2f}" for f, v in match.ious.items())
            issues = health.get(match.object_id or "", [])
            print(
                f"{name:13s} {subject.label:14s} {'yes' if match.matched else 'no':5s} "
                f"{match.object_id or '-':6s} {match.min_iou:6.2f} {len(masks):5d} "
                f"{len(match.others):6d} {wall:6.1f}  {ious}"
                + (f"  health: {', '.join(issues)}" if issues else ""),
                flush=True,
            )
            out.append(
                {
                    "clip": name,
                    "subject": subject.label,
                    "main": subject is clip.subject,
                    "found": match.matched,
                    "best_object": match.object_id,
                    "min_iou": match.min_iou,
                    "ious": {str(k): v for k, v in match.ious.items()},
                    "picks": len(masks),
                    "others": len(match.others),
                    "wall_s": wall,
                    "health": health,
                }
            )
    return out


def tracker_overrides(pairs: Sequence[str]) -> TrackerOptions:
    """Return the default ``TrackerOptions`` with the ``NAME=VALUE`` pairs set.

    A value is read as JSON (``0.8``, ``true``), else taken as text (``fast``).

    Raises
    ------
    ValueError
        A pair without ``=``, an unknown field or a value the field refuses, with the fix.
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(
                f"--tracker takes NAME=VALUE (e.g. appearance_power=0.8); got {pair!r}"
            )
        if name not in TrackerOptions.model_fields:
            known = ", ".join(sorted(TrackerOptions.model_fields))
            raise ValueError(f"--tracker {name}: TrackerOptions has no such field; one of {known}")
        try:
            values[name] = json.loads(text)
        except json.JSONDecodeError:
            values[name] = text
    try:
        return TrackerOptions(**values)
    except ValidationError as error:
        raise ValueError(f"--tracker: {error}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="seeds per family")
    parser.add_argument("--tuning", action="store_true", help="use tuning seeds (< 1000)")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated")
    parser.add_argument("--frames", type=int, default=None, help="frames per clip (default drawn)")
    parser.add_argument("--suite-frames", type=int, default=60, help="frames per fixed-suite clip")
    parser.add_argument("--no-suite", action="store_true", help="skip the fixed suite")
    parser.add_argument("--no-families", action="store_true", help="skip the families")
    parser.add_argument("--real", action="store_true", help="also track the real clips")
    parser.add_argument(
        "--real-out", type=Path, default=None, help="write the real clips' pictures here"
    )
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument(
        "--why",
        action="store_true",
        help="say where every missed object got lost (proposal, selection verdict, tracking)",
    )
    parser.add_argument(
        "--score-model",
        choices=("logistic", "boosted"),
        default=None,
        help="ProposalOptions.score_model of the embedded engine (default: its default)",
    )
    parser.add_argument(
        "--tracker",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a TrackerOptions field of the embedded engine (repeatable; families and real "
        "clips, not the fixed suite), e.g. appearance_power=0.8",
    )
    args = parser.parse_args(argv)
    try:
        tracker_options = tracker_overrides(args.tracker)
    except ValueError as error:
        parser.error(str(error))

    families = [f for f in args.families.split(",") if f]
    unknown = set(families) - set(FAMILIES)
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; choose from {', '.join(FAMILIES)}")
    seeds = family_seeds(args.seeds, held_out=not args.tuning)
    split = (
        f"tuning {seeds[0]}..{seeds[-1]}" if args.tuning else f"held-out {seeds[0]}..{seeds[-1]}"
    )
    proposal_options = (
        None if args.score_model is None else ProposalOptions(score_model=args.score_model)
    )
    tracker = AutoTracker(
        backend=LocalBackend(proposal_options=proposal_options, tracker_options=tracker_options)
    )
    started = time.perf_counter()
    rows: list[Row] = []
    scores: list[ClipScore] = []
    if not args.no_families:
        with tempfile.TemporaryDirectory() as tmp:
            for family in families:
                family_scores = []
                for seed in seeds:
                    score = score_family_clip(tracker, family, seed, Path(tmp), args.frames)
                    family_scores.append(score)
                    print(
                        f"  {family:12s} {seed:5d} {'x'.join(map(str, score.resolution_wh))}"
                        f" T={score.frames:2d} objs={score.objects} J&F={np.mean(score.jf):.3f} "
                        f"found={score.found} picks={score.picks} extra={score.extra} "
                        f"{score.wall_s:.1f}s {score.note}"
                        f" unsure={sum(bool(v) for v in score.health.values())}",
                        file=sys.stderr,
                        flush=True,
                    )
                    if args.why:
                        for gt, (stage, detail) in score.missed.items():
                            print(f"      missed {gt}: {stage} ({detail})", file=sys.stderr)
                scores += family_scores
                rows.append(summarize(family, family_scores))
        rows.append(summarize("overall", scores))
    if not args.no_suite:
        rows.append(fixed_suite_row(args.suite_frames))
    if rows:
        print_table(rows, split)
    if args.why and scores:
        print_missed(scores)
    real = real_section(tracker, args.real_out) if args.real else []
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = {
            "seeds": list(seeds),
            "split": "tuning" if args.tuning else "held_out",
            "protocol": __doc__.split("Protocol: ")[1].split("\n\n")[0],
            "rows": [asdict(r) for r in rows],
            "real": real,
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
