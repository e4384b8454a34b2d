"""Leak control of the tracker: an object gains only pixels near it that move like it.

Appearance alone cannot tell two grey things apart, and a pixel once taken is carried along by
the flow with whatever it really belongs to, so `LabelPropagator` gates the per-label priors of
every frame before appearance decides:

`weaken_uncovered`
    Background uncovered behind a moving object cannot belong to the object that moved away, but
    the backward warp copies that object's label onto it; where the forward flow does not lead
    back, the copied label's prior is weakened.
`limit_growth`
    An object's prior is zero farther than a radius (plus its own speed) from its flow-warped
    region, and scaled down on the band around it where the flow does not follow the object's
    affine motion. Newly uncovered pixels, whose flow is unreliable, are left to appearance.

Both update the priors in place (the tracker's per-frame working array).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.motion import affine_motion_at, fit_affine_motion
from sam2_autotrack.backends.local.options import TrackerOptions

__all__ = ["limit_growth", "weaken_uncovered"]


def weaken_uncovered(
    priors: NDArray[np.float32],
    warped: NDArray[np.uint8],
    flow: NDArray[np.float32],
    forward: NDArray[np.float32],
    map_x: NDArray[np.float32],
    map_y: NDArray[np.float32],
    weight: float,
) -> NDArray[np.bool_]:
    """Weaken the copied label where the forward flow does not lead back; return those pixels.

    Parameters
    ----------
    priors
        ``(K + 1, h, w)`` float32 per-label priors, updated in place.
    warped
        ``(h, w)`` uint8 label map pulled from the previous frame along ``flow``.
    flow
        ``(h, w, 2)`` backward flow (new frame → previous frame).
    forward
        ``(h, w, 2)`` forward flow (previous frame → new frame).
    map_x, map_y
        ``(h, w)`` float32 sampling maps of the backward warp (pixel plus ``flow``).
    weight
        Factor of the copied label's prior on uncovered pixels
        (``TrackerOptions.uncovered_weight``).

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` bool uncovered pixels.

    Examples
    --------
    >>> import numpy as np
    >>> priors = np.ones((2, 4, 4), np.float32); warped = np.ones((4, 4), np.uint8)
    >>> flow = np.zeros((4, 4, 2), np.float32); forward = flow.copy(); forward[0, 0] = (3, 0)
    >>> ys, xs = np.mgrid[0:4, 0:4].astype(np.float32)
    >>> out = weaken_uncovered(priors, warped, flow, forward, xs, ys, 0.2)
    >>> int(out.sum()), round(float(priors[1, 0, 0]), 3), float(priors[1, 1, 1])
    (1, 0.2, 1.0)
    """
    back = cv2.remap(forward, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = np.hypot(flow[..., 0] + back[..., 0], flow[..., 1] + back[..., 1])
    speed = np.hypot(flow[..., 0], flow[..., 1])
    uncovered: NDArray[np.bool_] = error > 1.0 + 0.2 * speed
    if not uncovered.any():
        return uncovered
    ys, xs = np.nonzero(uncovered)
    priors[warped[ys, xs], ys, xs] *= np.float32(weight)
    return uncovered


def limit_growth(
    priors: NDArray[np.float32],
    warped: NDArray[np.uint8],
    flow: NDArray[np.float32],
    uncovered: NDArray[np.bool_] | None,
    options: TrackerOptions,
) -> None:
    """Stop objects from growing onto neighbours of similar colour (priors updated in place).

    Parameters
    ----------
    priors
        ``(K + 1, h, w)`` float32 per-label priors (0 the background), updated in place.
    warped
        ``(h, w)`` uint8 label map pulled from the previous frame along ``flow``.
    flow
        ``(h, w, 2)`` backward flow (new frame → previous frame).
    uncovered
        ``(h, w)`` bool newly uncovered pixels (`weaken_uncovered`), exempt from the motion
        gate, or ``None``.
    options
        ``growth_radius``, ``motion_tolerance`` and ``motion_gate`` are read.

    Examples
    --------
    >>> import numpy as np
    >>> priors = np.ones((2, 40, 40), np.float32)
    >>> warped = np.zeros((40, 40), np.uint8); warped[10:20, 10:20] = 1
    >>> limit_growth(priors, warped, np.zeros((40, 40, 2), np.float32), None, TrackerOptions())
    >>> float(priors[1, 15, 15]), float(priors[1, 15, 25]), float(priors[1, 39, 39])
    (1.0, 1.0, 0.0)
    """
    for k in range(1, priors.shape[0]):
        region = warped == k
        ys, xs = np.nonzero(region)
        if len(xs) < 20:
            continue
        prior = priors[k]
        model = fit_affine_motion(xs, ys, flow, options.motion_tolerance)
        centre = np.array([xs.mean(), ys.mean(), 1.0])
        speed = float(np.hypot(*(centre @ model)))
        radius = int(np.ceil(options.growth_radius + speed))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        # dilated within the region's box grown by the radius (nothing beyond it is near)
        height, width = region.shape
        y0, y1 = max(0, int(ys.min()) - radius), min(height, int(ys.max()) + radius + 1)
        x0, x1 = max(0, int(xs.min()) - radius), min(width, int(xs.max()) + radius + 1)
        near = np.zeros_like(region)
        near[y0:y1, x0:x1] = cv2.dilate(region[y0:y1, x0:x1].astype(np.uint8), kernel) > 0
        # no appearance-only jumps far from the object
        prior[~near] = 0.0
        band = near & ~region
        if uncovered is not None:
            # newly uncovered pixels have no reliable flow: appearance decides there
            band &= ~uncovered
        by, bx = np.nonzero(band)
        if len(bx) == 0:
            continue
        predicted = affine_motion_at(model, bx, by)
        observed = flow[by, bx]
        deviation = np.hypot(observed[:, 0] - predicted[:, 0], observed[:, 1] - predicted[:, 1])
        foreign = deviation > options.motion_tolerance * (1.0 + 0.25 * speed)
        prior[by[foreign], bx[foreign]] *= options.motion_gate
