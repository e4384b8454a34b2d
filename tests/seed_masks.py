"""Masks shared by the seed tests: depth as the seeds define it, and two touching boxes."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import distance_transform_edt


def padded_depth(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Distance to the nearest non-mask pixel, the outside of the image counting as non-mask."""
    depth: NDArray[np.float64] = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return depth


def two_touching() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    left = np.zeros((80, 160), dtype=bool)
    left[10:70, 10:80] = True
    right = np.zeros_like(left)
    right[10:70, 80:150] = True
    return left, right
