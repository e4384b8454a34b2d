"""Replicate's hosted SAM 2 as a backend: the client, its options, and the backend itself.

[`ReplicateBackend`][sam2_autotrack.ReplicateBackend] runs ``meta/sam-2`` (proposals) and
``meta/sam-2-video`` (tracking);
[`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient] is the HTTP side it composes:
the ``replicate`` SDK creates, uploads and cancels, on our transport (one rate gate, one retry
policy, wall-clock deadlines, the token scrubbed), which also carries the raw-JSON polls and the
bounded downloads; the resume journal finds every paid prediction again. Settings are small frozen
option objects: [`Timeouts`][sam2_autotrack.backends.replicate.Timeouts],
[`Retries`][sam2_autotrack.backends.replicate.Retries],
[`Limits`][sam2_autotrack.backends.replicate.Limits] (client),
[`ModelVersions`][sam2_autotrack.backends.replicate.ModelVersions],
[`ImageModelInputs`][sam2_autotrack.backends.replicate.ImageModelInputs],
[`VideoModelInputs`][sam2_autotrack.backends.replicate.VideoModelInputs],
[`UploadOptions`][sam2_autotrack.backends.replicate.UploadOptions],
[`AutoOptions`][sam2_autotrack.backends.replicate.AutoOptions] (backend). The union split of the
per-object strategies lives in
[`sam2_autotrack.backends.replicate.split`][sam2_autotrack.backends.replicate.split].
[`GroundingDinoDetector`][sam2_autotrack.backends.replicate.GroundingDinoDetector] runs
``adirik/grounding-dino`` for text prompts (a [`Detector`][sam2_autotrack.prompts.Detector]),
through the same client.
"""

from sam2_autotrack.backends.replicate.backend import ReplicateBackend
from sam2_autotrack.backends.replicate.client import ReplicateClient
from sam2_autotrack.backends.replicate.detector import (
    GROUNDING_DINO_MODEL,
    GROUNDING_DINO_VERSION,
    GroundingDinoDetector,
    GroundingDinoOptions,
)
from sam2_autotrack.backends.replicate.models import (
    SAM2_IMAGE_MODEL,
    SAM2_IMAGE_VERSION,
    SAM2_VIDEO_MODEL,
    SAM2_VIDEO_VERSION,
    ModelVersions,
)
from sam2_autotrack.backends.replicate.options import (
    ImageModelInputs,
    Limits,
    Retries,
    Timeouts,
    UploadOptions,
    VideoModelInputs,
)
from sam2_autotrack.backends.replicate.predictions import PredictionResult
from sam2_autotrack.backends.replicate.split.geometric import split_union
from sam2_autotrack.backends.replicate.split.options import AutoOptions
from sam2_autotrack.backends.replicate.upload import PreparedVideo, prepare_upload

__all__ = [
    "GROUNDING_DINO_MODEL",
    "GROUNDING_DINO_VERSION",
    "SAM2_IMAGE_MODEL",
    "SAM2_IMAGE_VERSION",
    "SAM2_VIDEO_MODEL",
    "SAM2_VIDEO_VERSION",
    "AutoOptions",
    "GroundingDinoDetector",
    "GroundingDinoOptions",
    "ImageModelInputs",
    "Limits",
    "ModelVersions",
    "PredictionResult",
    "PreparedVideo",
    "ReplicateBackend",
    "ReplicateClient",
    "Retries",
    "Timeouts",
    "UploadOptions",
    "VideoModelInputs",
    "prepare_upload",
    "split_union",
]
