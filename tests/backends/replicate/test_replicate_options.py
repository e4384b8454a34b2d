"""The Replicate client and backend options: validated at construction, accepted as dicts."""

from __future__ import annotations

from typing import Any

import pytest

from sam2_autotrack.backends.replicate import (
    ImageModelInputs,
    Limits,
    ModelVersions,
    ReplicateBackend,
    ReplicateClient,
    Retries,
    Timeouts,
    UploadOptions,
    VideoModelInputs,
)
from sam2_autotrack.errors import ConfigError


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"video_inputs": {"output_frame_interval": 0}}, "output_frame_interval"),
        ({"image_inputs": {"pred_iou_thresh": 1.5}}, "pred_iou_thresh"),
        ({"image_inputs": {"use_m2m": 1}}, "use_m2m"),
        ({"video_inputs": {"mask_type": "highlighted"}}, "mask_type"),
        ({"per_object": "both"}, "per_object"),
        ({"timeouts": {"prediction": 0}}, "prediction"),
    ],
)
def test_invalid_options_raise_at_construction(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        ReplicateBackend(**options)


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: ImageModelInputs(pred_iou_thresh=2), "pred_iou_thresh=2"),
        (lambda: ImageModelInputs(points_per_side=0), "points_per_side=0"),
        (lambda: VideoModelInputs(output_quality=101), "output_quality=101"),
        (lambda: VideoModelInputs(output_format="gif"), "output_format='gif'"),
        (lambda: Timeouts(read=-1), "read=-1"),
        (lambda: Timeouts(request=float("inf")), "request=inf"),
        (lambda: Retries(max_retries=-1), "max_retries=-1"),
        (lambda: Retries(max_retries=2.5), "max_retries=2.5"),
        (lambda: Limits(download_concurrency=0), "download_concurrency=0"),
        (lambda: Limits(poll_interval=6.0), "max_poll_interval=5.0: must be >= poll_interval"),
        (lambda: UploadOptions(max_side=1), "max_side=1"),
        (lambda: ModelVersions(video_version="meta/sam-2-video"), "video_version"),
        (lambda: Timeouts(reed=1), "reed: unknown option"),
    ],
)
def test_each_option_object_names_the_bad_value(build: Any, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")) as info:
        build()
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_dicts_and_objects_are_equivalent() -> None:
    from_dicts = ReplicateBackend(
        api_token="r8_x",
        image_inputs={"use_m2m": False},
        video_inputs={"output_frame_interval": 2},
        upload={"max_side": 720},
        timeouts={"prediction": 60},
        retries={"max_retries": 1},
        limits={"download_concurrency": 2},
        models={"image_version": "0" * 64},
    )
    from_objects = ReplicateBackend(
        api_token="r8_x",
        image_inputs=ImageModelInputs(use_m2m=False),
        video_inputs=VideoModelInputs(output_frame_interval=2),
        upload=UploadOptions(max_side=720),
        timeouts=Timeouts(prediction=60),
        retries=Retries(max_retries=1),
        limits=Limits(download_concurrency=2),
        models=ModelVersions(image_version="0" * 64),
    )
    assert from_dicts.describe() == from_objects.describe()
    described = from_dicts.describe()
    assert described["image_inputs"]["use_m2m"] is False
    assert described["timeouts"]["prediction"] == 60.0
    assert described["limits"]["download_concurrency"] == 2
    assert described["models"]["image_version"] == "0" * 64


def test_wrong_option_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="expected Timeouts"):
        ReplicateBackend(timeouts=30)  # type: ignore[arg-type]


def test_a_shared_client_excludes_client_settings() -> None:
    client = ReplicateClient(api_token="r8_x", timeouts={"prediction": 5})
    backend = ReplicateBackend(client=client)
    assert backend.client is client
    assert backend.describe()["timeouts"]["prediction"] == 5.0
    with pytest.raises(ConfigError, match="timeouts"):
        ReplicateBackend(client=client, timeouts={"prediction": 9})


def test_base_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATE_BASE_URL", raising=False)
    assert ReplicateClient().base_url == "https://api.replicate.com"
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://env.test/")
    assert ReplicateClient().base_url == "http://env.test"
    assert ReplicateClient(base_url="http://arg.test").base_url == "http://arg.test"


def test_options_are_frozen() -> None:
    limits = Limits()
    with pytest.raises(ConfigError, match="frozen"):
        limits.poll_interval = 1.0  # type: ignore[misc]
    assert limits.replace(poll_interval=1.0).poll_interval == 1.0
    assert limits.poll_interval == 0.5
