"""DAVIS J and F over whole ``(T, H, W)`` stacks, one object pair at a time.

`prepare_sequence` measures one object's stack (boxes, areas, boundary lengths, void
removed) and `pair_per_frame` scores a (prediction, ground truth) pair on every frame, with
`pair_on_frame`: the values equal the one-frame
functions' exactly. For stacks already in memory; [`evaluate`][sam2_autotrack.evaluation.evaluate]
reads frame by frame instead and never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError
from sam2_autotrack.evaluation.metrics import (
    Box,
    FrameGeometry,
    jaccard_from_counts,
    measure_frame,
    pair_on_frame,
)
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = ["SequenceGeometry", "pair_per_frame", "prepare_sequence"]


@dataclass(frozen=True)
class SequenceGeometry:
    """One object's masks over the scored frames, void removed, measured once.

    Parameters
    ----------
    masks
        ``(T, H, W)`` bool masks without the void pixels.
    boxes
        Per frame, the bounding box ``(y0, y1, x0, x1)`` (exclusive ends) or ``None`` if empty.
    areas
        ``(T,)`` pixel counts.
    boundary_px
        ``(T,)`` boundary pixel counts (``seg2bmap``).
    """

    masks: NDArray[np.bool_]
    boxes: tuple[Box, ...]
    areas: NDArray[np.int64]
    boundary_px: NDArray[np.int64]

    @property
    def is_empty(self) -> bool:
        """True when the object has no pixel on any frame."""
        return all(box is None for box in self.boxes)


def prepare_sequence(
    masks: Any, *, void: NDArray[np.bool_] | None = None, name: str = "masks"
) -> SequenceGeometry:
    """Measure one object's ``(T, H, W)`` masks for `pair_per_frame`.

    Parameters
    ----------
    masks
        ``(T, H, W)`` masks (bool, or numbers where non-zero is foreground).
    void
        Optional ``(T, H, W)`` bool mask of pixels to ignore.
    name
        How the masks are called in error messages.

    Returns
    -------
    SequenceGeometry
        The masks without void (a new array when there is void; the input is never modified).

    Examples
    --------
    >>> import numpy as np
    >>> seq = np.zeros((2, 6, 6), bool); seq[1, 1:3, 1:4] = True
    >>> g = prepare_sequence(seq)
    >>> g.boxes, g.areas.tolist(), g.boundary_px.tolist()
    ((None, (1, 3, 1, 4)), [0, 6], [0, 10])
    """
    try:
        stack = as_mask_stack(masks, name=name)
    except MaskError as exc:
        raise EvaluationError(str(exc)) from exc
    if void is not None and void.any():
        stack = stack & ~void
    frames = [measure_frame(frame) for frame in stack]
    return SequenceGeometry(
        masks=stack,
        boxes=tuple(g.box for g in frames),
        areas=np.array([g.area for g in frames], dtype=np.int64),
        boundary_px=np.array([g.boundary_px for g in frames], dtype=np.int64),
    )


def pair_per_frame(
    pred: SequenceGeometry, gt: SequenceGeometry, disk: NDArray[np.uint8]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-frame J and F of a prediction against a ground-truth object.

    Parameters
    ----------
    pred, gt
        The two objects, from `prepare_sequence` (same ``(T, H, W)``, same void).
    disk
        The dilation disk of F, from `tolerance_disk`.

    Returns
    -------
    tuple
        ``(j, f)``: two ``(T,)`` float64 arrays.

    Examples
    --------
    >>> import numpy as np
    >>> seq = np.zeros((2, 8, 8), bool); seq[:, 2:5, 2:5] = True
    >>> geometry = prepare_sequence(seq)
    >>> from sam2_autotrack.evaluation.metrics import tolerance_disk
    >>> j, f = pair_per_frame(geometry, geometry, tolerance_disk((8, 8), 1))
    >>> j.tolist(), f.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    frames = len(gt.boxes)
    inter = np.zeros(frames, np.int64)
    f = np.ones(frames)
    for t in range(frames):
        inter[t], f[t] = pair_on_frame(_frame_of(pred, t), _frame_of(gt, t), disk)
    return jaccard_from_counts(inter, pred.areas, gt.areas), f


def _frame_of(sequence: SequenceGeometry, t: int) -> FrameGeometry:
    return FrameGeometry(
        mask=sequence.masks[t],
        box=sequence.boxes[t],
        area=int(sequence.areas[t]),
        boundary_px=int(sequence.boundary_px[t]),
    )
