"""ReplicateBackend end to end on the fake server: proposals, tracking, strategies, describe."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import CLICKS, H, T, W, fast_backend, iou, make_clip
from sam2_autotrack import Click, ClickSet, MaskError
from sam2_autotrack.backends.replicate.models import SAM2_IMAGE_VERSION, SAM2_VIDEO_VERSION


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "clip.avi"
    return path, make_clip(path)


def test_propose_decodes_individual_masks(fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 5:25] = (255, 0, 0)
    image[20:40, 40:70] = (0, 255, 0)
    proposals = fast_backend().propose(image, work_dir=tmp_path)
    assert proposals.masks.shape[1:] == (H, W)
    expected = [image[..., 0] == 255, image[..., 1] == 255]
    for truth in expected:
        assert any((mask == truth).all() for mask in proposals.masks)
    # starting -> processing -> succeeded, one create, one upload of a lossless PNG
    assert fake_replicate.creates == 1
    assert fake_replicate.gets >= 2
    created = fake_replicate.predictions[proposals.prediction_id or ""]
    assert created.version == SAM2_IMAGE_VERSION
    assert created.input["use_m2m"] is True
    (_name, content_type, data) = next(iter(fake_replicate.files.values()))
    assert content_type == "image/png"
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), 1), cv2.COLOR_BGR2RGB)
    assert (decoded == image).all()


@pytest.mark.parametrize("strategy", ["split", "separate"])
def test_track_matches_truth(
    fake_replicate: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    strategy: str,
) -> None:
    path, truth = clip
    tracks = fast_backend(per_object=strategy, video_inputs={"output_frame_interval": 3}).track(
        path, CLICKS, work_dir=tmp_path / "work"
    )
    assert list(tracks.frame_indices) == [0, 3, 6, 9]
    assert tracks.frame_count == T
    for oid in ("a", "b"):
        assert (tracks.masks[oid] == truth[oid][::3]).all()
    assert fake_replicate.creates == (2 if strategy == "separate" else 1)
    assert len(tracks.prediction_ids) == fake_replicate.creates
    assert tracks.predict_time == pytest.approx(1.25 * fake_replicate.creates)
    prediction = fake_replicate.predictions[tracks.prediction_ids[0]]
    assert prediction.version == SAM2_VIDEO_VERSION
    assert prediction.input["output_format"] == "png"
    assert prediction.input["output_video"] is False
    # the ORIGINAL file was uploaded byte for byte
    uploaded = {data for _, _, data in fake_replicate.files.values()}
    assert path.read_bytes() in uploaded


def test_split_on_touching_objects_is_close_to_truth(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    path = tmp_path / "touch.avi"
    truth = make_clip(path, touching=True)
    clicks = ClickSet.build(
        [Click(x=10, y=15, object_id="a"), Click(x=67, y=20, object_id="b")], resolution_wh=(W, H)
    )
    tracks = fast_backend().track(path, clicks, work_dir=tmp_path / "work")
    scores = {
        oid: np.mean([iou(m, g) for m, g in zip(tracks.masks[oid], truth[oid], strict=True)])
        for oid in ("a", "b")
    }
    assert min(scores.values()) > 0.8, scores
    union = truth["a"] | truth["b"]
    a, b = tracks.masks["a"].to_array(), tracks.masks["b"].to_array()
    assert ((a | b) == union).all()
    assert not (a & b).any()


def test_separate_strategy_ctrl_c_cancels_every_object(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    fake_replicate.scenario.hang = True

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "predict" and len(fake_replicate.predictions) == 2 and done >= 3:
            raise KeyboardInterrupt

    # the hook runs in the worker threads: the failure stops the sibling, which cancels too
    with pytest.raises(KeyboardInterrupt):
        fast_backend(per_object="separate").track(
            clip[0], CLICKS, work_dir=tmp_path, progress=progress
        )
    assert sorted(set(fake_replicate.cancels)) == sorted(fake_replicate.predictions)


def test_token_is_sent_as_bearer_and_never_described(fake_replicate: FakeReplicate) -> None:
    b = fast_backend(api_token=fake_replicate.token)
    b.propose(np.zeros((H, W, 3), np.uint8))
    auth = {a for method, path, a in fake_replicate.requests if path.startswith("/v1/")}
    assert auth == {f"Bearer {fake_replicate.token}"}
    assert fake_replicate.token not in json.dumps(b.describe())


@pytest.mark.parametrize("bomb_wh", [(30000, 30000), (8000, 4800)])
def test_a_decompression_bomb_from_the_server_is_refused(
    fake_replicate: FakeReplicate, tmp_path: Path, bomb_wh: tuple[int, int]
) -> None:
    fake_replicate.scenario.mask_bomb_wh = bomb_wh  # 30000²: any aspect; 8000x4800: the frame's
    started = time.monotonic()
    with pytest.raises(MaskError, match=f"declares {bomb_wh[0]}x{bomb_wh[1]} pixels"):
        fast_backend().propose(np.zeros((H, W, 3), np.uint8), work_dir=tmp_path)
    assert time.monotonic() - started < 5
