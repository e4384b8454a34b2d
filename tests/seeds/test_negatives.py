"""Negative clicks: inside touching neighbours, near the contact, none for distant ones."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.seeds.negatives import negative_points
from seed_masks import padded_depth, two_touching


def test_negative_click_goes_into_the_touching_neighbour_near_the_contact() -> None:
    left, right = two_touching()
    points = negative_points(left, right[None])
    assert points.shape == (1, 2)
    x, y = points[0].tolist()
    assert right[y, x]
    assert not left[y, x]
    assert 80 < x <= 80 + 40, "near the shared boundary, within reach"
    assert padded_depth(right)[y, x] > 3, "clearly inside the neighbour"


def test_no_negative_click_for_distant_neighbours_or_none_at_all() -> None:
    left, _ = two_touching()
    far = np.zeros_like(left)
    far[10:70, 120:150] = True  # 40 px away
    assert negative_points(left, far[None]).shape == (0, 2)
    assert negative_points(left, np.zeros((0, *left.shape), dtype=bool)).shape == (0, 2)


def test_negative_points_respect_max_points_and_order_by_contact() -> None:
    centre = np.zeros((120, 120), dtype=bool)
    centre[40:80, 40:80] = True
    long_contact = np.zeros_like(centre)
    long_contact[40:80, 80:110] = True
    short_contact = np.zeros_like(centre)
    short_contact[80:100, 60:75] = True
    others = np.stack([short_contact, long_contact])
    both = negative_points(centre, others, max_points=2)
    assert len(both) == 2
    first_x, first_y = both[0].tolist()
    assert long_contact[first_y, first_x]
    one = negative_points(centre, others, max_points=1)
    assert one.tolist() == both[:1].tolist()
