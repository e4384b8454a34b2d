"""Hidden objects: a weak prior of an object's last full shape where it should be.

An object whose visible area falls well below its reference area (occluded, partly or fully)
keeps its last full shape; that shape is carried along with the object's constant-velocity
prediction and added to its prior, blurred, so the object is re-acquired where its colours
reappear near the predicted position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.options import TrackerOptions

__all__ = ["ObjectState", "add_template_priors"]


@dataclass
class ObjectState:
    """What the tracker remembers of one object's shape and motion (working resolution).

    Attributes
    ----------
    ref_area
        Its reference (fully visible) area, pixels.
    template
        ``(h, w)`` float32 its last fully visible region.
    offset
        ``(dx, dy)`` how far it is predicted to have moved since ``template`` was taken.
    velocity
        ``(dx, dy)`` its smoothed motion per frame.
    """

    ref_area: float
    template: NDArray[np.float32]
    offset: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))
    velocity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))


def add_template_priors(
    priors: NDArray[np.float32],
    warped: NDArray[np.uint8],
    flow: NDArray[np.float32],
    objects: list[ObjectState],
    options: TrackerOptions,
) -> None:
    """Update each object's motion; raise a hidden object's prior at its predicted shape.

    Parameters
    ----------
    priors
        ``(K + 1, h, w)`` float32 per-label priors (0 the background), updated in place.
    warped
        ``(h, w)`` uint8 label map pulled from the previous frame along ``flow``.
    flow
        ``(h, w, 2)`` backward flow (new frame → previous frame).
    objects
        The ``K`` objects' states, updated in place (velocity and offset).
    options
        ``occluded_area_ratio``, ``template_prior`` and ``boundary_sigma`` are read.
    """
    height, width = warped.shape
    for k, state in enumerate(objects):
        moved = flow[warped == k + 1]
        if len(moved) >= 10:
            state.velocity = 0.7 * state.velocity + 0.3 * (-moved.mean(axis=0))
        area = float(len(moved))
        state.offset += state.velocity
        if area < options.occluded_area_ratio * state.ref_area and options.template_prior > 0:
            shift = np.array([[1, 0, state.offset[0]], [0, 1, state.offset[1]]], dtype=np.float32)
            template = cv2.warpAffine(state.template, shift, (width, height))
            template = cv2.GaussianBlur(template, (0, 0), 2.0 * options.boundary_sigma)
            np.maximum(priors[k + 1], options.template_prior * template, out=priors[k + 1])
