"""Grounding DINO on Replicate (``adirik/grounding-dino``) as a text-prompt `Detector`.

What is sent and what comes back (the schema of the pinned version, verified from the model's
public cog source and published outputs):

- input ``image`` (the frame, uploaded as a lossless PNG), ``query`` (the items joined by
  ``" . "``: Grounding DINO treats ``.`` — not ``,`` — as the boundary between phrases),
  ``box_threshold`` and ``text_threshold`` (``[0, 1]``; the model's defaults are 0.25 and 0.25),
  ``show_visualisation`` (sent ``false``: no annotated picture is made or downloaded);
- output ``{"detections": [{"label", "confidence", "bbox": [x1, y1, x2, y2]}], "result_image"}``:
  ``bbox`` in integer pixels of the uploaded image, not clamped (clipped here), no
  non-maximum suppression; ``label`` is the lower-cased words that scored, not the query item
  (mapped back with [`map_label`][sam2_autotrack.prompts.map_label]).

It runs through the same [`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient] as
the backend (journaled: a re-run resumes instead of paying again).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack._options import Options
from sam2_autotrack.backends.replicate.client import ReplicateClient
from sam2_autotrack.errors import ConfigError, MaskError, PredictionError
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.prompts.detector import Detection
from sam2_autotrack.prompts.text import map_label

__all__ = [
    "GROUNDING_DINO_MODEL",
    "GROUNDING_DINO_VERSION",
    "GroundingDinoDetector",
    "GroundingDinoOptions",
    "detection_query",
    "parse_detections",
]

GROUNDING_DINO_MODEL = "adirik/grounding-dino"
"""The hosted open-vocabulary detector behind text prompts."""
GROUNDING_DINO_VERSION = "efd10a8ddc57ea28773327e881ce95e20cc1d734c589f7dd01d2036921ed78aa"
"""Pinned version of ``adirik/grounding-dino`` (override with ``GroundingDinoOptions``)."""

_INPUT_DIR = "replicate_inputs"
_PHRASE_SEPARATOR = " . "


class GroundingDinoOptions(Options):
    """Which Grounding DINO to run, and its two thresholds.

    Attributes
    ----------
    model, version
        ``adirik/grounding-dino`` and its 64-hex version id (pinned by default).
    box_threshold
        A box is kept when its best text-token score exceeds this (default 0.35, Grounded-SAM's
        value; the hosted model's own default of 0.25 keeps more, looser boxes).
    text_threshold
        A word enters a box's label when it scores above this (default 0.25, the model's).

    Examples
    --------
    >>> GroundingDinoOptions(box_threshold=0.4).text_threshold
    0.25
    >>> GroundingDinoOptions(box_threshold=1.5)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid GroundingDinoOptions: box_threshold=1.5: must be ...
    """

    model: str = GROUNDING_DINO_MODEL
    version: str = GROUNDING_DINO_VERSION
    box_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.35
    text_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25

    @field_validator("version")
    @classmethod
    def _version_id(cls, value: str) -> str:
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError(
                "must be a model version id (64 hex digits, from the model's Versions tab on "
                "replicate.com), not a name or a tag"
            )
        return value


def detection_query(queries: Sequence[str]) -> str:
    """Join query items the way Grounding DINO reads separate phrases: ``"person . dog"``.

    Examples
    --------
    >>> detection_query(["person", "traffic light"])
    'person . traffic light'
    """
    items = [" ".join(q.replace(".", " ").split()) for q in queries]
    return _PHRASE_SEPARATOR.join(item for item in items if item)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_detections(
    output: Any,
    *,
    queries: Sequence[str],
    resolution_wh: tuple[int, int],
    prediction_id: str | None = None,
) -> tuple[Detection, ...]:
    """Read ``adirik/grounding-dino``'s output into detections mapped to ``queries``.

    Boxes are clipped to the image (the model does not clamp them); a box with no area left is
    dropped. Each label is mapped to a query item with
    [`map_label`][sam2_autotrack.prompts.map_label] (``None`` when none fits).

    Raises
    ------
    PredictionError
        The output is not ``{"detections": [{"label", "confidence", "bbox"}, ...]}``.

    Examples
    --------
    >>> out = {"detections": [{"label": "pink mug", "confidence": 0.81, "bbox": [19, 204, 408,
    ...         563]}], "result_image": None}
    >>> [d.query for d in parse_detections(out, queries=["a pink mug"], resolution_wh=(1080, 721))]
    ['a pink mug']
    """
    where = f"prediction {prediction_id}" if prediction_id else "the prediction"

    def malformed(detail: str) -> PredictionError:
        return PredictionError(
            f"{GROUNDING_DINO_MODEL} answered {where} with an unexpected output ({detail}); "
            "expected {'detections': [{'label', 'confidence', 'bbox': [x1, y1, x2, y2]}]} — "
            "is the version one of adirik/grounding-dino's?",
            prediction_id=prediction_id,
            status="succeeded",
        )

    if not isinstance(output, Mapping) or not isinstance(output.get("detections"), list):
        raise malformed(f"got {str(output)[:120]}")
    width, height = resolution_wh
    found = []
    for index, item in enumerate(output["detections"]):
        if not isinstance(item, Mapping):
            raise malformed(f"detection {index} is {str(item)[:60]}")
        bbox = item.get("bbox")
        label = item.get("label")
        confidence = _number(item.get("confidence"))
        box = [_number(v) for v in bbox] if isinstance(bbox, list) and len(bbox) == 4 else None
        if box is None or any(v is None for v in box) or not isinstance(label, str):
            raise malformed(f"detection {index} is {str(item)[:120]}")
        if confidence is None or not 0.0 <= confidence <= 1.0:
            raise malformed(f"detection {index} has confidence {item.get('confidence')!r}")
        x0, y0, x1, y1 = (float(v) for v in box if v is not None)
        clipped = (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))
        if clipped[0] >= clipped[2] or clipped[1] >= clipped[3]:
            continue
        found.append(Detection(clipped, confidence, label, query=map_label(label, queries)))
    return tuple(found)


class GroundingDinoDetector:
    """Text prompts through Grounding DINO on Replicate: boxes for query items.

    Parameters
    ----------
    options
        [`GroundingDinoOptions`][sam2_autotrack.backends.replicate.GroundingDinoOptions] (or a dict
        of its fields): version and thresholds.
    client
        A shared [`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient] (e.g. the
        backend's); then ``api_token``, ``base_url`` and ``transport`` may not be given.
    api_token, base_url, transport
        Settings of the client built otherwise (token from ``$REPLICATE_API_TOKEN``, checked
        before anything is uploaded).
    resume
        Reuse a journaled prediction with the same image, query and thresholds.

    Examples
    --------
    >>> detector = GroundingDinoDetector(api_token="r8_example", options={"box_threshold": 0.3})
    >>> detector.describe()["box_threshold"], detector.describe()["model"]
    (0.3, 'adirik/grounding-dino')
    """

    def __init__(
        self,
        options: GroundingDinoOptions | dict[str, Any] | None = None,
        *,
        client: ReplicateClient | None = None,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        resume: bool = True,
    ) -> None:
        self.options: GroundingDinoOptions = (
            GroundingDinoOptions.coerce(options) or GroundingDinoOptions()
        )
        if not isinstance(resume, bool):
            raise ConfigError(
                f"invalid GroundingDinoDetector: resume={resume!r}: must be True or False"
            )
        if client is not None:
            given = [
                name
                for name, value in (
                    ("api_token", api_token),
                    ("base_url", base_url),
                    ("transport", transport),
                )
                if value is not None
            ]
            if given:
                raise ConfigError(
                    f"invalid GroundingDinoDetector: client= was given together with "
                    f"{', '.join(given)}; configure the shared ReplicateClient instead"
                )
        self._owns_client = client is None
        self._client = client or ReplicateClient(
            api_token=api_token, base_url=base_url, transport=transport
        )
        self.resume = resume

    @property
    def name(self) -> str:
        """``"grounding-dino"``."""
        return "grounding-dino"

    @property
    def client(self) -> ReplicateClient:
        """The client the detector runs its predictions with."""
        return self._client

    def close(self) -> None:
        """Close the client's connections if the detector made the client (else nothing)."""
        if self._owns_client:
            self._client.close()

    def describe(self) -> dict[str, Any]:
        """Name, model, version and thresholds, for the run record (never the token).

        Returns
        -------
        dict[str, Any]
            A JSON-ready record.
        """
        return {"name": self.name, **self.options.model_dump(mode="json")}

    def inputs(self, queries: Sequence[str]) -> dict[str, Any]:
        """Return the JSON inputs of one prediction (the image goes as a file).

        Parameters
        ----------
        queries
            The query items, joined into Grounding DINO's ``"a . b"`` query.

        Returns
        -------
        dict[str, Any]
            The query and the box and text thresholds.

        Examples
        --------
        >>> GroundingDinoDetector(api_token="r8_example").inputs(["person", "dog"])["query"]
        'person . dog'
        """
        return {
            "query": detection_query(queries),
            "box_threshold": self.options.box_threshold,
            "text_threshold": self.options.text_threshold,
            "show_visualisation": False,
        }

    @contextlib.contextmanager
    def _work_dir(self, work_dir: Path | None) -> Iterator[tuple[Path, bool]]:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
            yield Path(work_dir), self.resume
            return
        with tempfile.TemporaryDirectory(prefix="sam2_autotrack_detector_") as tmp:
            yield Path(tmp), False

    def detect(
        self,
        image_rgb: NDArray[np.uint8],
        queries: Sequence[str],
        *,
        work_dir: Path | None = None,
    ) -> tuple[Detection, ...]:
        """Find ``queries`` in ``image_rgb`` with one ``adirik/grounding-dino`` prediction.

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB frame (uploaded as a lossless PNG, so boxes are in its
            pixels: no EXIF rotation can intervene).
        queries
            The query items (``Prompts.text``).
        work_dir
            Holds the journal and the uploaded image (a temporary folder when ``None``: then
            nothing is resumed).

        Returns
        -------
        tuple of Detection
            In the model's order, each mapped to its query item (``None`` when none fits).

        Raises
        ------
        MissingTokenError
            No Replicate token: before anything is uploaded.
        PredictionError
            The prediction failed, or its output is not Grounding DINO's.
        ConfigError
            No query item.
        MaskError
            The image cannot be encoded as PNG (not ``(H, W, 3)`` uint8).
        """
        if not queries:
            raise ConfigError("detect() needs at least one query item, e.g. ['person', 'dog']")
        image = as_rgb_image(image_rgb)
        height, width = image.shape[:2]
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise MaskError("could not encode the image as PNG; pass an (H, W, 3) uint8 array")
        data = encoded.tobytes()
        with self._work_dir(work_dir) as (root, resume):
            path = root / _INPUT_DIR / f"image_{hashlib.sha256(data).hexdigest()[:16]}.png"
            if not path.exists():
                write_bytes_atomic(path, data)
            result = self._client.run(
                self.options.version,
                self.inputs(queries),
                files={"image": path},
                work_dir=root,
                select_outputs=lambda _output: [],
                resume=resume,
            )
        return parse_detections(
            result.output,
            queries=queries,
            resolution_wh=(width, height),
            prediction_id=result.prediction_id,
        )
