"""Static remnants: the parts of a track left behind where the object was seeded.

A frame-0 region often holds a piece of its surroundings (a shadow, the dark mouth of a burrow, a
patch of floor the object sits on). While the object keeps still nothing can tell the two apart;
once it moves, the piece does not follow it: it stays where it was, moving like the background,
and it looks unlike the parts that move. Left in the track it is carried on for the whole clip,
and its colours in the object's appearance model pull in more of the same (the object grows into
every dark corner it passes).

The same happens later: an arm stretched over a rock or a bush drags the label along, and when
the arm goes back the rock keeps the label (it is static, and often of a colour the model knows).

`RemnantShedder` keeps, per pixel of the label map, its *age*: for how many frames it has kept
its label and stayed put (moved like the background, whose motion is an affine model of the
background label's flow). Pixels at least ``remnant_frames`` old are the object's *still* part.
From every frame it also gathers the colours of the object's pixels that clearly move unlike the
background: the *moving core*. An object sheds only while it moves (its moving observations of
the last ~20 frames add up to ``remnant_moved`` times its area) and less than half of it keeps
still; then the still pixels whose colour is far more typical of the still part than of the
moving core (``remnant_ratio`` times) and that the background shows too (its colour model gives
them at least a tenth of the core's likelihood) are *shed*: connected parts of them of a useful
size go back to the background (never half the object at once). Still parts that look like the
core (a foot resting on the ground while the body moves) or in the object's own colours are
kept, and an object that keeps still (or mostly still) sheds nothing.

Limits: the colour test is all that tells a still part of the object from a remnant, so a still
part coloured unlike every moving part (dark trousers on a person standing while waving a bare
arm) can be shed while the rest of the object moves. That is the rule rather than the exception
for a close-up subject -- a talking head whose dark suit keeps still while the face moves -- so an
object seeded over ``remnant_max_object_fraction`` of the frame or more sheds nothing.

Everything is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.appearance import smoothed_density
from sam2_autotrack.backends.local.options import TrackerOptions

__all__ = ["RemnantShedder", "Shed", "relative_motion"]

_MAX_STILL_SHARE = 0.5
"""An object sheds only while less than this share of it keeps still (so never more at once)."""
_BACKGROUND_FIT = 0.1
"""A remnant's colour is at least this likely under the background's model as under the core's:
a colour the background (almost) never shows is the object's own, however the parts that move
happen to be coloured."""
_GRID = 4
"""Spacing (working pixels) of the grid the background's motion is fit on."""
_RECENT_DECAY = 0.95
"""Per-frame decay of an object's recent moving observations (a window of about 20 frames)."""
_CORE_TRACE = 0.005
"""A colour bin with less than this share of an object's moving observations is not its core's."""


@dataclass(frozen=True)
class Shed:
    """Pixels one object loses as a static remnant on one frame.

    Attributes
    ----------
    label
        The object's label in the label map (``1`` = the first object).
    pixels
        ``(h, w)`` bool working-resolution pixels that go back to the background.
    """

    label: int
    pixels: NDArray[np.bool_]


def _density(
    index: NDArray[np.int64], counts: NDArray[np.float64], bins: int
) -> NDArray[np.float64]:
    """Smoothed colour density of ``counts`` (a ``bins**3`` histogram), read at ``index``."""
    density: NDArray[np.float64] = smoothed_density(counts, bins)[index]
    return density


def relative_motion(
    warped: NDArray[np.uint8], flow: NDArray[np.float32], grid: tuple[NDArray[np.float32], ...]
) -> NDArray[np.float32]:
    """Return how far every pixel moves unlike the background, ``(h, w)`` float32 pixels.

    The background's motion is an affine least-squares fit of ``flow`` over the background
    pixels (``warped == 0``) of a 4-pixel grid, refit without the outliers; with too few of them
    the background is taken as still.

    Parameters
    ----------
    warped
        ``(h, w)`` uint8 label map of the frame (0 = background).
    flow
        ``(h, w, 2)`` float32 flow of the frame.
    grid
        ``(x, y)`` float32 pixel coordinate maps of the frame.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` float32 length of the difference between each pixel's flow and the flow the
        background's model predicts there.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((20, 30), np.uint8); labels[5:10, 5:10] = 1
    >>> flow = np.zeros((20, 30, 2), np.float32); flow[..., 0] = 2.0; flow[5:10, 5:10] = (2, 3)
    >>> gx, gy = np.meshgrid(np.arange(30, dtype=np.float32), np.arange(20, dtype=np.float32))
    >>> relative = relative_motion(labels, flow, (gx, gy))
    >>> round(float(relative[0, 0]), 3), round(float(relative[7, 7]), 3)
    (0.0, 3.0)
    """
    ys, xs = np.nonzero(warped[::_GRID, ::_GRID] == 0)
    if len(xs) < 20:
        return np.asarray(np.hypot(flow[..., 0], flow[..., 1]), np.float32)
    px, py = xs * _GRID, ys * _GRID
    design = np.stack([px, py, np.ones_like(px)], axis=1).astype(np.float64)
    target = flow[py, px].astype(np.float64)
    model = np.linalg.lstsq(design, target, rcond=None)[0]
    residual = np.hypot(*(design @ model - target).T)
    inliers = residual <= max(1.0, float(np.median(residual)) * 2.0)
    if 10 <= np.count_nonzero(inliers) < len(px):
        model = np.linalg.lstsq(design[inliers], target[inliers], rcond=None)[0]
    model = model.astype(np.float32)
    gx, gy = grid[0], grid[1]
    dx = flow[..., 0] - (model[0, 0] * gx + model[1, 0] * gy + model[2, 0])
    dy = flow[..., 1] - (model[0, 1] * gx + model[1, 1] * gy + model[2, 1])
    return np.asarray(cv2.magnitude(dx, dy), np.float32)


class RemnantShedder:
    """Find and shed the static remnants of tracked objects (see the module docstring).

    Parameters
    ----------
    labels
        ``(h, w)`` uint8 working-resolution label map of the seeding frame (0 = background).
    options
        The tracker's options (``remnant_*`` and ``hist_bins``).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((20, 30), np.uint8); labels[5:10, 5:10] = 1
    >>> shedder = RemnantShedder(labels, TrackerOptions())
    >>> int(shedder.still.sum()), shedder.count
    (0, 1)
    """

    def __init__(self, labels: NDArray[np.uint8], options: TrackerOptions) -> None:
        self.options = options
        self.age: NDArray[np.uint16] = np.zeros(labels.shape, np.uint16)
        """Per pixel, for how many frames it has kept its object's label and stayed put."""
        self.count = int(labels.max()) if labels.size else 0
        bins = options.hist_bins
        self._core = np.zeros((self.count, bins**3), np.float64)
        self._recent = np.zeros(self.count, np.float64)
        self._frames = np.zeros(self.count, np.int64)
        self._exempt = self._close_ups(labels, 1, self.count)

    @property
    def still(self) -> NDArray[np.bool_]:
        """Pixels that have kept their object's label and stayed put for ``remnant_frames``."""
        still: NDArray[np.bool_] = self.age >= self.options.remnant_frames
        return still

    def add_objects(self, labels: NDArray[np.uint8], new: int) -> None:
        """Start watching ``new`` more objects, the highest labels of ``labels`` (just seeded).

        Parameters
        ----------
        labels
            ``(h, w)`` uint8 label map holding the new objects.
        new
            How many objects were added (labels ``count + 1`` ... ``count + new``).
        """
        first = self.count + 1
        self.count += new
        self.age = np.where(labels >= first, 0, self.age).astype(np.uint16)
        bins = self.options.hist_bins
        self._core = np.concatenate([self._core, np.zeros((new, bins**3), np.float64)])
        self._recent = np.concatenate([self._recent, np.zeros(new, np.float64)])
        self._frames = np.concatenate([self._frames, np.zeros(new, np.int64)])
        self._exempt = np.concatenate([self._exempt, self._close_ups(labels, first, self.count)])

    def _close_ups(self, labels: NDArray[np.uint8], first: int, last: int) -> NDArray[np.bool_]:
        """Which of the objects ``first`` ... ``last`` are seeded over a large share of it."""
        counts = np.bincount(labels.ravel(), minlength=last + 1)[first : last + 1]
        limit = self.options.remnant_max_object_fraction * labels.size
        exempt: NDArray[np.bool_] = counts >= limit
        return exempt

    def advance(
        self,
        warped: NDArray[np.uint8],
        relative: NDArray[np.float32],
        map_xy: tuple[NDArray[np.float32], NDArray[np.float32]],
    ) -> None:
        """Carry the still map onto the new frame (before its labels are decided).

        Parameters
        ----------
        warped
            ``(h, w)`` uint8 previous label map warped onto the new frame.
        relative
            ``(h, w)`` float32 flow magnitude relative to the background's motion.
        map_xy
            The backward-warp maps the label map was warped with.
        """
        carried = cv2.remap(
            self.age,
            map_xy[0],
            map_xy[1],
            cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        stays = (warped > 0) & (relative <= self.options.remnant_still_px)
        self.age = np.where(stays, np.minimum(carried, 60000) + 1, 0).astype(np.uint16)
        self._frames += 1
        self._recent *= _RECENT_DECAY

    def shed(
        self,
        warped: NDArray[np.uint8],
        index: NDArray[np.int64],
        background: NDArray[np.float64],
    ) -> list[Shed]:
        """Return the remnants to shed on this frame (and forget them as still pixels).

        Parameters
        ----------
        warped
            ``(h, w)`` uint8 previous label map warped onto the new frame.
        index
            ``(h, w)`` colour-bin index of the new frame.
        background
            ``(hist_bins**3,)`` colour density of the background (mean 1 per bin).

        Returns
        -------
        list of Shed
            One entry per object that sheds something (usually none).
        """
        opts = self.options
        if opts.remnant_ratio <= 0:
            return []
        out: list[Shed] = []
        bins = opts.hist_bins
        for k in range(self.count):
            if self._frames[k] < opts.remnant_frames or self._exempt[k]:
                continue
            region = warped == k + 1
            area = int(np.count_nonzero(region))
            if area < 50 or self._recent[k] < opts.remnant_moved * area:
                continue
            still = self.still & region
            n_still = int(np.count_nonzero(still))
            min_part = max(30, int(0.02 * area))
            if n_still < min_part or n_still > _MAX_STILL_SHARE * area:
                # nothing to shed, or most of the object keeps still: then nothing tells its
                # still parts from what it left behind
                continue
            still_index = index[still]
            own = np.bincount(still_index, minlength=bins**3).astype(np.float64)
            # colour bins holding only a trace of the core's observations are noise (a fine flow
            # drags a thin seam of the still part along where it meets the moving one)
            counts = self._core[k]
            core = _density(still_index, np.maximum(counts - _CORE_TRACE * counts.sum(), 0.0), bins)
            unlike_values = (_density(still_index, own, bins) > opts.remnant_ratio * core) & (
                background[still_index] > _BACKGROUND_FIT * core
            )
            unlike = np.zeros_like(still)
            unlike[still] = unlike_values
            n_parts, parts, stats, _ = cv2.connectedComponentsWithStats(
                unlike.astype(np.uint8), connectivity=8
            )
            keep = np.zeros(n_parts, bool)
            keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_part
            if not keep.any():
                continue
            pixels = keep[parts]
            out.append(Shed(label=k + 1, pixels=pixels))
            self.age[pixels] = 0
        return out

    def observe(
        self,
        labels: NDArray[np.uint8],
        warped: NDArray[np.uint8],
        relative: NDArray[np.float32],
        index: NDArray[np.int64],
        uncovered: NDArray[np.bool_] | None,
    ) -> None:
        """Record the new frame's labels: still pixels must keep theirs; gather core colours.

        Parameters
        ----------
        labels
            ``(h, w)`` uint8 label map decided for the new frame.
        warped
            ``(h, w)`` uint8 previous label map warped onto the new frame.
        relative
            ``(h, w)`` float32 flow magnitude relative to the background's motion.
        index
            ``(h, w)`` colour-bin index of the new frame.
        uncovered
            ``(h, w)`` bool pixels newly uncovered (no reliable flow), or ``None``.
        """
        kept = labels == warped
        self.age[~kept] = 0
        moving = kept & (labels > 0) & (relative > self.options.remnant_moving_px)
        if uncovered is not None:
            moving &= ~uncovered
        if not moving.any():
            return
        bins = self.options.hist_bins
        owners = labels[moving].astype(np.int64) - 1
        colours = index[moving]
        counts = np.bincount(owners * bins**3 + colours, minlength=self.count * bins**3)
        counts = counts.reshape(self.count, bins**3)
        self._core += counts
        self._recent += counts.sum(axis=1)
