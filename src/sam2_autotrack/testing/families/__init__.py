"""Seeded randomized families of synthetic clips, with exact per-object visible-pixel ground truth.

The fixed suite ([`make_clip`][sam2_autotrack.testing.make_clip]) is seven hand-placed scenes: an
engine tuned on it learns those scenes. A *family* is a distribution of scenes that share one
difficulty; every clip is drawn from ``(family, seed)`` by
[`make_family_clip`][sam2_autotrack.testing.make_family_clip], so a benchmark can score an engine on
as many unseen clips as it likes. The families ([`FAMILIES`][sam2_autotrack.testing.FAMILIES]):

``textured_bg``
    Textured backgrounds whose palette sits on the objects' own hue, saturation and brightness
    (hard contrast: object and surroundings differ by little more than texture).
``walls_floor``
    One or two large background regions that touch only one or two image borders — a floor or
    rug (bottom), a backdrop or sunshade (top), a side panel (one side), a corner wall (two
    adjacent borders), a pillar (top and bottom) or a band (left and right) — plus 1-4 objects.
    The regions are background: a tracker that picks one has picked background.
``tiny``
    2-6 tiny objects of about 200 px each in 320×240 frames.
``closeup``
    One close-up subject (a head-and-shoulders outline or a large blob) covering more than 30 %
    of the frame and touching the bottom border only, sometimes with a smaller object.
``pan``
    A camera pan (3-10 px per frame at 854 px wide) over a textured world; objects either stay
    anchored in the world or are followed by the camera.
``occlusion``
    Objects passing behind or in front of one another on crossing paths, and usually behind a
    foreground bar (a pole or a rail that touches two opposite borders and is not an object).
``mixed``
    Every factor above drawn at random.
``still``
    1-3 objects that do not move at all (a parked car) among 1-3 that do: a thing that stays put
    in a moving shot can still be an object.

Across families, clips hold 1 to 6 objects of random shapes (blobs, rings, C-shapes, elongated
sausages, stars, polygons, ...), textures (stripes, checker, dots, noise, flat), sizes, speeds
(bouncing, curving paths; spin; breathing scale), with a lighting drift (global gain, left-right
and top-bottom gradients) and sensor noise, in frames of 320×240, 640×360 or 854×480, 30-48
frames at 25 fps. Sprites are rendered and composited by the helpers of
`sam2_autotrack.testing.render`, back to front, so each object's mask holds exactly its
*visible* pixels (what an occluder covers is not in it). Non-object regions (walls, floors,
bars) are reported separately in `FamilyClip.regions` and are never ground-truth objects.

Determinism: every random choice comes from one `numpy.random.Generator` seeded by
``(family, seed)``; the same pair gives identical bytes on every run. Draws do not depend on the
number of frames asked for (up to 48), so a short render is the prefix of the full clip.

Seed convention
---------------
Seeds ``0 <= seed < 1000`` are for **tuning** (look at them, fit parameters to them). Seeds
``>= 1000`` are **held out**: use them only to report figures, never to choose a parameter, or
the figures stop measuring generalization. [`family_seeds`][sam2_autotrack.testing.family_seeds]
hands out either set.

Modules
-------
``make`` ([`make_family_clip`][sam2_autotrack.testing.make_family_clip],
[`family_seeds`][sam2_autotrack.testing.family_seeds], drawing a scene from its seed),
``definitions`` (one builder per family), ``scene`` and ``objects`` (layers, world, lighting,
placing objects and occluders), ``regions`` (walls and floors), ``sprites`` (shapes), ``palettes``
(colours and textures), ``motion`` (paths), ``render`` and ``clip``
([`FamilyClip`][sam2_autotrack.testing.FamilyClip]).
"""

from sam2_autotrack.testing.families.clip import HELD_OUT_SEED_START, FamilyClip
from sam2_autotrack.testing.families.definitions import FAMILIES
from sam2_autotrack.testing.families.make import family_seeds, make_family_clip
from sam2_autotrack.testing.families.scene import RESOLUTIONS

__all__ = [
    "FAMILIES",
    "HELD_OUT_SEED_START",
    "RESOLUTIONS",
    "FamilyClip",
    "family_seeds",
    "make_family_clip",
]
