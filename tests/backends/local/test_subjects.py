"""Whole-subject candidates: the centre figure-ground cut joins differently coloured parts."""

from __future__ import annotations

import numpy as np

from local_clips import (
    iou,
    noisy_grey,
)
from sam2_autotrack.backends.local.subjects import centre_subject


def test_centre_subject_joins_differently_coloured_parts() -> None:
    # a "person" in the middle: dark suit, white shirt, skin-toned face; the backdrop around
    image = noisy_grey()
    image[:, :] = (150, 150, 160)
    image[20:60, 95:145] = (220, 180, 150)  # face
    image[60:150, 70:170] = (30, 30, 40)  # suit
    image[60:150, 110:130] = (240, 240, 240)  # shirt
    person = np.zeros((160, 240), dtype=bool)
    person[20:60, 95:145] = True
    person[60:150, 70:170] = True
    cut = centre_subject(image)
    assert cut is not None
    assert iou(cut, person) > 0.8
