"""Seed clicks from selected masks: interior positives, negatives near neighbours, the click set.

- :func:`find_seeds` / :func:`seed_points` (``interior``): well-spread positive clicks deep inside
  one mask.
- :func:`negative_points` (``negatives``): background clicks inside the neighbours an object
  touches, where SAM 2 is most likely to leak.
- :func:`clicks_from_selection` (``build``): every selected object's clicks as one
  :class:`~sam2_autotrack.ClickSet`, configured by :class:`SeedOptions` (``options``).

*Depth* is the Euclidean distance transform of the zero-padded mask: the distance of each pixel to
the nearest pixel that is not in the mask, where the pixels beyond the image edge count as not in
the mask. A pixel next to the boundary has depth 1; a disc of radius ``r`` has depth ``≈ r`` at its
centre (its *maximum inscribed radius*).
"""

from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.seeds.interior import Seeds, find_seeds, seed_points
from sam2_autotrack.seeds.negatives import negative_points
from sam2_autotrack.seeds.options import NegativePolicy, SeedOptions

__all__ = [
    "NegativePolicy",
    "SeedOptions",
    "Seeds",
    "clicks_from_selection",
    "find_seeds",
    "negative_points",
    "seed_points",
]
