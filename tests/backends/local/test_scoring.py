"""Candidate scoring: static pattern elements and static backdrops lose confidence."""

from __future__ import annotations

import numpy as np

from local_clips import (
    iou,
    noisy_grey,
)
from sam2_autotrack.backends.local import ProposalOptions
from sam2_autotrack.backends.local.proposals import propose_masks


def test_static_pattern_elements_are_not_proposed() -> None:
    # a sunshade of identical stripes and one orange disc, nothing moves: every stripe's colours
    # fill the rest of the panel, so no stripe is an object; the disc's colours are its own
    image = noisy_grey()
    for y in range(10, 150, 16):
        image[y : y + 8, 150:230] = (40, 70, 200)
        image[y + 8 : y + 16, 150:230] = (235, 235, 235)
    yy, xx = np.mgrid[0:160, 0:240]
    disc = (xx - 60) ** 2 + (yy - 80) ** 2 < 25**2
    image[disc] = (230, 120, 30)
    panel = np.zeros((160, 240), dtype=bool)
    panel[10:150, 150:230] = True
    frames = np.repeat(image[None], 5, axis=0)

    def stripes(options: ProposalOptions) -> tuple[int, float]:
        proposals = propose_masks(image, video_frames=frames, options=options)
        inside = sum((m & panel).sum() > 0.9 * m.sum() for m in proposals.masks)
        return inside, max(iou(m, disc) for m in proposals.masks)

    assert stripes(ProposalOptions()) == (0, 1.0)
    count, disc_iou = stripes(ProposalOptions(repeat_weight=0.0))
    assert count >= 5
    assert disc_iou == 1.0


def test_static_region_across_a_corner_loses_confidence_when_motion_is_measured() -> None:
    image = noisy_grey()
    corner = np.zeros((160, 240), dtype=bool)
    corner[:70, :90] = True
    image[corner] = (60, 140, 70)
    frames = np.repeat(image[None], 5, axis=0)

    def corner_score(**kwargs: float) -> float:
        proposals = propose_masks(image, video_frames=frames, options=ProposalOptions(**kwargs))
        assert proposals.scores is not None
        return max(
            float(score)
            for mask, score in zip(proposals.masks, proposals.scores, strict=True)
            if iou(mask, corner) > 0.9
        )

    assert corner_score(static_backdrop_weight=0.0) - corner_score() > 0.3
    still = propose_masks(image)  # without motion nothing is known to be static
    assert still.scores is not None
    assert (
        max(s for m, s in zip(still.masks, still.scores, strict=True) if iou(m, corner) > 0.9) > 0.9
    )
