"""A faithful fake of Replicate's ``adirik/grounding-dino`` for ``fake_replicate.FakeReplicate``.

What the real model does — read in its public cog source (github.com/replicate/cog-grounding-dino,
``predict.py``), the GroundingDINO commit that source pins (IDEA-Research/GroundingDINO
``60d79682``: ``util/inference.py``, ``util/utils.py``) and the model page's published output —
and what this fake does alike:

* inputs ``image`` (URI), ``query`` (string), ``box_threshold`` and ``text_threshold``
  (numbers in [0, 1], default 0.25) and ``show_visualisation`` (boolean, default true). The
  version's schema lists no input as required: a prediction without ``image`` or ``query`` is
  *created* and then fails (``AttributeError``), as the real one does. A threshold outside [0, 1]
  or of the wrong type is refused at create time with a 422, like Replicate's input validation.
  Unknown input keys are refused too (422) — stricter than Replicate may be (unverified), so a
  misspelt input fails a test instead of being ignored.
* the caption is ``query.lower().strip()`` with a ``.`` appended; ``.`` bounds phrases, ``,``
  does not (``"person, dog"`` is one phrase, and its labels merge words of both);
* output ``{"detections": [{"label", "confidence", "bbox"}], "result_image"}``: ``bbox`` is
  ``[x1, y1, x2, y2]`` integer pixels of the input image (edges: a region over columns
  ``10..29`` gives ``x1=10, x2=30``); ``confidence`` a float in ``(box_threshold, 1]``;
  ``label`` the lower-cased words of the phrase that scored — articles (``a``, ``an``, ``the``)
  never do, so ``"a pink mug"`` comes back ``"pink mug"`` — or ``""`` when ``text_threshold``
  is above the box's score; punctuation comes back spaced (``"traffic - light"``). No
  non-maximum suppression; no sort. ``result_image`` is a PNG URL, or ``null`` with
  ``show_visualisation=false`` (the key is always present).

What it "sees": every 8-connected region of one exact colour (like the fake ``meta/sam-2``). A
phrase detects the regions whose colour its words name in :attr:`FakeGroundingDino.vocabulary`
(``{"person": (B, G, R)}``; multi-word names such as ``"traffic light"`` too). A region's
confidence is ``0.3 + 0.65 * fill`` (fill = area / box area: 0.95 for a rectangle), so
``box_threshold`` filters as it does for real.

The SDK path is served too: ``GET /v1/models/adirik/grounding-dino`` (with ``latest_version``)
and ``GET /v1/models/adirik/grounding-dino/versions/{id}`` (``id``, ``created_at``,
``cog_version``, ``openapi_schema`` as regenerated from the cog source), which
``replicate.run("adirik/grounding-dino:<version>", ...)`` reads after creating the prediction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

GDINO_MODEL = "adirik/grounding-dino"
GDINO_VERSION = "efd10a8ddc57ea28773327e881ce95e20cc1d734c589f7dd01d2036921ed78aa"
GDINO_CREATED_AT = "2023-10-26T12:00:00.000000Z"  # the cog repo's date; the real one is unverified
GDINO_COG_VERSION = "0.8.6"  # a cog release of that month; the real one is unverified

_INPUTS = ("image", "query", "box_threshold", "text_threshold", "show_visualisation")
_ARTICLES = frozenset({"a", "an", "the"})
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def openapi_schema() -> dict[str, Any]:
    """Return the version's ``openapi_schema`` (components as cog 0.8/0.9 make them)."""
    text = {"type": "string"}
    threshold = {
        "description": "Confidence level for object detection",
        "default": 0.25,
        "minimum": 0,
        "maximum": 1,
        "type": "number",
    }
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {
                "Input": {
                    "title": "Input",
                    "type": "object",
                    "properties": {
                        "image": {
                            "title": "Image",
                            "description": "Input image to query",
                            "x-order": 0,
                            "type": "string",
                            "format": "uri",
                        },
                        "query": {
                            "title": "Query",
                            "description": "Comma seperated names of the objects to be detected "
                            "in the image",
                            "x-order": 1,
                            **text,
                        },
                        "box_threshold": {"title": "Box Threshold", **threshold, "x-order": 2},
                        "text_threshold": {"title": "Text Threshold", **threshold, "x-order": 3},
                        "show_visualisation": {
                            "title": "Show Visualisation",
                            "description": "Draw and visualize bounding boxes on the image",
                            "default": True,
                            "x-order": 4,
                            "type": "boolean",
                        },
                    },
                },
                "Output": {"title": "Output", "$ref": "#/components/schemas/ModelOutput"},
                "ModelOutput": {
                    "title": "ModelOutput",
                    "type": "object",
                    "properties": {
                        "detections": {"title": "Detections", "type": "array", "items": {}},
                        "result_image": {
                            "title": "Result Image",
                            "type": "string",
                            "format": "uri",
                        },
                    },
                    "required": ["detections"],
                },
            }
        },
    }


def version_json(base_url: str) -> dict[str, Any]:
    """``GET /v1/models/adirik/grounding-dino/versions/{id}``."""
    del base_url
    return {
        "id": GDINO_VERSION,
        "created_at": GDINO_CREATED_AT,
        "cog_version": GDINO_COG_VERSION,
        "openapi_schema": openapi_schema(),
    }


def model_json(base_url: str) -> dict[str, Any]:
    """``GET /v1/models/adirik/grounding-dino``."""
    return {
        "url": "https://replicate.com/adirik/grounding-dino",
        "owner": "adirik",
        "name": "grounding-dino",
        "description": "Detect everything with language!",
        "visibility": "public",
        "github_url": "https://github.com/replicate/cog-grounding-dino",
        "paper_url": "https://arxiv.org/abs/2303.05499",
        "license_url": None,
        "run_count": 1,
        "cover_image_url": None,
        "default_example": None,
        "latest_version": version_json(base_url),
    }


def validation_errors(inputs: dict[str, Any]) -> list[str]:
    """Return what Replicate's schema validation refuses at create time (a 422)."""
    errors = [
        f"input: Additional property {key} is not allowed" for key in inputs if key not in _INPUTS
    ]
    for key in ("box_threshold", "text_threshold"):
        if key in inputs:
            value = inputs[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(
                    f"input.{key}: Invalid type. Expected: number, given: {type(value).__name__}"
                )
            elif not 0 <= value <= 1:
                bound = "greater than or equal to 0" if value < 0 else "less than or equal to 1"
                errors.append(f"input.{key}: Must be {bound}")
    for key, kind in (("query", str), ("image", str)):
        if key in inputs and not isinstance(inputs[key], kind):
            errors.append(f"input.{key}: Invalid type. Expected: string")
    if "show_visualisation" in inputs and not isinstance(inputs["show_visualisation"], bool):
        errors.append("input.show_visualisation: Invalid type. Expected: boolean")
    return errors


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _decoded(tokens: list[str]) -> str:
    """Join tokens as BERT's ``decode`` does: spaced, but no space before ``, . ! ?``."""
    return re.sub(r" ([,.!?])", r"\1", " ".join(tokens))


def _contains(tokens: list[str], name: list[str]) -> bool:
    return any(tokens[i : i + len(name)] == name for i in range(len(tokens) - len(name) + 1))


def _regions(image_bgr: np.ndarray, min_area: int) -> list[tuple[tuple[int, int, int], np.ndarray]]:
    flat = image_bgr.reshape(-1, 3)
    colours, inverse = np.unique(flat, axis=0, return_inverse=True)
    inverse = inverse.reshape(image_bgr.shape[:2])
    found = []
    for index, colour in enumerate(colours):
        count, labels = cv2.connectedComponents((inverse == index).astype(np.uint8), connectivity=8)
        for label in range(1, count):
            region = labels == label
            if int(region.sum()) >= min_area:
                found.append((tuple(int(c) for c in colour), region))
    return found


@dataclass
class FakeGroundingDino:
    """The model. Tests set :attr:`vocabulary` (word → BGR colour of the regions it names)."""

    vocabulary: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    min_area: int = 16
    queries: list[str] = field(default_factory=list)
    """Every ``query`` received, in order."""

    def predict(
        self,
        inputs: dict[str, Any],
        read_image: Callable[[str], bytes],
        put_output: Callable[[str, bytes], str],
    ) -> dict[str, Any]:
        """Run one prediction: the output JSON (raises ``AttributeError`` like the model)."""
        image_uri = inputs.get("image")
        query = inputs.get("query")
        if image_uri is None:
            raise AttributeError("'NoneType' object has no attribute 'read'")
        if query is None:
            raise AttributeError("'NoneType' object has no attribute 'lower'")
        self.queries.append(query)
        box_threshold = float(inputs.get("box_threshold", 0.25))
        text_threshold = float(inputs.get("text_threshold", 0.25))
        data = read_image(str(image_uri))
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise OSError("cannot identify image file")
        caption = query.lower().strip()
        if not caption.endswith("."):
            caption += "."
        regions = _regions(image, self.min_area)
        names = {
            word: [t for t in _tokens(word.lower()) if t.isalnum()] for word in self.vocabulary
        }
        detections = []
        for phrase in caption.split("."):
            tokens = _tokens(phrase)
            spoken = [t for t in tokens if t.isalnum()]  # "traffic-light" names a traffic light
            named = [w for w, name in names.items() if name and _contains(spoken, name)]
            if not named:
                continue
            # The words that score: the phrase's, articles never (merged when several name things).
            label_tokens = [t for t in tokens if t not in _ARTICLES]
            for word in named:
                for colour, region in regions:
                    if colour != self.vocabulary[word]:
                        continue
                    ys, xs = np.nonzero(region)
                    x1, y1, x2, y2 = (
                        int(xs.min()),
                        int(ys.min()),
                        int(xs.max()) + 1,
                        int(ys.max()) + 1,
                    )
                    fill = region.sum() / float((x2 - x1) * (y2 - y1))
                    confidence = float(np.float32(0.3 + 0.65 * fill))
                    if confidence <= box_threshold:
                        continue
                    label = _decoded(label_tokens) if confidence > text_threshold else ""
                    detections.append(
                        {"label": label, "confidence": confidence, "bbox": [x1, y1, x2, y2]}
                    )
        result_image = None
        if inputs.get("show_visualisation", True):
            picture = image.copy()
            for d in detections:
                x1, y1, x2, y2 = d["bbox"]
                cv2.rectangle(picture, (x1, y1), (x2 - 1, y2 - 1), (0, 0, 255), 1)
            ok, png = cv2.imencode(".png", picture)
            assert ok
            result_image = put_output("result.png", png.tobytes())
        return {"detections": detections, "result_image": result_image}
