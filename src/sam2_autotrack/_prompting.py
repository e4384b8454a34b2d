"""What the tracker needs to honour prompts on a given backend: checks and the default detector.

Kept out of `sam2_autotrack.tracker` (the facade composes, this knows the backends' limits),
and importing the Replicate code only when a text prompt or a Replicate backend asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import Backend, MaskProposals
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.errors import ConfigError, MissingTokenError
from sam2_autotrack.prompts.detector import Detection, Detector
from sam2_autotrack.prompts.model import Prompts
from sam2_autotrack.prompts.objects import PromptedObjects
from sam2_autotrack.prompts.resolve import resolve_prompts
from sam2_autotrack.video.reader import read_frame

__all__ = [
    "check_prompts_for_backend",
    "coerce_prompts",
    "default_detector",
    "resolve_for_backend",
]

_TOKEN_ENV = "REPLICATE_API_TOKEN"


def coerce_prompts(prompts: Prompts | dict[str, Any] | None) -> Prompts | None:
    """Return ``prompts`` as `Prompts`, or ``None`` when nothing is prompted.

    Raises
    ------
    ConfigError
        ``prompts`` is not a [`Prompts`][sam2_autotrack.prompts.Prompts], a dict of its fields or
        ``None``, or is invalid.
    """
    chosen = Prompts.coerce(prompts)
    return None if chosen is None or chosen.is_empty else chosen


def default_detector(backend: Backend, api_token: str | None) -> tuple[Detector, bool]:
    """Return the detector for text prompts and whether the caller owns (must close) it.

    Grounding DINO on Replicate: through the backend's own client when the backend is
    Replicate's, else through a client of its own — which needs a token.

    Raises
    ------
    MissingTokenError
        No token for a non-Replicate backend: there is no offline detector.
    """
    from sam2_autotrack.backends.replicate.backend import ReplicateBackend
    from sam2_autotrack.backends.replicate.detector import GroundingDinoDetector

    if isinstance(backend, ReplicateBackend):
        return GroundingDinoDetector(client=backend.client), False
    if not (api_token or os.environ.get(_TOKEN_ENV, "").strip()):
        raise MissingTokenError(
            "a text prompt needs the hosted open-vocabulary detector (Grounding DINO on "
            f"Replicate) and there is no offline one: set {_TOKEN_ENV} (the embedded engine "
            "still tracks; only the detection is hosted), or choose the objects with points, "
            "boxes or proposal numbers (--point, --box, --pick)"
        )
    return GroundingDinoDetector(api_token=api_token), True


def check_prompts_for_backend(prompts: Prompts, backend: Backend) -> None:
    """Refuse, before any work, prompts the backend cannot honour.

    Raises
    ------
    ConfigError
        A point or box on a later frame with the embedded engine (it starts every object on
        frame 0); or, with one of Replicate's union strategies (``per_object`` ``"auto"``,
        ``"image"`` or ``"split"``), several objects one of which starts after frame 0 (the union
        is split from each object's frame-0 clicks).
    """
    later = prompts.later_frames()
    if not later:
        return
    if isinstance(backend, LocalBackend):
        raise ConfigError(
            f"{later[0]}: the embedded engine starts every object on frame 0 (it tracks forward "
            "from frame-0 regions), so prompts on later frames are not supported; move the "
            "prompt to frame 0, or use the Replicate backend (its video model takes clicks on "
            "any frame)"
        )
    from sam2_autotrack.backends.replicate.backend import ReplicateBackend

    if not isinstance(backend, ReplicateBackend) or backend.per_object == "separate":
        return
    groups = prompts.point_groups()
    starting_later = [g.describe() for g in groups if g.first_frame > 0]
    starting_later += [b.describe() for b in prompts.boxes if b.frame > 0]
    objects = len(groups) + len(prompts.boxes) + len(prompts.picks) + (1 if prompts.text else 0)
    if starting_later and objects > 1:
        raise ConfigError(
            f"{starting_later[0]} starts an object after frame 0, and with several objects the "
            f"'{backend.per_object}' strategy recovers each one from its frame-0 clicks; use "
            "per_object='separate' (--object-strategy separate: one prediction per object), or "
            "track that object on its own"
        )


def resolve_for_backend(
    backend: Backend,
    detector: Callable[[], Detector],
    prompts: Prompts | dict[str, Any],
    proposals: MaskProposals,
    *,
    image_rgb: NDArray[np.uint8],
    video: Path | None,
    work_dir: Path,
) -> PromptedObjects:
    """Resolve prompts with what they need from the backend: proposals on later frames, text.

    Reads and proposes on every later frame a box is on, runs ``detector()`` on ``image_rgb`` for
    a text prompt, then [`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts].
    """
    chosen = coerce_prompts(prompts)
    if chosen is None:
        raise ConfigError(
            "resolve() needs at least one prompt (points, boxes, picks or text); without "
            "prompts use select() for the automatic choice"
        )
    height, width = image_rgb.shape[:2]
    chosen.check_video(resolution_wh=(width, height), frame_count=None)
    by_frame = {0: proposals}
    images = {0: image_rgb}
    for frame in sorted({b.frame for b in chosen.boxes if b.frame > 0}):
        if video is None:
            raise ConfigError(
                f"a box is on frame {frame}: pass video= so that frame can be read and proposed on"
            )
        images[frame] = read_frame(video, frame)
        by_frame[frame] = backend.propose(images[frame], work_dir=work_dir)
    detections: tuple[Detection, ...] = ()
    if chosen.text:
        detections = detector().detect(image_rgb, chosen.text, work_dir=work_dir)
    return resolve_prompts(chosen, by_frame, images_rgb=images, detections=detections)
