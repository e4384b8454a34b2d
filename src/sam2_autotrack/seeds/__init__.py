"""Seed clicks from selected masks: interior positives, negatives near neighbours, the click set.

- [`find_seeds`][sam2_autotrack.seeds.find_seeds] /
  [`seed_points`][sam2_autotrack.seeds.seed_points] (``interior``): well-spread positive clicks deep
  inside one mask.
- [`negative_points`][sam2_autotrack.seeds.negative_points] (``negatives``): background clicks
  inside the neighbours an object touches, where SAM 2 is most likely to leak.
- [`clicks_from_selection`][sam2_autotrack.seeds.clicks_from_selection] (``build``): every selected
  object's clicks as one [`ClickSet`][sam2_autotrack.ClickSet], configured by
  [`SeedOptions`][sam2_autotrack.SeedOptions] (``options``).

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
