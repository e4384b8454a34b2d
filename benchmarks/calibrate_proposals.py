"""Fit the embedded engine's learned proposal score (``backends/local/rescoring.py``).

Tuning data only: the seeded synthetic families at tuning seeds (``--families lo-hi``, seeds below
1000; seeds >= 1000 are held out) and randomized variants of the generated scenes (``make_clip``
with seeds that are not the suite's seed 0). For every clip the engine proposes masks on frame 0
with motion cues from the clip's following frames, exactly as ``AutoTracker`` does; every scored
candidate *before pruning* gives one row of ``PROPOSAL_FEATURES``, and its target is its IoU with
the best-matching ground-truth object on frame 0 (0 for background). A logistic regression with
these soft targets (cross-entropy, Newton's method, L2 penalty on every weight but the bias) maps
the features to a predicted IoU; the script prints the coefficients to paste into
``PROPOSAL_COEFFICIENTS`` and, on the validation seeds (``--check lo-hi``, also tuning seeds), the
mean absolute error and how often the best-scored candidate over each object is a match (IoU >=
0.5) before and after.

Candidates are the slow part: ``--cache DIR`` keeps every clip's rows there; delete it after a
change of the proposal generator or of the features.

Run::

    .venv/bin/python benchmarks/calibrate_proposals.py [--families 0-19] [--check 20-29]
        [--suite-seeds 101 102] [--cache runs/proposal_cache]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from calibrate_objectness import fit_logistic
from numpy.typing import NDArray

import sam2_autotrack.backends.local.proposals as proposals_module
from sam2_autotrack.backends.local import LocalBackend, ProposalOptions
from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.rescoring import PROPOSAL_FEATURES, candidate_features
from sam2_autotrack.backends.local.scoring import Candidate
from sam2_autotrack.testing import FAMILIES, SYNTHETIC_SUITE, make_clip, make_family_clip
from sam2_autotrack.testing.families import HELD_OUT_SEED_START
from sam2_autotrack.video import read_frame


def _rows(
    video: Path, truth: list[NDArray[np.bool_]], backend: LocalBackend
) -> NDArray[np.float64]:
    """``(n, F + 2)``: features, IoU target and the best-matching object's clip-local index."""
    captured: dict[str, Any] = {}
    original = proposals_module.rescore

    def capture(candidates: list[Candidate], cues: SubjectCues) -> list[Candidate]:
        captured["candidates"], captured["cues"] = candidates, cues
        return original(candidates, cues)

    proposals_module.rescore = capture  # type: ignore[assignment]
    try:
        backend.propose(read_frame(video, 0), video=video, work_dir=video.parent)
    finally:
        proposals_module.rescore = original  # type: ignore[assignment]
    if "candidates" not in captured:
        return np.zeros((0, len(PROPOSAL_FEATURES) + 2))
    cues: SubjectCues = captured["cues"]
    shape = cues.saliency.shape
    small = [
        cv2.resize(t.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        for t in truth
    ]
    rows = []
    for cand in captured["candidates"]:
        full = cand.full(shape)
        ious = [
            float((full & t).sum()) / max(1.0, float((full | t).sum())) for t in small if t.any()
        ]
        best = int(np.argmax(ious)) if ious else -1
        iou = ious[best] if ious else 0.0
        rows.append(np.concatenate([candidate_features(cand, cues), [iou, best]]))
    return np.asarray(rows, dtype=np.float64)


def _clips(spec: str, suite_seeds: list[int]) -> list[tuple[str, Callable[[Path], Any]]]:
    lo, hi = (int(v) for v in spec.split("-"))
    if hi >= HELD_OUT_SEED_START:
        raise SystemExit(f"seeds {lo}-{hi} reach the held-out seeds (>= {HELD_OUT_SEED_START})")
    out: list[tuple[str, Callable[[Path], Any]]] = []
    for family in FAMILIES:
        for seed in range(lo, hi + 1):
            out.append(
                (
                    f"{family}_{seed}",
                    lambda d, f=family, s=seed: make_family_clip(f, s, d),
                )
            )
    for seed in suite_seeds:
        for scene in SYNTHETIC_SUITE:
            out.append(
                (
                    f"suite_{scene}_{seed}",
                    lambda d, c=scene, s=seed: make_clip(c, frame_count=30, rng=s),
                )
            )
    return out


def collect(
    clips: list[tuple[str, Callable[[Path], Any]]], cache: Path | None, min_score: float
) -> dict[str, NDArray[np.float64]]:
    """Rows per clip (from the cache when there)."""
    backend = LocalBackend(proposal_options=ProposalOptions(min_score=min_score))
    out: dict[str, NDArray[np.float64]] = {}
    for key, make in clips:
        path = cache / f"{key}.npy" if cache is not None else None
        if path is not None and path.exists():
            out[key] = np.load(path)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            clip = make(Path(tmp) / key)
            files = getattr(clip, "files", None) or clip.write(Path(tmp) / key)
            truth = [np.asarray(m[0]) for m in clip.masks.values()]
            rows = _rows(files.video_path, truth, backend)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, rows)
        out[key] = rows
        print(f"  {key}: {len(rows)} candidates", file=sys.stderr, flush=True)
    return out


def report(name: str, per_clip: dict[str, NDArray[np.float64]], w: NDArray[np.float64]) -> None:
    """Mean absolute error of the predicted IoU and top-1 match rate per object, hand vs learned."""
    n_feat = len(PROPOSAL_FEATURES)
    errors, hand_hits, learned_hits, objects = [], 0, 0, 0
    for rows in per_clip.values():
        if not len(rows):
            continue
        x, iou, obj = rows[:, :n_feat], rows[:, n_feat], rows[:, n_feat + 1]
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        errors.append(np.abs(p - iou))
        for o in np.unique(obj[(obj >= 0) & (iou >= 0.5)]):
            # the candidates over this object (it is their best match, IoU > 0.1): is the one
            # scored best a match (IoU >= 0.5)?
            objects += 1
            near = (obj == o) & (iou > 0.1)
            hand_best = int(np.argmax(np.where(near, x[:, 1], -np.inf)))
            learned_best = int(np.argmax(np.where(near, p, -np.inf)))
            hand_hits += int(iou[hand_best] >= 0.5)
            learned_hits += int(iou[learned_best] >= 0.5)
    mae = float(np.concatenate(errors).mean()) if errors else float("nan")
    print(
        f"{name}: MAE {mae:.3f}; best-scored candidate near an object is a match: "
        f"hand {hand_hits}/{objects}, learned {learned_hits}/{objects}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="0-19", help="tuning seeds lo-hi of every family")
    parser.add_argument("--check", default="20-29", help="validation seeds lo-hi (tuning)")
    parser.add_argument("--suite-seeds", type=int, nargs="*", default=[101, 102])
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--min-score",
        type=float,
        default=ProposalOptions().min_score,
        help="hand-score floor of the candidates collected",
    )
    args = parser.parse_args(argv)
    train = collect(_clips(args.families, args.suite_seeds), args.cache, args.min_score)
    check = collect(_clips(args.check, []), args.cache, args.min_score)
    rows = np.concatenate([r for r in train.values() if len(r)])
    n_feat = len(PROPOSAL_FEATURES)
    w = fit_logistic(rows[:, :n_feat], rows[:, n_feat], l2=args.l2)
    print(f"{len(rows)} training candidates, {int((rows[:, n_feat] >= 0.5).sum())} matches")
    for name, value in zip(PROPOSAL_FEATURES, w, strict=True):
        print(f"  {name:22s} {value:+.3f}")
    print("PROPOSAL_COEFFICIENTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    report("train", train, w)
    report("check", check, w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
