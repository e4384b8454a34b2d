"""Lighting changes: bring every frame back to frame 0's colours before appearance is compared.

The propagation tells an object from its surroundings by colour histograms anchored to frame 0.
When the light changes -- the exposure drifts, a cloud passes, the camera's gain adapts, a shade
creeps across one side of the picture -- every colour shifts by several histogram bins within a
second, and the frame-0 models stop matching the object: small objects fade out of their tracks
first (they have no deep interior to hold their prior).

`lighting_gain` measures the change on the background only (objects can change colour on their
own): the new frame against the previous corrected frame warped onto it by the flow, as the
per-block median of per-pixel ratios on a coarse grid, fitted per channel by a plane in log-gain
(a global gain plus a left-right and top-bottom gradient; blocks far off the others -- something
new appearing, not light -- are left out), clipped to a sane range. `compensate` divides it
out. Chained frame after frame, the corrected frames keep frame 0's photometry.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["compensate", "lighting_gain"]

_MIN_PIXELS = 20
"""Background pixels a grid block needs to give a measurement."""
_MAX_DEVIATION = 0.25
"""A block whose log-gain is this far from the blocks' median (in any channel) is left out."""
_MIN_LEVEL = 12.0
"""Blocks darker than this (in the reference) give no measurement: ratios of noise."""


def lighting_gain(
    current: NDArray[np.uint8],
    reference: NDArray[np.uint8],
    background: NDArray[np.bool_],
    *,
    grid: int = 4,
    max_gain: float = 2.0,
    shape_hw: tuple[int, int] | None = None,
) -> NDArray[np.float32]:
    """Per-pixel, per-channel gain from ``reference`` to ``current``, measured on ``background``.

    Parameters
    ----------
    current
        ``(h, w, 3)`` uint8 new frame.
    reference
        ``(h, w, 3)`` uint8 frame of the same view with the wanted photometry (the previous
        corrected frame warped onto the new one).
    background
        ``(h, w)`` bool pixels to measure on (background seen in both).
    grid
        Blocks per side of the measuring grid.
    max_gain
        Gains are clipped to ``[1 / max_gain, max_gain]``.
    shape_hw
        Size of the gain map to return, when it is measured on a subsampled copy of the frames
        (the model is in coordinates relative to the frame); default ``(h, w)``.

    Returns
    -------
    numpy.ndarray
        ``shape_hw + (3,)`` float32 gains (all ones when there is too little to measure).

    Raises
    ------
    ValueError
        When the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.integers(40, 200, (60, 80, 3)).astype(np.uint8)
    >>> darker = (reference * 0.8).astype(np.uint8)
    >>> gain = lighting_gain(darker, reference, np.ones((60, 80), bool))
    >>> bool(np.allclose(gain, 0.8, atol=0.02))
    True
    """
    current = np.asarray(current)
    reference = np.asarray(reference)
    background = np.asarray(background, dtype=bool)
    if current.shape != reference.shape or current.shape[:2] != background.shape:
        raise ValueError(
            f"current {current.shape}, reference {reference.shape} and background "
            f"{background.shape} must share their (h, w)"
        )
    height, width = background.shape if shape_hw is None else shape_hw
    sub_h, sub_w = background.shape
    rows: list[tuple[float, float]] = []
    values: list[NDArray[np.float64]] = []
    weights: list[float] = []
    ys = np.linspace(0, sub_h, grid + 1).astype(int)
    xs = np.linspace(0, sub_w, grid + 1).astype(int)
    for i in range(grid):
        for j in range(grid):
            block = background[ys[i] : ys[i + 1], xs[j] : xs[j + 1]]
            count = int(np.count_nonzero(block))
            if count < _MIN_PIXELS:
                continue
            new = current[ys[i] : ys[i + 1], xs[j] : xs[j + 1]][block].astype(np.float32)
            old = reference[ys[i] : ys[i + 1], xs[j] : xs[j + 1]][block].astype(np.float32)
            lit = (old >= _MIN_LEVEL).all(axis=1)
            if np.count_nonzero(lit) < _MIN_PIXELS:
                continue
            # the median of per-pixel ratios: the same scene point in both (the reference is
            # warped by the flow), so a mover's own colours do not pass for a change of light
            ratios = np.log(np.maximum(new[lit], 1.0) / old[lit])
            centre_y = (ys[i] + ys[i + 1]) / (2.0 * sub_h) - 0.5
            centre_x = (xs[j] + xs[j + 1]) / (2.0 * sub_w) - 0.5
            rows.append((centre_y, centre_x))
            values.append(np.median(ratios, axis=0).astype(np.float64))
            weights.append(float(np.sqrt(count)))
    if len(rows) < 3:
        return np.ones((height, width, 3), np.float32)
    # light changes smoothly over the picture; a block far off the others holds something new
    # (an object appearing in what was background), not a change of light
    measured = np.asarray(values)
    typical = np.median(measured, axis=0)
    agree = (np.abs(measured - typical) <= _MAX_DEVIATION).all(axis=1)
    if np.count_nonzero(agree) < 3:
        return np.ones((height, width, 3), np.float32)
    design = np.column_stack([np.ones(len(rows)), np.asarray(rows)])[agree]
    w = np.asarray(weights)[agree][:, None]
    coefficients, *_ = np.linalg.lstsq(design * w, measured[agree] * w, rcond=None)
    # the plane in log-gain is separable: exp(a + b y + c x) = exp(a) exp(b y) exp(c x)
    bound = float(np.log(max_gain))
    yy = (np.arange(height, dtype=np.float64) + 0.5) / height - 0.5
    xx = (np.arange(width, dtype=np.float64) + 0.5) / width - 0.5
    along_y = np.exp(coefficients[0][None, :] + yy[:, None] * coefficients[1][None, :])
    along_x = np.exp(xx[:, None] * coefficients[2][None, :])
    gain: NDArray[np.float32] = np.clip(
        along_y.astype(np.float32)[:, None, :] * along_x.astype(np.float32)[None, :, :],
        np.float32(np.exp(-bound)),
        np.float32(np.exp(bound)),
    )
    return gain


def compensate(frame: NDArray[np.uint8], gain: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Divide ``gain`` out of ``frame`` (a new array; ``frame`` is not modified).

    Parameters
    ----------
    frame
        ``(h, w, 3)`` uint8 frame.
    gain
        ``(h, w, 3)`` gains from `lighting_gain`.

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` uint8 corrected frame.

    Raises
    ------
    ValueError
        When the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.full((2, 2, 3), 80, np.uint8)
    >>> compensate(frame, np.full((2, 2, 3), 0.8, np.float32))[0, 0].tolist()
    [100, 100, 100]
    """
    if frame.shape != gain.shape:
        raise ValueError(f"frame {frame.shape} and gain {gain.shape} must have the same shape")
    corrected: NDArray[np.uint8] = np.clip(np.rint(frame.astype(np.float32) / gain), 0, 255).astype(
        np.uint8
    )
    return corrected
