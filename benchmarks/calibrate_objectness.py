"""Fit the calibrated objectness of ``select_objects`` (a logistic model) on tuning clips.

Tuning data: randomized variants of the generated scenes (``make_clip`` with seeds that are *not*
the suite's seed 0, at 854×480 and 320×240) and, with ``--families lo-hi``, the seeded synthetic
families with seeds below 1000 (seeds ≥ 1000 are held out). For every clip the embedded engine
proposes masks on frame 0 (with motion cues from the clip), ``select_objects`` computes the
objectness terms of every proposal that is not a speck (background ones included), and a
proposal is labelled an *object* when its IoU with some ground-truth object on frame 0 is at
least 0.5. A logistic regression (Newton's method with a small L2 penalty) maps the terms to a
probability; the script prints the coefficients to paste into ``OBJECTNESS_COEFFICIENTS``
(and, fitted without the mask generator's score, ``OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE``)
(``sam2_autotrack/selection/objectness.py``), a reliability table (predicted versus observed
rate per bin) on the tuning data, and per family the AUC (object against not) of the mask
generator's score and of the shipped and refitted objectness, with the objects and non-objects
each keeps at 0.5 (where a family's misses come from: its proposals' scores or the objectness).

Proposals are the slow part: ``--cache DIR`` keeps every clip's frame 0, proposals and frame-0
truth there (bit-packed), so a change of the selection's terms is refitted in seconds with the
same ``--cache`` (delete the folder after a change of the proposal generator).

Run::

    .venv/bin/python benchmarks/calibrate_objectness.py [--seeds 101 102] [--small-seeds 103]
        [--families 0-7] [--cache runs/calib_cache] [--dump runs/calib.npz]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local import LocalBackend
from sam2_autotrack.selection import (
    OBJECTNESS_COEFFICIENTS,
    OBJECTNESS_FEATURES,
    SelectionOptions,
    mask_iou_matrix,
    select_objects,
)
from sam2_autotrack.testing import FAMILIES, SYNTHETIC_SUITE, make_clip, make_family_clip
from sam2_autotrack.testing.families import HELD_OUT_SEED_START
from sam2_autotrack.video import read_frame


def _cached_proposals(
    make: Callable[[], Any], workdir: Path, backend: LocalBackend, cache: Path | None, key: str
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.float64], list[NDArray[np.bool_]]]:
    """Frame 0, proposal masks and scores, and the frame-0 truth of one clip (cached by key)."""
    path = cache / f"{key}.npz" if cache is not None else None
    if path is not None and path.exists():
        data = np.load(path)
        shape = tuple(int(v) for v in data["shape"])
        masks = np.unpackbits(data["masks"], count=int(np.prod(shape))).reshape(shape) > 0
        gt_shape = tuple(int(v) for v in data["gt_shape"])
        gt_all = np.unpackbits(data["gt"], count=int(np.prod(gt_shape))).reshape(gt_shape) > 0
        return data["first"], masks, data["scores"], list(gt_all)
    clip = make()
    files = clip.write(workdir)
    first = read_frame(files.video_path, 0)
    proposals = backend.propose(first, video=files.video_path)
    gt = [m[0] for m in clip.masks.values() if m[0].any()]
    masks = np.asarray(proposals.masks, dtype=bool)
    scores = np.asarray(proposals.scores, dtype=np.float64)
    if path is not None:
        gt_stack = np.stack(gt) if gt else np.zeros((0, *first.shape[:2]), dtype=bool)
        np.savez_compressed(
            path,
            first=first,
            masks=np.packbits(masks),
            shape=np.array(masks.shape),
            scores=scores,
            gt=np.packbits(gt_stack),
            gt_shape=np.array(gt_stack.shape),
        )
    return first, masks, scores, gt


def _rows(
    make: Callable[[], Any],
    workdir: Path,
    backend: LocalBackend,
    cache: Path | None = None,
    key: str = "",
) -> tuple[list[list[float]], list[int]]:
    first, masks, scores, gt = _cached_proposals(make, workdir, backend, cache, key)
    selection = select_objects(masks, scores=scores, image_rgb=first, options=SelectionOptions())
    feats: list[list[float]] = []
    labels: list[int] = []
    if not gt or not len(masks):
        return feats, labels
    both = np.concatenate([masks, np.stack(gt)])
    iou = mask_iou_matrix(both)[: len(masks), len(masks) :]
    for d in selection.decisions:
        if d.features:
            feats.append(list(d.features))
            labels.append(int(iou[d.index].max() >= 0.5))
    return feats, labels


def probability(x: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the logistic model's probability for each row of ``x`` (log-odds clipped to ±50)."""
    p: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
    return p


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.float64], l2: float = 1e-2, iterations: int = 50
) -> NDArray[np.float64]:
    """Logistic regression by Newton's method; ``x`` holds a bias column (not penalised)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = probability(x, w)
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _families(spec: str) -> list[tuple[str, Callable[[], Any]]]:
    """``(key, make clip)`` of every family at the tuning seeds ``lo-hi`` (never held-out seeds).

    The clips are drawn when needed (and not at all when cached): holding 70 drawn clips at
    once takes gigabytes.
    """
    lo, hi = (int(v) for v in spec.split("-"))
    if hi >= HELD_OUT_SEED_START:
        raise SystemExit("family seeds >= 1000 are held out; tune on seeds below 1000 only")
    return [
        (f"{family}_{seed}", functools.partial(make_family_clip, family, seed))
        for family in FAMILIES
        for seed in range(lo, hi + 1)
    ]


def auc(scores: NDArray[np.float64], labels: NDArray[np.float64]) -> float:
    """Area under the ROC curve: how often an object outscores a non-object (ties count half).

    NaN when either side is empty.

    Examples
    --------
    >>> import numpy as np
    >>> auc(np.array([0.9, 0.2, 0.4, 0.4]), np.array([1.0, 0.0, 1.0, 0.0]))
    0.875
    """
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    above = (pos[:, None] > neg[None, :]).mean()
    tied = (pos[:, None] == neg[None, :]).mean()
    return float(above + 0.5 * tied)


def family_of(key: str) -> str:
    """Return the family of a cache key (``textured_bg_3`` -> ``textured_bg``; suite keys: suite).

    Examples
    --------
    >>> family_of("textured_bg_3"), family_of("suite_clutter_101_small")
    ('textured_bg', 'suite')
    """
    return "suite" if key.startswith("suite_") else key.rsplit("_", 1)[0]


def by_family(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    groups: NDArray[np.str_],
    weights: dict[str, NDArray[np.float64]],
) -> list[str]:
    """Tabulate the objectness per family.

    Per family: rows, objects, the model score's AUC, and per set of ``weights`` its AUC and the
    objects and non-objects it keeps at 0.5.

    Returns
    -------
    list of str
        A header and one line per family (sorted), to print.
    """
    score = OBJECTNESS_FEATURES.index("model_score")
    head = f"    {'family':12s} {'rows':>5s} {'objs':>5s} {'score AUC':>9s}"
    for name in weights:
        head += f" | {name}: AUC  kept obj/non"
    lines = [head]
    for family in sorted(set(groups.tolist())):
        sel = groups == family
        xs, ys = x[sel], y[sel]
        line = f"    {family:12s} {len(ys):5d} {int(ys.sum()):5d} {auc(xs[:, score], ys):9.3f}"
        for w in weights.values():
            p = probability(xs, w)
            kept = p >= 0.5
            line += (
                f" | {auc(p, ys):.3f} {int((kept & (ys == 1)).sum()):4d}/"
                f"{int((kept & (ys == 0)).sum()):<4d}"
            )
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[101, 102])
    parser.add_argument("--small-seeds", type=int, nargs="*", default=[103])
    parser.add_argument("--families", default=None, help="family seeds lo-hi (below 1000)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--dump", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="proposal cache folder")
    parser.add_argument("--load", type=Path, default=None, help="reuse a --dump instead")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the weights")
    args = parser.parse_args(argv)
    if args.load is not None:
        data = np.load(args.load)
        x, y = data["x"], data["y"]
        groups = data["groups"] if "groups" in data else np.full(len(y), "all")
    else:
        backend = LocalBackend()
        clips: list[tuple[str, Callable[[], Any]]] = []
        for seed in args.seeds:
            clips += [
                (
                    f"suite_{n}_{seed}",
                    functools.partial(make_clip, n, frame_count=args.frames, rng=seed),
                )
                for n in SYNTHETIC_SUITE
            ]
        for seed in args.small_seeds:
            clips += [
                (
                    f"suite_{n}_{seed}_small",
                    functools.partial(
                        make_clip, n, frame_count=args.frames, rng=seed, resolution_wh=(320, 240)
                    ),
                )
                for n in SYNTHETIC_SUITE
            ]
        if args.families:
            clips += _families(args.families)
        if args.cache is not None:
            args.cache.mkdir(parents=True, exist_ok=True)
        feats: list[list[float]] = []
        labels: list[int] = []
        names: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            for k, (key, make) in enumerate(clips):
                f, lab = _rows(make, Path(tmp) / f"c{k}", backend, args.cache, key)
                feats += f
                labels += lab
                names += [family_of(key)] * len(f)
                print(
                    f"clip {k + 1}/{len(clips)} {key}: {len(f)} proposals, {sum(lab)} objects",
                    flush=True,
                )
        x = np.asarray(feats, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        groups = np.asarray(names, dtype=np.str_)
        if args.dump is not None:
            args.dump.parent.mkdir(parents=True, exist_ok=True)
            np.savez(args.dump, x=x, y=y, groups=groups)
    w = fit_logistic(x, y, l2=args.l2)
    # proposals that come without scores (SAM 2 on Replicate): the same fit without that term
    score_terms = [OBJECTNESS_FEATURES.index(n) for n in ("model_score", "model_share")]
    without = x.copy()
    without[:, score_terms] = 0.0
    w0 = fit_logistic(without, y, l2=args.l2)
    w0[score_terms] = 0.0
    p = probability(x, w)
    print(f"{len(y)} proposals, {int(y.sum())} objects")
    print("OBJECTNESS_COEFFICIENTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    print("OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE = (" + ", ".join(f"{v:.3f}" for v in w0) + ")")
    for name, v in zip(OBJECTNESS_FEATURES, w, strict=True):
        print(f"    {name:22s} {v:+.3f}")
    print("reliability (tuning data): bin, count, mean predicted, observed")
    edges = np.linspace(0, 1, 6)
    for lo, hi in itertools.pairwise(edges):
        sel = (p >= lo) & (p < hi if hi < 1 else p <= hi)
        if sel.any():
            rate = f"{p[sel].mean():.3f} {y[sel].mean():.3f}"
            print(f"    {lo:.1f}-{hi:.1f} {int(sel.sum()):5d} {rate}")
    kept = p >= 0.5
    print(
        f"at 0.5: {int((kept & (y == 1)).sum())} objects kept, {int((~kept & (y == 1)).sum())} "
        f"missed, {int((kept & (y == 0)).sum())} non-objects kept"
    )
    print("per family (proposals with scores): shipped OBJECTNESS_COEFFICIENTS against this fit")
    shipped = np.asarray(OBJECTNESS_COEFFICIENTS, dtype=np.float64)
    for line in by_family(x, y, groups, {"shipped": shipped, "refit": w}):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
