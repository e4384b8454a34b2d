"""Test material: synthetic clips with exact ground truth, and real sample videos.

[`make_clip`][sam2_autotrack.testing.make_clip] renders a named clip of
[`SYNTHETIC_SUITE`][sam2_autotrack.testing.SYNTHETIC_SUITE] (each stresses one thing: occlusion,
contact, an object entering mid-clip, clutter, ...) as a
[`SyntheticClip`][sam2_autotrack.testing.SyntheticClip], which
[`SyntheticClip.write`][sam2_autotrack.testing.SyntheticClip.write] saves as a video plus
ground-truth PNGs ([`SyntheticClipFiles`][sam2_autotrack.testing.SyntheticClipFiles]).
[`make_family_clip`][sam2_autotrack.testing.make_family_clip] draws a clip from one of the seeded
randomized [`FAMILIES`][sam2_autotrack.testing.FAMILIES] (textured backgrounds, walls and floors,
tiny objects, close-ups, pans, occlusion, all mixed) as a
[`FamilyClip`][sam2_autotrack.testing.FamilyClip], so an engine can be scored on as many unseen
clips as wanted ([`family_seeds`][sam2_autotrack.testing.family_seeds]: seeds below 1000 tune, from
1000 on they are held out). [`sample_video`][sam2_autotrack.testing.sample_video] returns the path
of a real clip of [`SAMPLE_VIDEOS`][sam2_autotrack.testing.SAMPLE_VIDEOS]; `real_truth` holds
hand-annotated boxes of their main subjects. The building blocks of new scenes live in `scene`,
`shapes`, `textures` and `render`.
"""

from sam2_autotrack.testing.clip import SyntheticClip, SyntheticClipFiles
from sam2_autotrack.testing.families import (
    FAMILIES,
    FamilyClip,
    family_seeds,
    make_family_clip,
)
from sam2_autotrack.testing.samples import SAMPLE_VIDEOS, sample_video
from sam2_autotrack.testing.suite import SYNTHETIC_SUITE, make_clip

__all__ = [
    "FAMILIES",
    "SAMPLE_VIDEOS",
    "SYNTHETIC_SUITE",
    "FamilyClip",
    "SyntheticClip",
    "SyntheticClipFiles",
    "family_seeds",
    "make_clip",
    "make_family_clip",
    "sample_video",
]
