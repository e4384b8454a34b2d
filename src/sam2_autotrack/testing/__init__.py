"""Test material: synthetic clips with exact ground truth, and real sample videos.

:func:`make_clip` renders a named clip of :data:`SYNTHETIC_SUITE` (each stresses one thing:
occlusion, contact, an object entering mid-clip, clutter, ...) as a :class:`SyntheticClip`, which
:meth:`SyntheticClip.write` saves as a video plus ground-truth PNGs (:class:`SyntheticClipFiles`).
:func:`make_family_clip` draws a clip from one of the seeded randomized :data:`FAMILIES`
(textured backgrounds, walls and floors, tiny objects, close-ups, pans, occlusion, all mixed) as a
:class:`FamilyClip`, so an engine can be scored on as many unseen clips as wanted
(:func:`family_seeds`: seeds below 1000 tune, from 1000 on they are held out).
:func:`sample_video` returns the path of a real clip of :data:`SAMPLE_VIDEOS`;
:mod:`~sam2_autotrack.testing.real_truth` holds hand-annotated boxes of their main subjects. The
building blocks of new scenes live in :mod:`~sam2_autotrack.testing.scene`,
:mod:`~sam2_autotrack.testing.shapes`, :mod:`~sam2_autotrack.testing.textures` and
:mod:`~sam2_autotrack.testing.render`.
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
