"""Objects found by their motion: a moving object coloured like its textured background."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from local_clips import iou
from sam2_autotrack.backends.local import LocalBackend, ProposalOptions
from sam2_autotrack.backends.local.alignment import aligned_difference
from sam2_autotrack.backends.local.motion import residual_motion
from sam2_autotrack.backends.local.motion_segments import motion_map, motion_segments
from sam2_autotrack.selection import select_objects
from sam2_autotrack.testing import make_family_clip


def _camouflage(frames: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Draw a checkered ellipse in the background's own two greens, moving 2 px a frame."""
    rng = np.random.default_rng(0)
    h, w = 180, 240
    noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 6)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    dark, light = np.array([90, 150, 90], np.float32), np.array([110, 170, 100], np.float32)
    background = np.where(noise[..., None] > 0.5, dark, light)
    yy, xx = np.mgrid[0:h, 0:w]
    out, truth = [], None
    for t in range(frames):
        image = background.copy()
        cx, cy = 80 + 2.0 * t, 90 + 0.5 * t
        ellipse = (xx - cx) ** 2 / 28**2 + (yy - cy) ** 2 / 20**2 <= 1
        checker = (((xx - cx) // 6).astype(int) + ((yy - cy) // 6).astype(int)) % 2 == 1
        texture = np.where(checker[..., None], dark + 5, light + 5)
        image[ellipse] = texture[ellipse]
        image += rng.normal(0, 2, image.shape)
        out.append(np.clip(image, 0, 255).astype(np.uint8))
        truth = ellipse if truth is None else truth
    assert truth is not None
    return np.stack(out), truth


def test_the_superpixels_moving_unlike_the_camera_outline_the_object() -> None:
    frames, truth = _camouflage()
    motion = residual_motion(frames)
    assert motion is not None
    superpixels = motion_map(frames[0], motion.evidence, aligned_difference(frames))
    assert superpixels.probability[truth].mean() > 0.5 > 5 * superpixels.probability[~truth].mean()
    segments = motion_segments(frames[0], superpixels)
    assert segments
    assert max(iou(s, truth) for s in segments) > 0.8
    # the flow evidence alone is fattened by the flow's halo
    halo = motion.evidence >= 2.0
    assert iou(halo, truth) < max(iou(s, truth) for s in segments)


def test_a_static_shot_has_no_aligned_difference_and_no_segments() -> None:
    frames, _ = _camouflage(1)
    still = np.repeat(frames, 8, axis=0)
    difference = aligned_difference(still)
    assert float(np.abs(difference).max()) < 3.0
    motion = residual_motion(still)
    assert motion is not None
    superpixels = motion_map(still[0], motion.evidence, difference)
    assert superpixels.probability.max() < 0.5
    assert motion_segments(still[0], superpixels) == []


@pytest.mark.slow
def test_motion_finds_objects_that_colour_and_edges_miss(tmp_path: Path) -> None:
    # tuning seed 2 of the textured-background family: three objects whose colours sit on the
    # background's; colour merging proposes them merged with their surroundings
    clip = make_family_clip("textured_bg", 2, tmp_path / "clip")
    assert clip.files is not None
    first = clip.frames[0]
    truths = [np.asarray(m[0]) for m in clip.masks.values()]
    assert len(truths) == 3

    def found(options: ProposalOptions) -> tuple[list[float], list[float]]:
        proposals = LocalBackend(proposal_options=options).propose(
            first, video=clip.files.video_path if clip.files else None
        )
        selection = select_objects(proposals.masks, scores=proposals.scores, image_rgb=first)
        proposed = [max(iou(m, t) for m in proposals.masks) for t in truths]
        chosen = [max((iou(m, t) for m in selection.masks), default=0.0) for t in truths]
        return proposed, chosen

    proposed, chosen = found(ProposalOptions())
    assert min(proposed) > 0.85
    assert sum(v > 0.85 for v in chosen) >= 2
    proposed, chosen = found(ProposalOptions(motion_segments=False))
    assert max(proposed) < 0.7
    assert max(chosen) < 0.7
