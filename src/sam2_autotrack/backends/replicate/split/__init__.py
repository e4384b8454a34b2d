"""Dividing the hosted video model's per-frame union mask back into objects.

``meta/sam-2-video`` returns one union mask per frame for all objects. This subpackage is the
local side of :class:`~sam2_autotrack.ReplicateBackend`'s per-object strategies:

- ``geometric``: the geometric split (:class:`GeometricSplitter`, :func:`split_union`);
- ``image``: the image-guided split (:class:`ImageSplitter`: the embedded engine's propagation
  constrained to the union), with per-object :class:`ColourModels` (``appearance``);
- ``stream``: either split run over a stream of mask frames into
  :class:`~sam2_autotrack.masks.store.MaskSequence` s (:func:`split_by_image` also returns each
  frame's :class:`FrameSignals`, from ``signals``);
- the ``auto`` strategy: :class:`AutoOptions` (``options``), :func:`plan_windows` of the
  :class:`Window` s to re-run per object (``windows``), their clicks (:func:`reruns_of`,
  ``reruns``) and their stitching back into the split (:func:`stitch_sequences`, ``stitch``).

Nothing here talks to the network: the backend runs the predictions.
"""

from sam2_autotrack.backends.replicate.split.appearance import ColourModels
from sam2_autotrack.backends.replicate.split.geometric import (
    GeometricSplitter,
    frame0_seeds,
    seed_label_map,
    split_union,
)
from sam2_autotrack.backends.replicate.split.image import (
    ImageSplitter,
    first_frame_labels,
    shares_components,
)
from sam2_autotrack.backends.replicate.split.options import AutoOptions
from sam2_autotrack.backends.replicate.split.reruns import Rerun, reruns_of
from sam2_autotrack.backends.replicate.split.signals import FrameSignals, frame_signals
from sam2_autotrack.backends.replicate.split.stitch import (
    identity_map,
    relabel,
    stitch_frame,
    stitch_sequences,
)
from sam2_autotrack.backends.replicate.split.stream import (
    append_labels,
    label_map,
    split_by_geometry,
    split_by_image,
)
from sam2_autotrack.backends.replicate.split.windows import Window, plan_windows, unsure_objects

__all__ = [
    "AutoOptions",
    "ColourModels",
    "FrameSignals",
    "GeometricSplitter",
    "ImageSplitter",
    "Rerun",
    "Window",
    "append_labels",
    "first_frame_labels",
    "frame0_seeds",
    "frame_signals",
    "identity_map",
    "label_map",
    "plan_windows",
    "relabel",
    "reruns_of",
    "seed_label_map",
    "shares_components",
    "split_by_geometry",
    "split_by_image",
    "split_union",
    "stitch_frame",
    "stitch_sequences",
    "unsure_objects",
]
