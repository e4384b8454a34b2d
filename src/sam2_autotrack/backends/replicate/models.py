"""The hosted models the backend runs, pinned to exact versions (overridable).

A version id names one immutable build of a model on Replicate, so a pinned version gives the same
answers (and output schema) next year;
[`ModelVersions`][sam2_autotrack.backends.replicate.ModelVersions] bundles the two the backend uses.
"""

from __future__ import annotations

import re

from pydantic import field_validator

from sam2_autotrack._options import Options

__all__ = [
    "SAM2_IMAGE_MODEL",
    "SAM2_IMAGE_VERSION",
    "SAM2_VIDEO_MODEL",
    "SAM2_VIDEO_VERSION",
    "ModelVersions",
]

SAM2_IMAGE_MODEL = "meta/sam-2"
"""The hosted automatic mask generator (frame-0 proposals)."""
SAM2_IMAGE_VERSION = "fe97b453a6455861e3bac769b441ca1f1086110da7466dbb65cf1eecfd60dc83"
"""Pinned version of ``meta/sam-2`` (override with ``ModelVersions(image_version=...)``)."""
SAM2_VIDEO_MODEL = "meta/sam-2-video"
"""The hosted video predictor (tracking from clicks)."""
SAM2_VIDEO_VERSION = "33432afdfc06a10da6b4018932893d39b0159f838b6d11dd1236dff85cc5ec1d"
"""Pinned version of ``meta/sam-2-video`` (override with ``ModelVersions(video_version=...)``)."""

_VERSION_ID = re.compile(r"[0-9a-f]{64}")


class ModelVersions(Options):
    """Which models, at which versions, the backend runs.

    Attributes
    ----------
    image_model, image_version
        The proposal model (``meta/sam-2``) and its 64-hex version id.
    video_model, video_version
        The tracking model (``meta/sam-2-video``) and its 64-hex version id.

    Examples
    --------
    >>> ModelVersions().video_model
    'meta/sam-2-video'
    >>> ModelVersions(image_version="latest")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid ModelVersions: image_version='latest': must be ...
    """

    image_model: str = SAM2_IMAGE_MODEL
    image_version: str = SAM2_IMAGE_VERSION
    video_model: str = SAM2_VIDEO_MODEL
    video_version: str = SAM2_VIDEO_VERSION

    @field_validator("image_version", "video_version")
    @classmethod
    def _version_id(cls, value: str) -> str:
        if not _VERSION_ID.fullmatch(value):
            raise ValueError(
                "must be a model version id (64 hex digits, from the model's Versions tab on "
                "replicate.com), not a name or a tag"
            )
        return value
