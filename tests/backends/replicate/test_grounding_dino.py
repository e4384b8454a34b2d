"""Grounding DINO on Replicate: what is sent, what is read back, and the fake that answers it.

The detector talks to ``tests/fake_replicate.py``, whose ``adirik/grounding-dino`` follows the
model's published schema (``tests/fake_grounding_dino.py``); the fake itself is checked with the
real ``replicate`` client, which also reads the version's schema.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import pytest
import replicate

from fake_grounding_dino import GDINO_MODEL, GDINO_VERSION
from fake_replicate import FakeReplicate, Scenario
from sam2_autotrack.backends.replicate import (
    GROUNDING_DINO_VERSION,
    GroundingDinoDetector,
    GroundingDinoOptions,
    ReplicateClient,
)
from sam2_autotrack.backends.replicate.detector import detection_query, parse_detections
from sam2_autotrack.errors import (
    ConfigError,
    MissingTokenError,
    PredictionError,
    PredictionFailedError,
    ReplicateAPIError,
)
from sam2_autotrack.prompts import Detector

W, H = 160, 96
RED, BLUE, GREEN = (0, 0, 230), (230, 60, 0), (0, 200, 0)  # BGR


def _image_bgr() -> np.ndarray:
    image = np.full((H, W, 3), 40, np.uint8)
    image[10:30, 10:32] = RED
    image[40:60, 100:120] = BLUE
    yy, xx = np.ogrid[:H, :W]
    image[(yy - 75) ** 2 + (xx - 55) ** 2 <= 12**2] = GREEN  # a disc: a lower confidence
    return image


def _rgb() -> np.ndarray:
    return cv2.cvtColor(_image_bgr(), cv2.COLOR_BGR2RGB)


def _detector(**options: object) -> GroundingDinoDetector:
    client = ReplicateClient(limits={"poll_interval": 0.01}, retries={"backoff_base": 0.01},
                             timeouts={"prediction": 20.0})  # fmt: skip
    return GroundingDinoDetector(options or None, client=client)  # type: ignore[arg-type]


@pytest.fixture
def server(fake_replicate: FakeReplicate) -> FakeReplicate:
    fake_replicate.grounding_dino.vocabulary = {"person": RED, "dog": BLUE, "traffic light": GREEN}
    return fake_replicate


@pytest.fixture
def sdk(server: FakeReplicate) -> Iterator[replicate.Client]:
    """Return the real ``replicate`` client, pointed at the fake (closed afterwards)."""
    client = replicate.Client(api_token=server.token, base_url=server.url)
    yield client
    client._client.close()


def test_the_detector_sends_the_models_inputs_and_maps_its_labels(
    server: FakeReplicate, tmp_path: Path
) -> None:
    detections = _detector().detect(_rgb(), ["A Person", "dog", "traffic light"], work_dir=tmp_path)
    [prediction] = server.predictions.values()
    assert prediction.version == GROUNDING_DINO_VERSION == GDINO_VERSION
    assert prediction.model == GDINO_MODEL
    sent = dict(prediction.input)
    assert sent.pop("image").startswith(f"{server.url}/v1/files/")
    assert sent == {
        "query": "A Person . dog . traffic light",
        "box_threshold": 0.35,
        "text_threshold": 0.25,
        "show_visualisation": False,
    }
    # the image went up as a lossless PNG of the frame
    (_name, content_type, data) = next(iter(server.files.values()))
    assert content_type == "image/png"
    assert (cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) == _image_bgr()).all()
    # labels come back as the model decodes them (lower case, no article) and are mapped back
    found = {(d.label, d.query, d.box_xyxy) for d in detections}
    assert found == {
        ("person", "A Person", (10.0, 10.0, 32.0, 30.0)),
        ("dog", "dog", (100.0, 40.0, 120.0, 60.0)),
        ("traffic light", "traffic light", (43.0, 63.0, 68.0, 88.0)),
    }
    assert all(0.35 < d.confidence <= 1.0 for d in detections)
    assert isinstance(_detector(), Detector)


def test_box_threshold_filters_and_text_threshold_empties_labels(
    server: FakeReplicate, tmp_path: Path
) -> None:
    strict = _detector(box_threshold=0.9).detect(_rgb(), ["person", "traffic light"])
    assert [d.query for d in strict] == ["person"], "the disc's box scores below 0.9"
    blank = _detector(text_threshold=0.99).detect(_rgb(), ["person"])
    assert [(d.label, d.query) for d in blank] == [("", None)], "no word scored: no query item"


def test_a_rerun_resumes_instead_of_paying_again(server: FakeReplicate, tmp_path: Path) -> None:
    first = _detector().detect(_rgb(), ["person"], work_dir=tmp_path)
    second = _detector().detect(_rgb(), ["person"], work_dir=tmp_path)
    assert server.creates == 1
    assert first == second
    _detector().detect(_rgb(), ["dog"], work_dir=tmp_path)
    assert server.creates == 2, "another query is another prediction"


def test_no_token_fails_before_anything_is_uploaded(
    server: FakeReplicate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    with pytest.raises(MissingTokenError, match="REPLICATE_API_TOKEN"):
        GroundingDinoDetector().detect(_rgb(), ["person"])
    assert server.uploads == 0
    assert server.create_attempts == 0


def test_a_failed_prediction_is_a_typed_error(server: FakeReplicate) -> None:
    server.scenario = Scenario(final="failed", error="CUDA out of memory")
    with pytest.raises(PredictionFailedError, match="CUDA out of memory"):
        _detector().detect(_rgb(), ["person"])


def test_options_and_construction_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"box_threshold=1\.5"):
        GroundingDinoOptions(box_threshold=1.5)
    with pytest.raises(ConfigError, match="64 hex digits"):
        GroundingDinoOptions(version="latest")
    with pytest.raises(ConfigError, match="client= was given together with api_token"):
        GroundingDinoDetector(client=ReplicateClient(api_token="x"), api_token="y")
    with pytest.raises(ConfigError, match="resume="):
        GroundingDinoDetector(resume="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least one query item"):
        GroundingDinoDetector(api_token="x").detect(_rgb(), [])
    detector = GroundingDinoDetector(api_token="r8_secret", options={"text_threshold": 0.3})
    assert detector.describe() == {
        "name": "grounding-dino",
        "model": "adirik/grounding-dino",
        "version": GROUNDING_DINO_VERSION,
        "box_threshold": 0.35,
        "text_threshold": 0.3,
    }


def test_the_detector_closes_only_a_client_it_made(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    shared = ReplicateClient(api_token="x")
    monkeypatch.setattr(shared, "close", lambda: closed.append("shared"))
    GroundingDinoDetector(client=shared).close()
    assert closed == []
    own = GroundingDinoDetector(api_token="x")
    monkeypatch.setattr(own.client, "close", lambda: closed.append("own"))
    own.close()
    assert closed == ["own"]


def test_detection_query_joins_items_as_separate_phrases() -> None:
    assert detection_query(["person", "dog"]) == "person . dog"
    assert detection_query(["Mr. Smith", "  traffic   light "]) == "Mr Smith . traffic light"


def test_parse_detections_clips_boxes_and_refuses_malformed_outputs() -> None:
    out = {
        "detections": [
            {"label": "dog", "confidence": 0.5, "bbox": [-3, 5, 170, 100]},  # not clamped
            {"label": "dog", "confidence": 0.4, "bbox": [161, 5, 170, 20]},  # wholly outside
        ],
        "result_image": None,
    }
    [only] = parse_detections(out, queries=["dog"], resolution_wh=(W, H))
    assert only.box_xyxy == (0.0, 5.0, float(W), float(H))
    assert parse_detections({"detections": []}, queries=["dog"], resolution_wh=(W, H)) == ()
    for bad in (
        None,
        [],
        {"detections": None},
        {"detections": ["dog"]},
        {"detections": [{"label": "dog", "confidence": 0.5, "bbox": [1, 2, 3]}]},
        {"detections": [{"label": "dog", "confidence": math.nan, "bbox": [1, 2, 3, 4]}]},
        {"detections": [{"label": "dog", "confidence": True, "bbox": [1, 2, 3, 4]}]},
        {"detections": [{"label": "dog", "confidence": 1.5, "bbox": [1, 2, 3, 4]}]},
        {"detections": [{"label": 7, "confidence": 0.5, "bbox": [1, 2, 3, 4]}]},
        {"detections": [{"label": "dog", "confidence": 0.5, "bbox": [1, "2", 3, 4]}]},
    ):
        with pytest.raises(PredictionError, match="unexpected output"):
            parse_detections(bad, queries=["dog"], resolution_wh=(W, H), prediction_id="p1")


# -- the fake itself, through the real replicate client -------------------------------------------


def test_the_fake_answers_the_replicate_sdk_like_the_model(
    server: FakeReplicate, sdk: replicate.Client, tmp_path: Path
) -> None:
    path = tmp_path / "image.png"
    cv2.imwrite(str(path), _image_bgr())
    with path.open("rb") as image:
        output = sdk.run(
            f"{GDINO_MODEL}:{GDINO_VERSION}",
            input={"image": image, "query": "a person. Traffic-Light"},
        )
    # the SDK read the version's schema after creating the prediction
    paths = [p for method, p, _ in server.requests if method == "GET"]
    assert f"/v1/models/{GDINO_MODEL}/versions/{GDINO_VERSION}" in paths
    assert set(output) == {"detections", "result_image"}
    by_label = {d["label"]: d for d in output["detections"]}
    assert set(by_label) == {"person", "traffic - light"}, "lower case, article dropped, spaced"
    person = by_label["person"]
    assert person["bbox"] == [10, 10, 32, 30]
    assert all(type(v) is int for v in person["bbox"])
    assert isinstance(person["confidence"], float)
    assert isinstance(output["result_image"], str)  # http:// here; replicate.delivery is https


def test_the_fake_merges_comma_separated_items_into_one_phrase(
    server: FakeReplicate, sdk: replicate.Client
) -> None:
    ok, png = cv2.imencode(".png", _image_bgr())
    assert ok
    output = sdk.run(
        f"{GDINO_MODEL}:{GDINO_VERSION}",
        input={
            "image": BytesIO(png.tobytes()),
            "query": "person, dog",
            "show_visualisation": False,
        },
    )
    assert {d["label"] for d in output["detections"]} == {"person, dog"}
    assert output["result_image"] is None


def test_the_fake_serves_the_version_and_model_documents(
    server: FakeReplicate, sdk: replicate.Client
) -> None:
    version = sdk.models.get(GDINO_MODEL).versions.get(GDINO_VERSION)
    inputs = version.openapi_schema["components"]["schemas"]["Input"]["properties"]
    assert list(inputs) == [
        "image",
        "query",
        "box_threshold",
        "text_threshold",
        "show_visualisation",
    ]
    assert inputs["box_threshold"]["default"] == 0.25
    assert inputs["show_visualisation"]["default"] is True
    model = sdk.models.get(GDINO_MODEL)
    assert model.latest_version is not None
    assert model.latest_version.id == GDINO_VERSION


def test_the_fake_validates_inputs_like_replicate(server: FakeReplicate, tmp_path: Path) -> None:
    image = tmp_path / "image.png"
    cv2.imwrite(str(image), _image_bgr())
    files = {"image": image}
    with ReplicateClient(limits={"poll_interval": 0.01}, retries={"backoff_base": 0.01}) as client:
        with pytest.raises(ReplicateAPIError, match="box_threshold: Must be less than or equal"):
            client.run(GDINO_VERSION, {"query": "dog", "box_threshold": 1.5}, files=files,
                       work_dir=tmp_path, select_outputs=lambda _o: [])  # fmt: skip
        with pytest.raises(ReplicateAPIError, match="Additional property prompt is not allowed"):
            client.run(GDINO_VERSION, {"prompt": "dog"}, files=files, work_dir=tmp_path,
                       select_outputs=lambda _o: [])  # fmt: skip
        # no query: created (the schema requires nothing), then the model fails like the real one
        with pytest.raises(PredictionFailedError, match="AttributeError"):
            client.run(GDINO_VERSION, {}, files=files, work_dir=tmp_path,
                       select_outputs=lambda _o: [])  # fmt: skip
    assert server.creates == 1, "only the prediction without a query was created"
