"""The `Detector` protocol: text in, boxes out — and the `Detection` it returns.

A text prompt needs an open-vocabulary detector: given an image and the query items, it returns
boxes with a label and a confidence. Its boxes are then matched to the mask proposals like box
prompts ([`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts]). The implementation shipped is
Grounding DINO on Replicate
([`GroundingDinoDetector`][sam2_autotrack.backends.replicate.GroundingDinoDetector]); there is no
offline one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError

__all__ = ["Detection", "Detector"]


@dataclass(frozen=True)
class Detection:
    """One box an open-vocabulary detector found.

    Parameters
    ----------
    box_xyxy
        ``(x0, y0, x1, y1)`` pixel edges in the image the detector saw (``x0 < x1``, ``y0 < y1``).
    confidence
        The detector's confidence, in ``[0, 1]``.
    label
        The detector's own label (for Grounding DINO: the decoded, lower-cased words that scored,
        which may differ from the query item).
    query
        The query item the label was mapped to, or ``None`` when it fits none (the detection is
        then not used).

    Examples
    --------
    >>> Detection((10, 20, 60, 90), 0.8, "pink mug", query="a pink mug").box_xyxy
    (10.0, 20.0, 60.0, 90.0)
    """

    box_xyxy: tuple[float, float, float, float]
    confidence: float
    label: str
    query: str | None = None

    def __post_init__(self) -> None:
        box = tuple(float(v) for v in self.box_xyxy)
        if len(box) != 4 or not all(math.isfinite(v) for v in box):
            raise ConfigError(f"a detection box needs 4 finite numbers; got {self.box_xyxy!r}")
        if box[0] >= box[2] or box[1] >= box[3]:
            raise ConfigError(f"detection box {box} is empty (x0 < x1 and y0 < y1 are needed)")
        if not 0.0 <= float(self.confidence) <= 1.0:
            raise ConfigError(f"detection confidence {self.confidence!r} is not in [0, 1]")
        object.__setattr__(self, "box_xyxy", box)
        object.__setattr__(self, "confidence", float(self.confidence))

    def describe(self) -> str:
        """Name the detection in messages: ``"'person' at (10, 20, 60, 90), confidence 0.81"``.

        Returns
        -------
        str
            The description.
        """
        box = tuple(round(v) for v in self.box_xyxy)
        return f"{self.label or self.query or '?'!r} at {box}, confidence {self.confidence:.2f}"

    def to_json_dict(self) -> dict[str, Any]:
        """Return the detection as JSON (for ``prompts.json``).

        Returns
        -------
        dict[str, Any]
            ``box_xyxy``, ``confidence``, ``label`` and ``query``.
        """
        return {
            "box_xyxy": list(self.box_xyxy),
            "confidence": self.confidence,
            "label": self.label,
            "query": self.query,
        }


@runtime_checkable
class Detector(Protocol):
    """What a text prompt needs: boxes for query items on one image.

    Implementation:
    [`GroundingDinoDetector`][sam2_autotrack.backends.replicate.GroundingDinoDetector].
    """

    @property
    def name(self) -> str:
        """Short name recorded in the run record (``"grounding-dino"``)."""
        ...

    def detect(
        self,
        image_rgb: NDArray[np.uint8],
        queries: Sequence[str],
        *,
        work_dir: Path | None = None,
    ) -> tuple[Detection, ...]:
        """Find the ``queries`` items in one ``(H, W, 3)`` RGB image.

        Every detection's ``query`` is the item it was mapped to (``None`` when none fits); boxes
        are in the image's pixels.

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB image (frame 0).
        queries
            The items to find (see [`split_query`][sam2_autotrack.prompts.split_query]).
        work_dir
            Where the detector may keep journals and downloads.

        Returns
        -------
        tuple[Detection, ...]
            Every detection, before overlap suppression.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Name, model, version and thresholds, for the run record (never a secret).

        Returns
        -------
        dict[str, Any]
            A JSON-ready record.
        """
        ...

    def close(self) -> None:
        """Release connections (a no-op for detectors that hold none)."""
        ...
