"""Test material: synthetic clips with exact ground truth, and real sample videos.

:func:`make_clip` renders a named clip of :data:`SYNTHETIC_SUITE` (each stresses one thing:
occlusion, contact, an object entering mid-clip, clutter, ...) as a :class:`SyntheticClip`, which
:meth:`SyntheticClip.write` saves as a video plus ground-truth PNGs (:class:`SyntheticClipFiles`).
:func:`sample_video` returns the path of a real clip of :data:`SAMPLE_VIDEOS`. The building blocks
of new scenes live in :mod:`~sam2_autotrack.testing.scene`, :mod:`~sam2_autotrack.testing.shapes`,
:mod:`~sam2_autotrack.testing.textures` and :mod:`~sam2_autotrack.testing.render`.
"""

from sam2_autotrack.testing.clip import SyntheticClip, SyntheticClipFiles
from sam2_autotrack.testing.samples import SAMPLE_VIDEOS, sample_video
from sam2_autotrack.testing.suite import SYNTHETIC_SUITE, make_clip

__all__ = [
    "SAMPLE_VIDEOS",
    "SYNTHETIC_SUITE",
    "SyntheticClip",
    "SyntheticClipFiles",
    "make_clip",
    "sample_video",
]
