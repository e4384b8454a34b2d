"""Tracking engines behind one protocol: the embedded CPU engine and hosted SAM 2 on Replicate.

- ``base``: the [`Backend`][sam2_autotrack.Backend] protocol and the values it exchanges
  ([`MaskProposals`][sam2_autotrack.MaskProposals], [`ObjectTracks`][sam2_autotrack.ObjectTracks]).
- ``cost``: what a run paid for ([`CostReport`][sam2_autotrack.backends.CostReport] of
  [`PredictionCost`][sam2_autotrack.backends.PredictionCost] records).
- ``local``: [`LocalBackend`][sam2_autotrack.backends.local.LocalBackend], classical proposals and
  optical-flow propagation, no weights and no network.
- ``replicate``: [`ReplicateBackend`][sam2_autotrack.backends.replicate.ReplicateBackend]
  (``meta/sam-2`` and ``meta/sam-2-video``); imported only when asked for.
- ``resolve``: ``"auto" | "local" | "replicate"`` to a backend
  (``sam2_autotrack.backends.resolve.resolve_backend``; not imported here, so that importing
  the embedded engine never reaches the Replicate code).
"""

from sam2_autotrack.backends.base import Backend, MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.cost import CostReport, PredictionCost

__all__ = [
    "Backend",
    "CostReport",
    "MaskProposals",
    "ObjectTracks",
    "PredictionCost",
    "ProgressCallback",
]
