"""The learned proposal score: a predicted IoU from colour, outline, motion and shape terms."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pytest

from local_clips import iou
from sam2_autotrack.backends.local import ProposalOptions
from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.proposals import propose_masks
from sam2_autotrack.backends.local.rescoring import (
    PROPOSAL_COEFFICIENTS,
    PROPOSAL_FEATURES,
    candidate_features,
    predicted_iou,
    proposal_model,
    rescore,
)
from sam2_autotrack.backends.local.scoring import Candidate, ring
from sam2_autotrack.backends.local.surroundings import flow_coherence
from sam2_autotrack.testing import make_family_clip
from sam2_autotrack.video import iter_frames


def _cues(with_motion: bool = True) -> SubjectCues:
    h, w = 60, 80
    moving = np.zeros((h, w), bool)
    moving[20:40, 30:50] = True
    motion = moving.astype(np.float32) * 6.0
    cues = SubjectCues(
        moving=moving if with_motion else None,
        saliency=np.zeros((h, w), np.float32),
        colour_bins=np.zeros((h, w), np.int64),
        colour_histogram=np.array([h * w], np.int64),
        evidence=motion if with_motion else None,
        difference=motion if with_motion else None,
        probability=moving.astype(np.float32) if with_motion else None,
    )
    return cues


def _candidate(top: int, left: int, bottom: int, right: int, score: float = 0.6) -> Candidate:
    crop = np.zeros((bottom - top + 8, right - left + 8), bool)
    crop[4:-4, 4:-4] = True
    return Candidate(score, int(crop.sum()), top - 4, left - 4, crop)


def test_the_features_follow_the_named_terms_and_the_object_outscores_background() -> None:
    cues = _cues()
    obj = candidate_features(_candidate(20, 30, 40, 50), cues)
    background = candidate_features(_candidate(44, 4, 56, 24), cues)
    assert obj.shape == (len(PROPOSAL_FEATURES),) == (len(PROPOSAL_COEFFICIENTS),)
    named = dict(zip(PROPOSAL_FEATURES, obj, strict=True))
    assert named["bias"] == 1.0
    assert named["probability_inside"] == pytest.approx(1.0)
    assert named["probability_ring"] == pytest.approx(0.0)
    assert predicted_iou(obj) > 0.5 > predicted_iou(background)
    assert predicted_iou(obj, "boosted") > 0.5 > predicted_iou(background, "boosted")


def test_the_ring_alike_term_tells_a_fragment_from_a_camouflaged_whole() -> None:
    # one colour everywhere (camouflage); a moving square at rows 20-40, columns 30-50
    cues = _cues()
    fragment = dict(
        zip(PROPOSAL_FEATURES, candidate_features(_candidate(20, 30, 40, 40), cues), strict=True)
    )
    whole = dict(
        zip(PROPOSAL_FEATURES, candidate_features(_candidate(20, 30, 40, 50), cues), strict=True)
    )
    # the fragment's own colours go on moving beyond it; the whole's stop at its outline
    assert fragment["probability_ring_alike"] > 0.2
    assert whole["probability_ring_alike"] == pytest.approx(0.0)
    # a candidate whose colours are not around it at all
    bins = cues.colour_bins.copy()
    bins[20:40, 30:50] = 1
    distinct = SubjectCues(
        moving=cues.moving,
        saliency=cues.saliency,
        colour_bins=bins,
        colour_histogram=np.bincount(bins.ravel()),
        evidence=cues.evidence,
        difference=cues.difference,
        probability=cues.probability,
    )
    named = dict(
        zip(
            PROPOSAL_FEATURES,
            candidate_features(_candidate(20, 30, 40, 50), distinct),
            strict=True,
        )
    )
    assert named["probability_ring_alike"] == 0.0
    assert named["ring_alike_share"] == 0.0
    # in one colour everywhere, all of the ring looks like the candidate
    assert fragment["ring_alike_share"] == pytest.approx(1.0)


def _flow_features(flow: np.ndarray, candidate: Candidate) -> dict[str, float]:
    cues = replace(_cues(), flow=flow)
    return dict(zip(PROPOSAL_FEATURES, candidate_features(candidate, cues), strict=True))


def test_the_flow_terms_tell_a_fragment_a_blob_of_two_and_a_whole_apart() -> None:
    flow = np.zeros((60, 80, 2), np.float32)
    flow[20:40, 30:50] = (4.0, 0.0)  # one mover on still background
    whole = _flow_features(flow, _candidate(20, 30, 40, 50))
    fragment = _flow_features(flow, _candidate(20, 30, 40, 40))
    # the whole's ring is still; the fragment's is partly the rest of its mover
    assert whole["ring_comoving"] == 0.0
    assert fragment["ring_comoving"] > 0.1
    assert whole["flow_incoherence"] == fragment["flow_incoherence"] == 0.0
    # a second mover, going the other way, right next to the first: the pair is incoherent, and
    # the first one's ring moves, but not its way
    flow[20:40, 50:70] = (-4.0, 0.0)
    pair = _flow_features(flow, _candidate(20, 30, 40, 70))
    assert pair["flow_incoherence"] >= 0.3
    beside = _flow_features(flow, _candidate(20, 30, 40, 50))
    assert beside["ring_comoving"] == 0.0
    # untrusted flow everywhere says nothing
    flow[:] = np.nan
    untrusted = _flow_features(flow, _candidate(20, 30, 40, 40))
    assert untrusted["ring_comoving"] == untrusted["flow_incoherence"] == 0.0


def test_the_motion_terms_look_past_the_flow_halo() -> None:
    # the flow (and the motion map) drag a 3-pixel halo of still background along with a mover
    mover = np.zeros((60, 80), bool)
    mover[20:40, 30:50] = True
    halo = cv2.distanceTransform((~mover).astype(np.uint8), cv2.DIST_L2, 5) <= 2.5
    flow = np.zeros((60, 80, 2), np.float32)
    flow[halo] = (4.0, 0.0)
    cues = _cues()
    cues = replace(cues, flow=flow, probability=halo.astype(np.float32))
    whole = dict(
        zip(PROPOSAL_FEATURES, candidate_features(_candidate(20, 30, 40, 50), cues), strict=True)
    )
    fragment = dict(
        zip(PROPOSAL_FEATURES, candidate_features(_candidate(20, 30, 40, 38), cues), strict=True)
    )
    assert whole["probability_ring"] == 0.0
    assert whole["ring_comoving"] == 0.0
    assert fragment["probability_ring"] > 0.1
    assert fragment["ring_comoving"] > 0.1


def test_flow_coherence_follows_a_turning_body_and_leaves_its_input() -> None:
    yy, xx = np.mgrid[0:60, 0:80].astype(np.float32)
    body = (np.abs(yy - 30) < 10) & (np.abs(xx - 40) < 25)
    flow = np.zeros((60, 80, 2), np.float32)
    # a small turn about (40, 30): flow = omega x r, up to 2.5 px at the ends
    flow[..., 0] = -0.1 * (yy - 30)
    flow[..., 1] = 0.1 * (xx - 40)
    flow[~body] = 0.0
    flow[body] += (3.0, 0.0)
    before = flow.copy()
    half = body & (xx < 40)
    ys, xs = np.nonzero(half)
    crop = half[ys.min() - 4 : ys.max() + 5, xs.min() - 4 : xs.max() + 5]
    top, left = int(ys.min()) - 4, int(xs.min()) - 4
    comoving, incoherence = flow_coherence(crop, top, left, ring(crop, 4), flow)
    # its other half, turning along, follows the half's affine motion
    assert comoving > 0.1
    assert incoherence == 0.0
    np.testing.assert_array_equal(flow, before)
    assert flow_coherence(crop, top, left, ring(crop, 4), None) == (0.0, 0.0)


def test_the_shipped_model_reads_the_measured_terms() -> None:
    model = proposal_model()
    assert model.features == PROPOSAL_FEATURES
    assert len(model) >= 50
    assert "tuning clips" in model.note


@pytest.mark.parametrize("model", ["logistic", "boosted"])
def test_rescore_scores_like_predicted_iou_one_candidate_at_a_time(
    model: Literal["logistic", "boosted"],
) -> None:
    cues = _cues()
    candidates = [_candidate(20, 30, 40, 50), _candidate(44, 4, 56, 24), _candidate(10, 10, 30, 70)]
    rescored = rescore(candidates, cues, model)
    single = [predicted_iou(candidate_features(c, cues), model) for c in candidates]
    assert [c.score for c in rescored] == pytest.approx(single)
    assert rescore([], cues, model) == []


def test_the_two_models_score_differently() -> None:
    cues = _cues()
    features = candidate_features(_candidate(10, 10, 30, 70), cues)
    assert predicted_iou(features, "boosted") != pytest.approx(predicted_iou(features, "logistic"))


def test_rescore_replaces_scores_without_touching_its_input() -> None:
    cues = _cues()
    candidates = [_candidate(20, 30, 40, 50, 0.3), _candidate(44, 4, 56, 24, 0.9)]
    rescored = rescore(candidates, cues)
    assert [c.score for c in candidates] == [0.3, 0.9]
    assert rescored[0].score > rescored[1].score
    assert rescored[0].crop is candidates[0].crop


def test_the_features_need_the_motion_maps() -> None:
    with pytest.raises(ValueError, match="motion maps"):
        candidate_features(_candidate(20, 30, 40, 50), _cues(with_motion=False))


@pytest.mark.slow
def test_the_learned_score_ranks_camouflaged_objects_above_the_background(tmp_path: Path) -> None:
    # tuning seed 1 of the textured-background family: five objects in the background's hue;
    # the hand-made score ranks background pieces and parts above them
    clip = make_family_clip("textured_bg", 1, tmp_path / "clip")
    assert clip.files is not None
    with contextlib.closing(iter_frames(clip.files.video_path)) as frames:
        video = np.stack(list(itertools.islice(frames, 26)))
    truths = [np.asarray(m[0]) for m in clip.masks.values()]

    def found_in_top(options: ProposalOptions, top: int = 10) -> int:
        proposals = propose_masks(video[0], video_frames=video[1:], options=options)
        assert np.all((proposals.scores >= 0) & (proposals.scores <= 1))
        first = proposals.masks[:top]
        return sum(any(iou(m, truth) >= 0.5 for m in first) for truth in truths)

    learned = found_in_top(ProposalOptions())
    boosted = found_in_top(ProposalOptions(score_model="boosted"))
    hand = found_in_top(ProposalOptions(learned_score=False))
    assert learned >= 3
    assert boosted >= 3
    assert min(learned, boosted) > hand
