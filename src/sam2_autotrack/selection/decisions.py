"""What the selection decided: a `ProposalDecision` per proposal, in a `Selection`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoxXYXY", "DecisionCategory", "ProposalDecision", "Selection"]

DecisionCategory = Literal[
    "kept", "speck", "background", "not_object", "duplicate", "part", "whole", "below_max_objects"
]
"""Why a proposal was kept or dropped (see `ProposalDecision`)."""
BoxXYXY = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)``, end-exclusive."""


@dataclass(frozen=True)
class ProposalDecision:
    """What [`select_objects`][sam2_autotrack.selection.select_objects] decided about one proposal.

    Attributes
    ----------
    index
        Index of the proposal in the input.
    kept
        Whether it is one of the selected objects.
    category
        ``"kept"``, ``"speck"``, ``"background"``, ``"not_object"``, ``"duplicate"``,
        ``"part"``, ``"whole"`` or ``"below_max_objects"``.
    reason
        Human-readable reason, e.g. ``"duplicate of 4"``, ``"background: touches 3 borders
        (top, left, right)"``, ``"kept (rank 1)"``.
    objectness
        Objectness score (NaN for a proposal with nothing left after cleaning).
    area
        Pixel count of the raw proposal at full resolution.
    features
        The terms of the calibrated objectness
        ([`OBJECTNESS_FEATURES`][sam2_autotrack.selection.OBJECTNESS_FEATURES]), empty for
        proposals rejected before it is computed.
    box_xyxy
        ``(x0, y0, x1, y1)`` bounding box of the raw proposal, end-exclusive (the mask is inside
        ``[y0:y1, x0:x1]``), measured on the analysis grid and scaled to full-resolution pixels
        (exact for kept proposals and whenever the grid is the full frame). ``(0, 0, 0, 0)`` when
        empty.
    """

    index: int
    kept: bool
    category: DecisionCategory
    reason: str
    objectness: float
    area: int
    box_xyxy: BoxXYXY
    features: tuple[float, ...] = ()


@dataclass(frozen=True)
class Selection:
    """The objects chosen among proposals, and the decision about every proposal.

    Attributes
    ----------
    masks
        ``(K, H, W)`` bool, the chosen masks after cleaning (small components removed, small holes
        filled), best first.
    indices
        ``(K,)`` index of each chosen mask in the input proposals.
    scores
        ``(K,)`` objectness of each chosen mask.
    decisions
        One [`ProposalDecision`][sam2_autotrack.ProposalDecision] per input proposal, in input
        order.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.selection import select_objects
    >>> masks = np.zeros((1, 64, 64), dtype=bool)
    >>> masks[0, 20:40, 20:40] = True
    >>> sel = select_objects(masks)
    >>> len(sel), sel.indices.tolist(), sel[0].shape
    (1, [0], (64, 64))
    """

    masks: NDArray[np.bool_]
    indices: NDArray[np.int64]
    scores: NDArray[np.float64]
    decisions: tuple[ProposalDecision, ...]

    def __len__(self) -> int:
        return int(self.masks.shape[0])

    def __getitem__(self, rank: int) -> NDArray[np.bool_]:
        mask: NDArray[np.bool_] = self.masks[rank]
        return mask

    def __iter__(self) -> Iterator[NDArray[np.bool_]]:
        return iter(self.masks)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return (int(self.masks.shape[2]), int(self.masks.shape[1]))

    def category_counts(self) -> dict[str, int]:
        """Count the decisions per category (for logs and error messages).

        Returns
        -------
        dict[str, int]
            ``{category: count}`` for the categories that occur (``"kept"``, ``"speck"``, ...).

        Examples
        --------
        >>> import numpy as np
        >>> from sam2_autotrack.selection import select_objects
        >>> select_objects(np.zeros((2, 32, 32), dtype=bool)).category_counts()
        {'speck': 2}
        """
        counts: dict[str, int] = {}
        for decision in self.decisions:
            counts[decision.category] = counts.get(decision.category, 0) + 1
        return counts
