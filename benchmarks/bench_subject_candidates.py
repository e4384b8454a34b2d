"""Measure whether the whole close-up subject is among the embedded engine's frame-0 candidates.

For the real clip carphone (the man; box IoU of each candidate's box with the hand box of frame
0) and the ``closeup`` family at tuning seeds (mask IoU with the ground-truth subject, the
largest object on frame 0), prints the best IoU of any *subject candidate* (the list
`subject_cues` returns) and of any final proposal of `propose_masks`, with the frames the
local backend passes (frame 0 and the next ``motion_frames``, read back from the video file).

Usage::

    python benchmarks/bench_subject_candidates.py [--seeds 10] [--offset 0] [--json out.json]
        [--speed N] [--no-carphone]

``--speed N`` also times `propose_masks` on bigbuckbunny's frame 0 (1280x720, with the next
frames) N times and prints the median.

Only tuning seeds (< 1000) may be used to choose parameters.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.cues import subject_cues
from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.proposals import propose_masks
from sam2_autotrack.testing import sample_video
from sam2_autotrack.testing.families import make_family_clip
from sam2_autotrack.testing.real_truth import box_iou, load_real_subjects, mask_box
from sam2_autotrack.video import iter_frames

MOTION_FRAMES = 25


def _frames(path: Path) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    frames = np.stack(list(iter_frames(path, start=0, stop=MOTION_FRAMES + 1)))
    return frames[0], frames[1:]


def _work(image: NDArray[np.uint8], opts: ProposalOptions) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    scale = min(1.0, opts.work_max_side / max(height, width))
    if scale >= 1:
        return image
    wh = (max(8, round(width * scale)), max(8, round(height * scale)))
    return np.asarray(cv2.resize(image, wh, interpolation=cv2.INTER_AREA), np.uint8)


def _up(mask: NDArray[np.bool_], shape: tuple[int, ...]) -> NDArray[np.bool_]:
    if mask.shape == shape[:2]:
        return mask
    resized = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]))
    return np.asarray(resized >= 0.5)


def _candidates(
    image: NDArray[np.uint8], following: NDArray[np.uint8], opts: ProposalOptions
) -> tuple[list[NDArray[np.bool_]], list[NDArray[np.bool_]], float]:
    work = _work(image, opts)
    lab = np.asarray(cv2.cvtColor(work, cv2.COLOR_RGB2LAB), np.uint8)
    _, subjects = subject_cues(work, lab, following, opts)
    started = time.perf_counter()
    props = propose_masks(image, video_frames=following, options=opts)
    seconds = time.perf_counter() - started
    return [_up(m, image.shape) for m in subjects], list(props.masks), seconds


def _mask_iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 0.0


def _box_score(mask: NDArray[np.bool_], box: tuple[int, int, int, int]) -> float:
    found = mask_box(mask)
    return 0.0 if found is None else box_iou(found, box)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--no-carphone", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--speed", type=int, default=0, help="also time frame-0 proposals at 1280x720 N times"
    )
    args = parser.parse_args(argv)
    opts = ProposalOptions()
    if args.speed:
        image, following = _frames(sample_video("bigbuckbunny"))
        times = []
        for _ in range(args.speed):
            started = time.perf_counter()
            propose_masks(image, video_frames=following, options=opts)
            times.append(time.perf_counter() - started)
        print(f"bigbuckbunny 1280x720 frame-0 proposals: median {np.median(times):.2f} s {times}")
    rows: list[dict[str, Any]] = []
    if not args.no_carphone:
        truth = load_real_subjects()["carphone"]
        image, following = _frames(sample_video("carphone"))
        subjects, proposals, seconds = _candidates(image, following, opts)
        box = truth.subject.boxes[0]
        rows.append(
            {
                "clip": "carphone",
                "metric": "box IoU",
                "subject_best": max((_box_score(m, box) for m in subjects), default=0.0),
                "proposal_best": max((_box_score(m, box) for m in proposals), default=0.0),
                "subjects": len(subjects),
                "proposals": len(proposals),
                "seconds": seconds,
            }
        )
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.offset, args.offset + args.seeds):
            clip = make_family_clip("closeup", seed, Path(tmp) / f"closeup_{seed}")
            assert clip.files is not None
            first = {oid: m[0] for oid, m in clip.masks.items()}
            target = max(first.values(), key=lambda m: int(m.sum()))
            image, following = _frames(clip.files.video_path)
            subjects, proposals, seconds = _candidates(image, following, opts)
            rows.append(
                {
                    "clip": f"closeup_{seed}",
                    "metric": "mask IoU",
                    "subject_best": max((_mask_iou(m, target) for m in subjects), default=0.0),
                    "proposal_best": max((_mask_iou(m, target) for m in proposals), default=0.0),
                    "subjects": len(subjects),
                    "proposals": len(proposals),
                    "seconds": seconds,
                }
            )
    print(f"{'clip':<12} {'metric':<9} {'subj best':>9} {'prop best':>9} {'#subj':>5} {'#prop':>5}")
    for r in rows:
        print(
            f"{r['clip']:<12} {r['metric']:<9} {r['subject_best']:9.3f} {r['proposal_best']:9.3f} "
            f"{r['subjects']:5d} {r['proposals']:5d}"
        )
    closeups = [r for r in rows if r["clip"].startswith("closeup")]
    if closeups:
        print(
            f"closeup mean: subject best {np.mean([r['subject_best'] for r in closeups]):.3f}, "
            f"proposal best {np.mean([r['proposal_best'] for r in closeups]):.3f}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
