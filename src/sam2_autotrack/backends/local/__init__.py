"""The embedded CPU engine: classical proposals and optical-flow propagation (no weights).

:class:`LocalBackend` implements the :class:`~sam2_autotrack.Backend` protocol; its settings are
:class:`ProposalOptions` (superpixel-merge proposals with colour, edge and motion cues) and
:class:`TrackerOptions` (DIS-flow label propagation with appearance models and leak control).
"""

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.propagation import TrackerOptions
from sam2_autotrack.backends.local.proposals import ProposalOptions

__all__ = ["LocalBackend", "ProposalOptions", "TrackerOptions"]
