"""Fit the embedded engine's learned proposal score (``backends/local/rescoring.py``).

Tuning data only: the seeded synthetic families at tuning seeds (``--families lo-hi``, seeds below
1000; seeds >= 1000 are held out) and randomized variants of the generated scenes (``make_clip``
with seeds that are not the suite's seed 0). For every clip the engine proposes masks on frame 0
with motion cues from the clip's following frames, exactly as ``AutoTracker`` does; every scored
candidate *before pruning* (the remainders of split blobs, `remainders`, too) gives one row of
``PROPOSAL_FEATURES``, and its target is its IoU with
the best-matching ground-truth object on frame 0 (0 for background). Gradient-boosted trees with
these soft targets (cross-entropy; ``boosting.fit_trees``: ``--rounds`` trees of depth
``--depth``) map the features to a predicted IoU; a logistic regression on the same rows is fitted
beside them for comparison. The script prints, on the training and the validation seeds
(``--check lo-hi``, also tuning seeds), the mean absolute error and how often the best-scored
candidate over each object is a match (IoU >= 0.5) for the hand-made score, the logistic fit and
the trees and the ``score_model="boosted"`` model: ``--tree-weight`` (0.3) of the trees'
log-odds plus the rest of the logistic fit's -- shrinking the trees toward the linear model keeps
the picks on real footage (``--real`` of ``bench_families.py``) where the trees alone add picks
the synthetic families never show (a car window's moving scenery). ``--distractors lo-hi`` adds
family clips at those tuning seeds with things that move but are not objects painted into their
background (`distractors`: a window onto moving scenery, swaying foliage, a dark hole an object
enters), which teach the trees what the car window and the rabbit's burrow are; ``--min-leaf``
regularises the trees. The shipped model uses neither (see ``docs/concepts.md`` for what they
bought and cost). It prints the logistic
coefficients to paste into ``PROPOSAL_COEFFICIENTS`` (the default ``"logistic"`` model);
``--write`` saves the boosted model
(``src/sam2_autotrack/backends/local/models/proposal_trees.json``).

Candidates are the slow part: ``--cache DIR`` keeps every clip's rows there; delete it after a
change of the proposal generator or of the features.

Run::

    .venv/bin/python benchmarks/calibrate_proposals.py [--families 0-59] [--check 60-63]
        [--suite-seeds 101 102] [--distractors 100-131] [--min-leaf 20] [--tree-weight 0.3]
        [--cache runs/proposal_cache] [--write]
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
from boosting import fit_trees
from calibrate_objectness import fit_logistic
from distractors import add_distractors, still_camera
from numpy.typing import NDArray

import sam2_autotrack.backends.local.proposals as proposals_module
import sam2_autotrack.backends.local.remainders as remainders_module
from sam2_autotrack.backends.local import LocalBackend, ProposalOptions
from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.rescoring import (
    MODEL_FILE,
    PROPOSAL_FEATURES,
    ScoreModel,
    candidate_features,
)
from sam2_autotrack.backends.local.scoring import Candidate
from sam2_autotrack.backends.local.trees import TreeEnsemble
from sam2_autotrack.testing import FAMILIES, SYNTHETIC_SUITE, make_clip, make_family_clip
from sam2_autotrack.testing.families import HELD_OUT_SEED_START
from sam2_autotrack.video import read_frame


def _rows(
    video: Path, truth: list[NDArray[np.bool_]], backend: LocalBackend
) -> NDArray[np.float64]:
    """``(n, F + 2)``: features, IoU target and the best-matching object's clip-local index."""
    captured: dict[str, Any] = {}
    original = proposals_module.rescore

    def capture(
        candidates: list[Candidate], cues: SubjectCues, model: ScoreModel = "logistic"
    ) -> list[Candidate]:
        # every candidate the model scores: the pooled ones, then the remainders of split blobs
        captured.setdefault("candidates", []).extend(candidates)
        captured["cues"] = cues
        return original(candidates, cues, model)

    proposals_module.rescore = capture  # type: ignore[assignment]
    remainders_module.rescore = capture  # type: ignore[assignment]
    try:
        backend.propose(read_frame(video, 0), video=video, work_dir=video.parent)
    finally:
        proposals_module.rescore = original  # type: ignore[assignment]
        remainders_module.rescore = original  # type: ignore[assignment]
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


def _distractor_clips(spec: str) -> list[tuple[str, Callable[[Path], Any]]]:
    """Family clips at tuning seeds ``spec`` with distractors painted in (`distractors`).

    A clip whose camera moves gets none (its maker returns ``None``: no rows).
    """
    if not spec:
        return []
    lo, hi = (int(v) for v in spec.split("-"))
    if hi >= HELD_OUT_SEED_START:
        raise SystemExit(f"seeds {lo}-{hi} reach the held-out seeds (>= {HELD_OUT_SEED_START})")

    def make(family: str, seed: int) -> Any:
        clip = make_family_clip(family, seed)
        return add_distractors(clip, rng=seed) if still_camera(clip) else None

    return [
        (f"distract_{family}_{seed}", lambda d, f=family, s=seed: make(f, s))
        for family in FAMILIES
        for seed in range(lo, hi + 1)
    ]


def collect(
    clips: list[tuple[str, Callable[[Path], Any]]], cache: Path | None, min_score: float
) -> dict[str, NDArray[np.float64]]:
    """Rows per clip (from the cache when there); a maker returning ``None`` gives no rows."""
    backend = LocalBackend(proposal_options=ProposalOptions(min_score=min_score))
    out: dict[str, NDArray[np.float64]] = {}
    for key, make in clips:
        path = cache / f"{key}.npy" if cache is not None else None
        if path is not None and path.exists():
            out[key] = np.load(path)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            clip = make(Path(tmp) / key)
            if clip is None:
                rows = np.zeros((0, len(PROPOSAL_FEATURES) + 2))
            else:
                files = getattr(clip, "files", None) or clip.write(Path(tmp) / key)
                truth = [np.asarray(m[0]) for m in clip.masks.values()]
                rows = _rows(files.video_path, truth, backend)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, rows)
        out[key] = rows
        print(f"  {key}: {len(rows)} candidates", file=sys.stderr, flush=True)
    return out


Predictor = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def report(
    name: str, per_clip: dict[str, NDArray[np.float64]], predictors: dict[str, Predictor]
) -> None:
    """Mean absolute error of the predicted IoU and top-1 match rate per object, per predictor."""
    n_feat = len(PROPOSAL_FEATURES)
    rows = [r for r in per_clip.values() if len(r)]
    line = [name + ":"]
    for label, predict in predictors.items():
        errors, hits, objects = [], 0, 0
        for r in rows:
            x, iou, obj = r[:, :n_feat], r[:, n_feat], r[:, n_feat + 1]
            p = predict(x)
            errors.append(np.abs(p - iou))
            for o in np.unique(obj[(obj >= 0) & (iou >= 0.5)]):
                # the candidates over this object (it is their best match, IoU > 0.1): is the
                # one scored best a match (IoU >= 0.5)?
                objects += 1
                near = (obj == o) & (iou > 0.1)
                hits += int(iou[int(np.argmax(np.where(near, p, -np.inf)))] >= 0.5)
        mae = float(np.concatenate(errors).mean()) if errors else float("nan")
        line.append(f"{label} MAE {mae:.3f}, best over an object a match {hits}/{objects};")
    print(" ".join(line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="0-59", help="tuning seeds lo-hi of every family")
    parser.add_argument("--check", default="60-63", help="validation seeds lo-hi (tuning)")
    parser.add_argument("--suite-seeds", type=int, nargs="*", default=[101, 102])
    parser.add_argument(
        "--distractors",
        default="",
        help="tuning seeds lo-hi of family clips with distractors painted in (default: none)",
    )
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--min-leaf", type=int, default=20, help="fewest rows in a tree leaf")
    parser.add_argument(
        "--tree-weight",
        type=float,
        default=0.3,
        help="share of the trees in the shipped model (the rest is the logistic fit)",
    )
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--write", action="store_true", help="save the trees as the shipped model")
    parser.add_argument(
        "--min-score",
        type=float,
        default=ProposalOptions().min_score,
        help="hand-score floor of the candidates collected",
    )
    args = parser.parse_args(argv)
    train = collect(
        _clips(args.families, args.suite_seeds) + _distractor_clips(args.distractors),
        args.cache,
        args.min_score,
    )
    check = collect(_clips(args.check, []), args.cache, args.min_score)
    rows = np.concatenate([r for r in train.values() if len(r)])
    n_feat = len(PROPOSAL_FEATURES)
    x, target = rows[:, :n_feat], rows[:, n_feat]
    print(f"{len(rows)} training candidates, {int((target >= 0.5).sum())} matches")
    w = fit_logistic(x, target, l2=1.0)
    distractors = args.distractors or "''"
    note = (
        f"calibrate_proposals.py --families {args.families} --suite-seeds "
        f"{' '.join(str(s) for s in args.suite_seeds)} --distractors {distractors} "
        f"--rounds {args.rounds} --depth {args.depth} --min-leaf {args.min_leaf}: "
        f"{len(rows)} candidates of {sum(1 for r in train.values() if len(r))} tuning clips"
    )
    trees = fit_trees(
        x,
        target,
        PROPOSAL_FEATURES,
        rounds=args.rounds,
        depth=args.depth,
        min_leaf=args.min_leaf,
    )
    a = args.tree_weight
    shipped = TreeEnsemble(
        features=PROPOSAL_FEATURES,
        bias=a * trees.bias,
        split_feature=trees.split_feature,
        split_threshold=trees.split_threshold,
        leaf_value=a * trees.leaf_value,
        linear=(1.0 - a) * w,
        note=note + f"; {a:g} x trees + {1 - a:g} x logistic (log-odds)",
    )
    predictors: dict[str, Predictor] = {
        "hand": lambda v: 1.0 / (1.0 + np.exp(-v[:, 1])),
        "logistic": lambda v: 1.0 / (1.0 + np.exp(-np.clip(v @ w, -50, 50))),
        "trees": trees.probability,
        "shipped": shipped.probability,
    }
    print("PROPOSAL_COEFFICIENTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    report("train", train, predictors)
    report("check", check, predictors)
    if args.write:
        target_path = (
            Path(__file__).resolve().parents[1]
            / "src/sam2_autotrack/backends/local/models"
            / MODEL_FILE
        )
        target_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = target_path.with_suffix(".tmp")
        tmp.write_text(shipped.to_json() + "\n", encoding="utf-8")
        tmp.replace(target_path)
        print(f"wrote {target_path} ({len(shipped)} trees of depth {shipped.depth} + linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
