"""The embedded CPU engine: classical proposals and optical-flow propagation (no weights).

:class:`LocalBackend` implements the :class:`~sam2_autotrack.Backend` protocol; its settings are
:class:`ProposalOptions` (superpixel-merge proposals with colour, edge and motion cues, plus
whole-subject candidates) and :class:`TrackerOptions` (DIS-flow label propagation with appearance
models and leak control). The subject cues are public too: :func:`residual_motion` (motion
unlike the camera, :class:`MotionEvidence`), :func:`moving_subjects` (what moves, grown by
figure-ground), :func:`figure_ground`, :func:`border_contrast_saliency` and
:func:`centre_subject`.
"""

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.motion import MotionEvidence, residual_motion
from sam2_autotrack.backends.local.options import ProposalOptions, TrackerOptions
from sam2_autotrack.backends.local.subjects import (
    border_contrast_saliency,
    centre_subject,
    figure_ground,
    moving_subjects,
)

__all__ = [
    "LocalBackend",
    "MotionEvidence",
    "ProposalOptions",
    "TrackerOptions",
    "border_contrast_saliency",
    "centre_subject",
    "figure_ground",
    "moving_subjects",
    "residual_motion",
]
