"""What surrounds a candidate, and how it moves along with it (terms of the learned score).

`surroundings` gives a candidate's two rings from one distance transform: the ring next to its
outline, which the colour terms read, and the *far* ring from one ring-width to two out, which
the motion terms read. Right next to a moving object, the flow's halo drags still pixels along
with it and the superpixel motion map spills over its neighbours, so a whole moving object
looks continued by moving pixels there, as a fragment would; a ring-width further out it does
not, while a fragment's object goes on there. `flow_coherence` measures, in the far ring, how
much moves the way the candidate does, and how much of the candidate itself does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.motion import affine_motion_at, fit_affine_motion
from sam2_autotrack.backends.local.scoring import Candidate

__all__ = ["FarRing", "Surroundings", "flow_coherence", "surroundings"]


@dataclass(frozen=True)
class FarRing:
    """A candidate in a window of the image wide enough for its far ring.

    Attributes
    ----------
    mask
        ``(h, w)`` bool candidate in the window.
    ring
        ``(h, w)`` bool far ring in the window (the candidate's complement when it is empty).
    top, left
        The window's top-left corner in the image.
    """

    mask: NDArray[np.bool_]
    ring: NDArray[np.bool_]
    top: int
    left: int

    @property
    def window(self) -> tuple[slice, slice]:
        """Slices of the window in the image."""
        h, w = self.mask.shape
        return slice(self.top, self.top + h), slice(self.left, self.left + w)


@dataclass(frozen=True)
class Surroundings:
    """A candidate's ring next to its outline (in its crop) and its far ring.

    Attributes
    ----------
    ring
        ``(h, w)`` bool pixels of the candidate's crop within one ring-width of it, without
        those it is ``beside`` (the crop's complement of the candidate when none is left).
    far
        The ring from one ring-width to two out (`FarRing`).
    """

    ring: NDArray[np.bool_]
    far: FarRing


def surroundings(candidate: Candidate, shape_hw: tuple[int, int], width: int) -> Surroundings:
    """Return a candidate's ring within ``width`` px of it and its ring ``width``–``2 × width`` out.

    Pixels the candidate is ``beside`` (what is in front of it) are left out of both.

    Parameters
    ----------
    candidate
        A candidate (its crop holds a ring's margin around it).
    shape_hw
        The working image's ``(height, width)``.
    width
        The ring width (`ring_width_of`).

    Returns
    -------
    Surroundings
        Both rings.

    Examples
    --------
    >>> import numpy as np
    >>> crop = np.zeros((16, 16), bool); crop[4:12, 4:12] = True
    >>> around = surroundings(Candidate(0.5, 64, 20, 20, crop), (60, 60), 4)
    >>> bool(around.ring[2, 8]), bool(around.far.ring[6, 16]), bool(around.far.ring[10, 16])
    (True, True, False)
    """
    crop, top, left = candidate.crop, candidate.top, candidate.left
    margin = 2 * width
    y0, x0 = max(0, top - margin), max(0, left - margin)
    y1 = min(shape_hw[0], top + crop.shape[0] + margin)
    x1 = min(shape_hw[1], left + crop.shape[1] + margin)
    inner = (slice(top - y0, top - y0 + crop.shape[0]), slice(left - x0, left - x0 + crop.shape[1]))
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    mask[inner] = crop
    # chamfer distances to the candidate do not depend on the window they are measured in
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    near = (distance[inner] > 0) & (distance[inner] <= width)
    far = (distance > width) & (distance <= 2 * width)
    if candidate.beside is not None:
        near &= ~candidate.beside
        beside = np.zeros_like(mask)
        beside[inner] = candidate.beside
        far &= ~beside
    if not near.any():
        near = ~crop
    if not far.any():
        far = ~mask
    return Surroundings(ring=near, far=FarRing(mask=mask, ring=far, top=y0, left=x0))


def flow_coherence(
    mask: NDArray[np.bool_],
    top: int,
    left: int,
    around: NDArray[np.bool_],
    flow: NDArray[np.float32] | None,
    moving_px: float = 1.5,
) -> tuple[float, float]:
    """How the ring moves along with a candidate, and how much of it moves its own way.

    An affine model of the candidate's residual flow (fitted on its trusted pixels, refitted
    without those off by more than ``2 × moving_px``) predicts where every pixel of the window
    would go if it were part of the candidate. A pixel *follows* the candidate when its flow is
    within ``max(moving_px, half the faster speed)`` of that prediction (`move_apart`).

    Parameters
    ----------
    mask, top, left
        ``(h, w)`` bool candidate in a window of the image whose top-left corner is at
        ``(top, left)``.
    around
        ``(h, w)`` bool ring in that window.
    flow
        ``(H, W, 2)`` residual flow at the working resolution, NaN where untrusted, or ``None``.
    moving_px
        Residual motion (working pixels) of a pixel that moves unlike the camera.

    Returns
    -------
    tuple
        ``(ring_comoving, flow_incoherence)``: the share of the ring's trusted pixels that move
        and follow the candidate, and the share of the candidate's trusted pixels that do not
        follow it; ``(0.0, 0.0)`` without flow or when under 30 % of the candidate is trusted.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.backends.local.scoring import ring
    >>> flow = np.zeros((40, 40, 2), np.float32); flow[10:30, 5:35] = (4.0, 0.0)
    >>> crop = np.zeros((30, 40), bool); crop[5:25, 5:20] = True   # the left half of a mover
    >>> comoving, incoherence = flow_coherence(crop, 5, 0, ring(crop, 4), flow)
    >>> comoving > 0.1, incoherence
    (True, 0.0)
    """
    if flow is None:
        return 0.0, 0.0
    patch = flow[top : top + mask.shape[0], left : left + mask.shape[1]]
    trusted = ~np.isnan(patch[..., 0])
    ys, xs = np.nonzero(mask & trusted)
    if len(xs) < max(10.0, 0.3 * np.count_nonzero(mask)):
        return 0.0, 0.0
    model = fit_affine_motion(xs, ys, patch, tolerance=moving_px)

    def follows(region: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        py, px = np.nonzero(region)
        predicted = affine_motion_at(model, px, py)
        actual = patch[py, px].astype(np.float64)
        speed = np.maximum(np.hypot(*predicted.T), np.hypot(*actual.T))
        off = np.hypot(*(actual - predicted).T)
        return off <= np.maximum(moving_px, 0.5 * speed), np.hypot(*actual.T)

    inside_follow, _ = follows(mask & trusted)
    incoherence = 1.0 - float(inside_follow.mean())
    ring_trusted = around & trusted
    if not ring_trusted.any():
        return 0.0, incoherence
    ring_follow, ring_speed = follows(ring_trusted)
    comoving = float(np.count_nonzero(ring_follow & (ring_speed >= moving_px))) / len(ring_speed)
    return comoving, incoherence
