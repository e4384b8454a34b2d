"""Time proposal filtering + selection + seeding against the baseline's naive approach.

Both run in this process on the same SAM 2-like proposals (``benchmarks/proposals.py``, 1920×1080,
62 masks by default):

- **ours**: `sam2_autotrack.select_objects` then `clicks_from_selection`
  (analysis grid, bounding-box-culled pairwise tests, full-resolution cleaning of the chosen masks
  only, seeds on bounding-box crops);
- **naive**: the seed script's approach, written out below -- per-mask ``skimage`` label +
  regionprops cleaning at full resolution, full-frame IoU for every pair, pick by area, seeds from
  a full-frame distance transform.

Prints the median time of each, the speed ratio, and how many distinct real objects each picked::

    python benchmarks/bench_selection.py [--seed 0] [--repeats 15] [--naive-repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from proposals import SyntheticProposals, make_proposals
from scipy.ndimage import distance_transform_edt
from skimage.measure import label, regionprops

from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.selection import select_objects


def naive_pipeline(
    masks: NDArray[np.bool_], *, min_area: int = 830, max_objects: int = 3, seeds: int = 3
) -> tuple[list[int], list[list[tuple[int, int]]]]:
    """Baseline: clean every mask with skimage, full-frame IoU on every pair, pick by area."""
    cleaned = []
    for mask in masks:
        labelled = label(mask)
        keep = np.zeros(mask.shape, dtype=bool)
        for region in regionprops(labelled):
            if region.area >= min_area:
                keep[labelled == region.label] = True
        cleaned.append(keep)
    count = len(cleaned)
    iou = np.eye(count)
    for i in range(count):
        for j in range(i + 1, count):
            inter = np.logical_and(cleaned[i], cleaned[j]).sum()
            union = np.logical_or(cleaned[i], cleaned[j]).sum()
            iou[i, j] = iou[j, i] = inter / union if union else 0.0
    areas = [int(m.sum()) for m in cleaned]
    picked: list[int] = []
    for i in sorted(range(count), key=lambda k: -areas[k]):
        if areas[i] == 0 or any(iou[i, j] > 0.9 for j in picked):
            continue
        picked.append(i)
        if len(picked) == max_objects:
            break
    points: list[list[tuple[int, int]]] = []
    rng = np.random.default_rng(42)
    for i in picked:
        mask = cleaned[i]
        depth = distance_transform_edt(mask)
        ys, xs = np.nonzero(mask)
        chosen = [(int(xs.mean()), int(ys.mean()))]
        cand_x = rng.integers(0, mask.shape[1], 500)
        cand_y = rng.integers(0, mask.shape[0], 500)
        for k in np.argsort(-depth[cand_y, cand_x]):
            x, y = int(cand_x[k]), int(cand_y[k])
            if mask[y, x] and all((x - a) ** 2 + (y - b) ** 2 >= 625 for a, b in chosen):
                chosen.append((x, y))
            if len(chosen) == seeds:
                break
        points.append(chosen)
    return picked, points


def ours(proposals: SyntheticProposals) -> list[int]:
    selection = select_objects(proposals.masks, scores=proposals.scores)
    clicks_from_selection(selection)
    return [int(i) for i in selection.indices]


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), result


def describe(picked: list[int], proposals: SyntheticProposals) -> str:
    kinds = [proposals.kinds[i] for i in picked]
    real = {
        int(proposals.object_of[i]) for i in picked if proposals.kinds[i] in ("object", "duplicate")
    }
    return f"{len(real)} distinct real objects, picked kinds {kinds}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--naive-repeats", type=int, default=3)
    args = parser.parse_args()

    proposals = make_proposals(seed=args.seed)
    n, height, width = proposals.masks.shape
    print(f"{n} proposals at {width}x{height} (seed {args.seed})")
    ours(proposals)  # warm-up (imports, OpenCV thread pool)
    ours_ms, ours_pick = median_ms(lambda: ours(proposals), args.repeats)
    naive_ms, (naive_pick, _) = median_ms(
        lambda: naive_pipeline(proposals.masks), args.naive_repeats
    )
    print(f"ours : {describe(ours_pick, proposals)}")
    print(f"naive: {describe(naive_pick, proposals)}")
    verdict = "OK" if ours_ms < 60.0 else "OVER the 60 ms target"
    print(
        f"ours {ours_ms:.1f} ms, naive {naive_ms:.0f} ms, {naive_ms / ours_ms:.0f}x faster "
        f"(median of {args.repeats} / {args.naive_repeats}; target < 60 ms: {verdict})"
    )


if __name__ == "__main__":
    main()
