"""The embedded CPU engine: classical proposals and optical-flow propagation (no weights).

[`LocalBackend`][sam2_autotrack.LocalBackend] implements the [`Backend`][sam2_autotrack.Backend]
protocol; its settings are [`ProposalOptions`][sam2_autotrack.backends.local.ProposalOptions]
(superpixel-merge proposals with colour, edge and motion cues, plus whole-subject candidates) and
[`TrackerOptions`][sam2_autotrack.backends.local.TrackerOptions] (DIS-flow label propagation with
appearance models and leak control). The subject cues are public too:
[`residual_motion`][sam2_autotrack.backends.local.residual_motion] (motion unlike the camera,
[`MotionEvidence`][sam2_autotrack.backends.local.MotionEvidence]),
[`moving_subjects`][sam2_autotrack.backends.local.moving_subjects] (what moves, grown by
figure-ground), [`figure_ground`][sam2_autotrack.backends.local.figure_ground],
[`border_contrast_saliency`][sam2_autotrack.backends.local.border_contrast_saliency],
[`centre_subject`][sam2_autotrack.backends.local.centre_subject] and
[`closeup_subject`][sam2_autotrack.backends.local.closeup_subject] (a head-and-shoulders
subject standing on the bottom border, whole;
[`is_closeup_cut`][sam2_autotrack.backends.local.is_closeup_cut]).
"""

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.closeup import closeup_subject, is_closeup_cut
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
    "closeup_subject",
    "figure_ground",
    "is_closeup_cut",
    "moving_subjects",
    "residual_motion",
]
