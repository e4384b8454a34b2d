"""Dividing the hosted video model's per-frame union mask back into objects.

``meta/sam-2-video`` returns one union mask per frame for all objects. This subpackage is the
local side of [`ReplicateBackend`][sam2_autotrack.ReplicateBackend]'s per-object strategies:

- ``geometric``: the geometric split
  ([`GeometricSplitter`][sam2_autotrack.backends.replicate.split.GeometricSplitter],
  [`split_union`][sam2_autotrack.backends.replicate.split_union]);
- ``image``: the image-guided split
  ([`ImageSplitter`][sam2_autotrack.backends.replicate.split.ImageSplitter]: the embedded engine's
  propagation constrained to the union), with per-object
  [`ColourModels`][sam2_autotrack.backends.replicate.split.ColourModels] (``appearance``);
- ``stream``: either split run over a stream of mask frames into
  [`MaskSequence`][sam2_autotrack.masks.MaskSequence] s
  ([`split_by_image`][sam2_autotrack.backends.replicate.split.split_by_image] also returns each
  frame's [`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals], from ``signals``);
- the ``auto`` strategy: [`AutoOptions`][sam2_autotrack.backends.replicate.AutoOptions]
  (``options``), [`plan_windows`][sam2_autotrack.backends.replicate.split.plan_windows] of the
  [`Window`][sam2_autotrack.backends.replicate.split.Window] s to re-run per object (``windows``),
  their clicks ([`reruns_of`][sam2_autotrack.backends.replicate.split.reruns_of], ``reruns``) and
  their stitching back into the split
  ([`stitch_sequences`][sam2_autotrack.backends.replicate.split.stitch_sequences], ``stitch``).

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
