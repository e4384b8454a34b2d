"""Pruning: groups of candidates moving unlike each other, and parts nested in a better blob."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.backends.local import ProposalOptions
from sam2_autotrack.backends.local.pruning import drop_groups, prune
from sam2_autotrack.backends.local.scoring import Candidate


def _candidate(mask: np.ndarray, score: float, *, subject: bool = False) -> Candidate:
    return Candidate(score, int(mask.sum()), 0, 0, mask, subject=subject)


def _scene() -> tuple[Candidate, Candidate, Candidate, np.ndarray]:
    left = np.zeros((60, 100), dtype=bool)
    left[20:40, 10:40] = True
    right = np.zeros((60, 100), dtype=bool)
    right[20:40, 42:80] = True
    blob = np.zeros((60, 100), dtype=bool)
    blob[15:45, 5:85] = True  # both, and a margin: a moving blob spanning two neighbours
    residual = np.zeros((60, 100, 2), dtype=np.float32)
    return (
        _candidate(left, 0.9),
        _candidate(right, 0.85),
        _candidate(blob, 0.95, subject=True),
        residual,
    )


def test_a_whole_holding_parts_that_move_apart_is_dropped() -> None:
    left, right, blob, residual = _scene()
    residual[:, :41] = (3.0, 0.0)  # the left object moves right
    residual[:, 41:] = (-2.5, 1.0)  # the right one left and down
    kept = drop_groups([blob, left, right], residual, ProposalOptions())
    assert kept == [left, right]


def test_a_whole_whose_parts_move_together_stays() -> None:
    # a face and a shirt moving alike are parts of one subject: the whole is kept
    left, right, blob, residual = _scene()
    residual[:] = (3.0, 0.5)
    residual[:, 41:] += (0.4, 0.2)  # a little flow noise
    assert drop_groups([blob, left, right], residual, ProposalOptions()) == [blob, left, right]
    # static parts: nothing to tell them apart either
    residual[:] = 0.0
    assert drop_groups([blob, left, right], residual, ProposalOptions()) == [blob, left, right]


def test_without_motion_or_with_untrusted_flow_nothing_is_dropped() -> None:
    left, right, blob, residual = _scene()
    assert drop_groups([blob, left, right], None, ProposalOptions()) == [blob, left, right]
    residual[:, :41] = (3.0, 0.0)
    residual[:, 41:] = np.nan  # the right part's flow failed the forward-backward check
    assert drop_groups([blob, left, right], residual, ProposalOptions()) == [blob, left, right]


def test_a_part_scored_nearly_as_well_as_its_blob_is_kept_for_the_selection() -> None:
    left, right, blob, _ = _scene()
    blob = _candidate(blob.crop, 0.95)  # an ordinary candidate, not a subject
    near = _candidate(left.crop, 0.9)  # 0.05 below the blob: maybe two objects in one blob
    far = _candidate(right.crop, 0.7)  # 0.25 below: a part of it
    masks, scores = prune([blob, near, far], ProposalOptions(), (60, 100), calibrated=True)
    assert [int(m.sum()) for m in masks] == [blob.area, near.area]
    assert scores == [0.95, 0.9]
    # without the margin every nested candidate is dropped as a part
    strict = ProposalOptions(part_score_margin=0.0)
    masks, _ = prune([blob, near, far], strict, (60, 100), calibrated=True)
    assert [int(m.sum()) for m in masks] == [blob.area]


def test_the_learned_floor_leaves_out_halo_blobs_only_under_the_learned_score() -> None:
    left, right, blob, _ = _scene()
    halo = _candidate(blob.crop, 0.15, subject=True)  # a moving blob, mostly the flow's halo
    opts = ProposalOptions(learned_floor=0.2)
    masks, scores = prune([left, right, halo], opts, (60, 100), calibrated=True)
    assert scores == [0.9, 0.85]
    assert not any(np.array_equal(m, blob.crop) for m in masks)
    # the floor is the learned score's: hand-made scores are judged by min_score as before
    masks, _ = prune([left, right, halo], opts.model_copy(update={"min_score": 0.1}), (60, 100))
    assert any(np.array_equal(m, blob.crop) for m in masks)
    # a lower floor lets it through
    low = ProposalOptions(learned_floor=0.1)
    masks, scores = prune([left, right, halo], low, (60, 100), calibrated=True)
    assert 0.15 in scores
