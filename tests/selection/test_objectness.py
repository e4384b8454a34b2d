"""The calibrated objectness: a logistic model of the documented terms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sam2_autotrack.selection import (
    OBJECTNESS_COEFFICIENTS,
    OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE,
    OBJECTNESS_FEATURES,
    SelectionOptions,
    calibrated_objectness,
)
from sam2_autotrack.selection.objectness import (
    final_objectness,
    logit,
    objectness_features,
    weighted_objectness,
)


def test_one_coefficient_per_named_term() -> None:
    assert len(OBJECTNESS_COEFFICIENTS) == len(OBJECTNESS_FEATURES)
    assert len(OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE) == len(OBJECTNESS_FEATURES)
    assert OBJECTNESS_FEATURES[0] == "bias"
    assert OBJECTNESS_FEATURES[-1] == "enclosed"


def test_calibrated_objectness_is_the_logistic_of_the_weighted_terms() -> None:
    features = objectness_features(0.9, 0.7, 1.0, 0.8, 0.6, 1, 0.2, 0.01)
    assert features[0] == 1.0
    assert features[-1] == 0.0  # the enclosed share is filled in later
    assert features[-3] == pytest.approx(-2.0)  # log10 of the area fraction
    assert features[-2] == 1.0  # its share of the best score (the only proposal)
    z = float(np.dot(OBJECTNESS_COEFFICIENTS, features))
    assert calibrated_objectness(features) == pytest.approx(1 / (1 + math.exp(-z)))
    assert logit(calibrated_objectness(features)) == pytest.approx(z)
    # an unmeasured contrast counts as 0.5; without scores the model score is NaN and the
    # coefficients fitted without that term apply
    unscored = objectness_features(0.9, 0.7, 1.0, None, None, 1, 0.2, 0.01)
    assert math.isnan(unscored[4])
    assert unscored[5] == 0.5
    z0 = float(np.dot(OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE, np.nan_to_num(unscored)))
    assert OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE[4] == 0.0
    assert calibrated_objectness(unscored) == pytest.approx(1 / (1 + math.exp(-z0)))
    assert math.isnan(unscored[4])  # not modified
    # without scores, touching more borders lowers it; with scores the generator's score
    # already weighs the borders (the embedded engine's learned score does), and the fitted
    # border weight is small
    more_borders = unscored.copy()
    more_borders[6] = 2
    assert calibrated_objectness(more_borders) < calibrated_objectness(unscored)
    assert abs(OBJECTNESS_COEFFICIENTS[6]) < 0.5
    # lying in another's hole only lowers it
    enclosed = features.copy()
    enclosed[-1] = 1.0
    assert calibrated_objectness(enclosed) < calibrated_objectness(features)


def test_final_objectness_in_both_modes_leaves_its_inputs_alone() -> None:
    features = {0: objectness_features(0.9, 0.7, 1.0, None, None, 0, 0.0, 0.01)}
    weighted = np.array([weighted_objectness(0.9, 0.7, 1.0, None, None, 0, SelectionOptions())])
    enclosed = {0: 0.5}
    out, feats = final_objectness([0], weighted, features, enclosed, SelectionOptions())
    assert feats[0][-1] == 0.5
    assert features[0][-1] == 0.0
    assert out[0] == pytest.approx(calibrated_objectness(feats[0]))
    off, feats_off = final_objectness(
        [0], weighted, features, enclosed, SelectionOptions(enclosed_penalty=0.0)
    )
    assert feats_off[0][-1] == 0.0
    hand, _ = final_objectness(
        [0], weighted, features, enclosed, SelectionOptions(objectness="weighted")
    )
    assert hand[0] == pytest.approx(weighted[0] - 0.5 * 0.5)
    assert out[0] != off[0]


def test_the_size_term_is_bounded() -> None:
    tiny = objectness_features(0.9, 0.8, 1.0, 0.5, 0.9, 0, 0.0, 1e-5)
    small = objectness_features(0.9, 0.8, 1.0, 0.5, 0.9, 0, 0.0, 1e-3)
    large = objectness_features(0.9, 0.8, 1.0, 0.5, 0.9, 0, 0.0, 0.2)
    assert tiny[-3] == small[-3] == -3.0
    assert large[-3] == -1.5


def test_a_tiny_object_that_stands_out_is_an_object() -> None:
    # two 197-px discs (0.26 % of a 320x240 frame) that stand out all round, like the tiny
    # family's objects: the former unbounded log-area weight put them at 0.42, below 0.5
    from sam2_autotrack.selection import select_objects

    image = np.full((240, 320, 3), 90, np.uint8)
    yy, xx = np.mgrid[0:240, 0:320]
    masks = np.stack([(xx - cx) ** 2 + (yy - cy) ** 2 <= 64 for cx, cy in ((60, 60), (200, 150))])
    image[masks.any(axis=0)] = (230, 200, 40)
    for scores in (None, np.array([0.5, 0.5])):
        selection = select_objects(masks, scores=scores, image_rgb=image)
        assert selection.indices.tolist() == [0, 1]
        assert all(d.objectness >= 0.5 for d in selection.decisions)
