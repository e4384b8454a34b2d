"""`SeedOptions`: how many clicks each selected object gets, and where they may go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sam2_autotrack._options import Options

__all__ = ["NegativePolicy", "SeedOptions"]

NegativePolicy = Literal["touching", "none"]
"""``"touching"``: a background click in each neighbour an object touches; ``"none"``: none."""


class SeedOptions(Options):
    """How selected masks become clicks (`clicks_from_selection`).

    Attributes
    ----------
    seeds_per_object
        Positive clicks per object (at most; small masks may get fewer, distinct ones).
    negatives
        ``"touching"``: a background click in each neighbour that touches an object, where a leak
        is likely; ``"none"``: positive clicks only.
    max_negatives
        Negative clicks per object, at most.
    margin_px
        How deep inside its mask a positive click must be (``find_seeds(margin=...)``); ``None``
        for the scale-aware default ``min(12, 0.25 * R)``, ``R`` the mask's inscribed radius.
    min_component_fraction
        Share of an object's area a secondary fragment needs to get a seed of its own.
    touch_gap_px
        How close (px) a neighbour must come to count as touching (``negative_points(gap=...)``).

    Examples
    --------
    >>> SeedOptions(seeds_per_object=5).negatives
    'touching'
    >>> SeedOptions(seeds_per_object=0)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid SeedOptions: seeds_per_object=0: must be greater ...
    """

    seeds_per_object: int = Field(default=3, ge=1)
    negatives: NegativePolicy = "touching"
    max_negatives: int = Field(default=2, ge=0)
    margin_px: float | None = Field(default=None, ge=0.0)
    min_component_fraction: float = Field(default=0.15, ge=0.0, le=1.0)
    touch_gap_px: int = Field(default=3, ge=0)
