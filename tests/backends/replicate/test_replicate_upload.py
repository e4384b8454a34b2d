"""Opt-in trim / downscale of the video uploaded to Replicate (real client, fake server)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from replicate_scenes import fast_backend
from sam2_autotrack import Click, ClickSet
from sam2_autotrack.backends.replicate.backend import ReplicateBackend
from sam2_autotrack.backends.replicate.upload import PreparedVideo, prepare_upload
from sam2_autotrack.errors import (
    ClickError,
    ConfigError,
    FFmpegError,
    MaskError,
    MaskSizeError,
)
from sam2_autotrack.video import count_frames, probe_video, read_frame

W, H, T = 160, 96, 12
BG = (30, 30, 30)
RED_BGR = (0, 0, 255)
BLUE_BGR = (255, 0, 0)


def make_clip(path: Path, *, frames: int = T) -> dict[str, np.ndarray]:
    """Two 32x32 flat-colour boxes (red 'a', blue 'b') moving in opposite directions (FFV1).

    Every edge is on a multiple of 4 pixels, so that after a 2x downscale the edges still sit on
    the 2x2 grid of yuv420p's half-resolution chroma: the fake model segments by colour, and a
    chroma edge between grid lines smears into a pixel it cannot classify (real SAM 2 looks at
    shapes, not at exact colours).
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    for t in range(frames):
        frame = np.full((H, W, 3), BG, np.uint8)
        a = np.zeros((H, W), bool)
        b = np.zeros((H, W), bool)
        a[16:48, 8 + 4 * t : 40 + 4 * t] = True
        b[56:88, 120 - 4 * t : 152 - 4 * t] = True
        frame[a] = RED_BGR
        frame[b] = BLUE_BGR
        writer.write(frame)
        truth["a"].append(a)
        truth["b"].append(b)
    writer.release()
    return {k: np.stack(v) for k, v in truth.items()}


def box_centre(mask: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.mean()), int(ys.mean())


def clicks_on(truth: dict[str, np.ndarray], frame: int) -> ClickSet:
    return ClickSet.build(
        [
            Click(x=x, y=y, frame=frame, object_id=oid)
            for oid in ("a", "b")
            for x, y in [box_centre(truth[oid][frame])]
        ],
        resolution_wh=(W, H),
    )


def backend(**options: Any) -> ReplicateBackend:
    return fast_backend(**options)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def uploaded_video(server: FakeReplicate, tmp_path: Path) -> Path:
    """Write the video the fake server received (the same for every object) to a file."""
    videos = {(n, d) for n, _, d in server.files.values() if n.startswith("input_video")}
    assert len(videos) == 1
    ((name, data),) = videos
    path = tmp_path / f"received_{name}"
    path.write_bytes(data)
    return path


def sent_clicks(server: FakeReplicate, prediction_id: str) -> ClickSet:
    inputs = server.predictions[prediction_id].input
    return ClickSet.from_replicate({k: inputs[k] for k in inputs if k.startswith("click_")})


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "clip.avi"
    return path, make_clip(path)


@pytest.fixture
def lossy(fake_replicate: FakeReplicate) -> FakeReplicate:
    """Return the fake server, tolerant of the colour error of a lossy re-encode.

    The fake model segments by colour; after a lossy re-encode, pixels beside a colour edge
    drift further than the default tolerance of 40 from the flat colour.
    """
    fake_replicate.scenario.colour_tolerance = 100
    return fake_replicate


@pytest.fixture
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any re-encode fail loudly: proves that nothing was re-encoded."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ffmpeg was run although nothing needed re-encoding")

    monkeypatch.setattr("sam2_autotrack.backends.replicate.upload.run_ffmpeg", refuse)


# -- no option: the original bytes -----------------------------------------------------------------


def test_without_options_the_original_bytes_are_uploaded(
    fake_replicate: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    no_ffmpeg: None,
) -> None:
    path, truth = clip
    tracks = backend().track(path, clicks_on(truth, 0), work_dir=tmp_path / "work")
    assert uploaded_video(fake_replicate, tmp_path).read_bytes() == path.read_bytes()
    assert tracks.info["upload"]["reencoded"] is False
    assert list(tracks.frame_indices) == list(range(T))
    assert (tracks.masks["a"] == truth["a"]).all()


def test_prepare_upload_without_options_returns_the_source(
    clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, no_ffmpeg: None
) -> None:
    path, _ = clip
    out = tmp_path / "prepared"
    for options in ({}, {"max_side": W}, {"max_side": 4000, "stop_frame": T + 5}):
        prepared = prepare_upload(path, out_dir=out, **options)
        assert prepared.path == path
        assert not prepared.reencoded
        assert (prepared.upload_wh, prepared.frame_count, prepared.start_frame) == ((W, H), T, 0)
    assert not out.exists()


# -- downscale -------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["split", "separate"])
def test_downscale_scales_clicks_and_restores_masks(
    lossy: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    strategy: str,
) -> None:
    path, truth = clip
    clicks = clicks_on(truth, 0)
    tracks = backend(upload={"max_side": W // 2}, per_object=strategy).track(
        path, clicks, work_dir=tmp_path / "work"
    )
    received = uploaded_video(lossy, tmp_path)
    assert received.stat().st_size < path.stat().st_size
    assert probe_video(received).resolution_wh == (W // 2, H // 2)
    small0 = cv2.cvtColor(read_frame(received, 0), cv2.COLOR_RGB2BGR).astype(int)
    for prediction_id in tracks.prediction_ids:
        received_clicks = sent_clicks(lossy, prediction_id)
        originals = [c for c in clicks if c.object_id in received_clicks.object_ids]
        for original, sent in zip(originals, received_clicks, strict=True):
            # halved (within rounding) and still on the object's colour in the upload
            assert abs(sent.x - original.x / 2) <= 1
            assert abs(sent.y - original.y / 2) <= 1
            colour = RED_BGR if sent.object_id == "a" else BLUE_BGR
            assert np.abs(small0[sent.y, sent.x] - colour).max() <= 40
    assert tracks.resolution_wh == (W, H)
    assert tracks.frame_count == T
    assert list(tracks.frame_indices) == list(range(T))
    for oid in ("a", "b"):
        scores = [iou(m, g) for m, g in zip(tracks.masks[oid], truth[oid], strict=True)]
        assert min(scores) >= 0.9, (oid, scores)


# -- trim ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [1, 2])
def test_trim_uploads_the_range_and_renumbers_frames(
    lossy: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    interval: int,
) -> None:
    path, truth = clip
    start, stop = 3, 9
    tracks = backend(
        upload={"start_frame": start, "stop_frame": stop},
        video_inputs={"output_frame_interval": interval},
    ).track(path, clicks_on(truth, start), work_dir=tmp_path / "work")
    received = uploaded_video(lossy, tmp_path)
    assert count_frames(received) == stop - start
    assert probe_video(received).resolution_wh == (W, H)
    (prediction_id,) = tracks.prediction_ids
    inputs = lossy.predictions[prediction_id].input
    assert inputs["click_frames"] == "0,0"
    # the clicks are unchanged in space (no downscale)
    assert inputs["click_coordinates"] == clicks_on(truth, start).to_replicate().click_coordinates
    expected = list(range(start, stop, interval))
    assert list(tracks.frame_indices) == expected
    assert tracks.frame_count == T
    for oid in ("a", "b"):
        for mask, index in zip(tracks.masks[oid], expected, strict=True):
            assert iou(mask, truth[oid][index]) >= 0.9


def test_trim_and_downscale_together(
    lossy: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    path, truth = clip
    clicks = ClickSet.build(
        [
            Click(x=box_centre(truth["a"][2])[0], y=30, frame=2, object_id="a"),
            Click(x=box_centre(truth["b"][5])[0], y=70, frame=5, object_id="b"),
        ]
    )
    tracks = backend(upload={"max_side": W // 2, "start_frame": 2}, per_object="separate").track(
        path, clicks, work_dir=tmp_path / "work"
    )
    assert list(tracks.frame_indices) == list(range(2, T))
    frames = {
        c.object_id: c.frame for pid in tracks.prediction_ids for c in sent_clicks(lossy, pid)
    }
    assert frames == {"a": 0, "b": 3}
    # "b" is clicked on source frame 5, so it only exists from there on
    assert not tracks.masks["b"][:3].to_array().any()
    for t, index in enumerate(tracks.frame_indices):
        assert iou(tracks.masks["a"][t], truth["a"][index]) >= 0.9
        if index >= 5:
            assert iou(tracks.masks["b"][t], truth["b"][index]) >= 0.9


def test_clicks_before_start_frame_are_refused_before_any_upload(
    fake_replicate: FakeReplicate, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    path, truth = clip
    with pytest.raises(ClickError, match=r"source frame 0.*start_frame=4"):
        backend(upload={"start_frame": 4}).track(path, clicks_on(truth, 0), work_dir=tmp_path)
    with pytest.raises(ClickError, match=r"source frame 8.*stop_frame=6"):
        backend(upload={"stop_frame": 6}).track(path, clicks_on(truth, 8), work_dir=tmp_path)
    assert (fake_replicate.uploads, fake_replicate.creates) == (0, 0)


def test_preparation_enters_the_journal_key(
    fake_replicate: FakeReplicate,
    clip: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, truth = clip
    work = tmp_path / "work"
    first = backend(upload={"start_frame": 3}).track(path, clicks_on(truth, 3), work_dir=work)
    backend(upload={"start_frame": 3, "max_side": W // 2}).track(
        path, clicks_on(truth, 3), work_dir=work
    )
    assert fake_replicate.creates == 2  # another preparation is another prediction
    journal = sorted((work / "replicate_journal").glob("*.json"))
    assert len(journal) == 2

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the prepared upload should have been reused")

    monkeypatch.setattr("sam2_autotrack.backends.replicate.upload.run_ffmpeg", refuse)
    again = backend(upload={"start_frame": 3}).track(path, clicks_on(truth, 3), work_dir=work)
    assert fake_replicate.creates == 2
    assert again.prediction_ids == first.prediction_ids
    assert again.info["resumed"] is True
    assert list(again.frame_indices) == list(first.frame_indices)


# -- rotation --------------------------------------------------------------------------------------


def test_rotated_source_is_uploaded_upright(
    rotated90_mp4: Path, testsrc_mp4: Path, tmp_path: Path
) -> None:
    source = rotated90_mp4
    assert probe_video(source).rotation == 90
    width, height = probe_video(source).resolution_wh
    assert (width, height) == (48, 64)  # portrait once displayed
    trimmed = prepare_upload(source, out_dir=tmp_path, start_frame=2, stop_frame=7)
    small = prepare_upload(source, out_dir=tmp_path, start_frame=2, stop_frame=7, max_side=32)
    assert trimmed.upload_wh == (48, 64)
    assert small.upload_wh == (24, 32)
    for prepared in (trimmed, small):
        info = probe_video(prepared.path)
        assert info.rotation == 0  # the pixels are upright: no display matrix left to apply
        assert info.resolution_wh == prepared.upload_wh
        assert count_frames(prepared.path) == 5
        for t in (0, 4):
            want = cv2.resize(
                read_frame(source, t + 2), prepared.upload_wh, interpolation=cv2.INTER_AREA
            ).astype(int)
            got = read_frame(prepared.path, t).astype(int)
            upside_down = np.rot90(got, 2)
            error = np.abs(got - want).mean()
            wrong = min(np.abs(upside_down - want).mean(), np.abs(got[:, ::-1] - want).mean())
            assert error < wrong / 3, (error, wrong)


def test_rotated_clip_through_the_backend(
    lossy: FakeReplicate, run_ffmpeg: Any, tmp_path: Path
) -> None:
    flat = tmp_path / "flat.avi"
    make_clip(flat)
    lossless = tmp_path / "flat.mp4"
    run_ffmpeg("-i", str(flat), "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p", str(lossless))
    rotated = tmp_path / "rotated.mp4"
    run_ffmpeg("-display_rotation", "90", "-i", str(lossless), "-c", "copy", str(rotated))
    assert probe_video(rotated).resolution_wh == (H, W)
    # truth in display orientation, from the frames the tracker reads
    frames = [read_frame(rotated, t).astype(int) for t in range(T)]
    truth = np.stack([np.abs(f - RED_BGR[::-1]).max(axis=2) <= 40 for f in frames])
    x, y = box_centre(truth[1])
    tracks = backend(upload={"start_frame": 1, "max_side": W // 2}).track(
        rotated,
        ClickSet.build([Click(x=x, y=y, frame=1, object_id="a")], resolution_wh=(H, W)),
        work_dir=tmp_path / "work",
    )
    assert tracks.resolution_wh == (H, W)
    assert probe_video(uploaded_video(lossy, tmp_path)).resolution_wh == (H // 2, W // 2)
    for mask, index in zip(tracks.masks["a"], tracks.frame_indices, strict=True):
        assert iou(mask, truth[index]) >= 0.9


# -- prepare_upload: frames, sizes, failures -------------------------------------------------------


def test_prepare_upload_geometry_and_frame_range(run_ffmpeg: Any, tmp_path: Path) -> None:
    odd = tmp_path / "odd_101x75.mkv"  # FFV1 4:4:4 keeps odd sides (yuv420p would crop them)
    run_ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=100x74:rate=10", "-frames:v", "8"),
        *("-vf", "scale=101:75", "-c:v", "ffv1", "-pix_fmt", "yuv444p", str(odd)),
    )
    assert probe_video(odd).resolution_wh == (101, 75)
    prepared = prepare_upload(odd, out_dir=tmp_path, max_side=50, stop_frame=100)
    width, height = prepared.upload_wh
    assert width % 2 == 0
    assert height % 2 == 0
    assert max(width, height) <= 50
    assert abs(width / height - 101 / 75) < 0.1
    assert prepared.scale_xy == (width / 101, height / 75)
    assert prepared.frame_count == 8  # stop_frame past the end is clamped
    assert count_frames(prepared.path) == 8
    # odd sides with trimming only: rounded to even, nothing else changes much
    trimmed = prepare_upload(odd, out_dir=tmp_path, start_frame=5)
    assert trimmed.upload_wh[0] in (100, 102)
    assert trimmed.upload_wh[1] in (74, 76)
    assert (trimmed.frame_count, trimmed.source_frame_count) == (3, 8)
    with pytest.raises(ConfigError, match=r"start_frame=8.*8 frames"):
        prepare_upload(odd, out_dir=tmp_path, start_frame=8)


def test_prepare_upload_drops_audio_and_reuses_its_result(
    run_ffmpeg: Any, ffmpeg_exe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "with_audio.mp4"
    run_ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"),
        *("-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(source)),
    )
    prepared = prepare_upload(source, out_dir=tmp_path / "out", start_frame=1)
    report = subprocess.run(
        [ffmpeg_exe, "-hide_banner", "-i", str(prepared.path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stderr
    assert re.search(r"Stream #0:\d.*Video", report)
    assert not re.search(r"Stream #0:\d.*Audio", report)
    assert list((tmp_path / "out").iterdir()) == [prepared.path]  # no temporary left behind

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("re-encoded twice")

    monkeypatch.setattr("sam2_autotrack.backends.replicate.upload.run_ffmpeg", refuse)
    assert prepare_upload(source, out_dir=tmp_path / "out", start_frame=1) == prepared


def test_wrong_frame_count_after_encode_is_an_error(
    testsrc_mp4: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sam2_autotrack.backends.replicate.upload.count_frames", lambda path: 1)
    with pytest.raises(FFmpegError, match="produced 1 frames instead of 7"):
        prepare_upload(testsrc_mp4, out_dir=tmp_path, start_frame=3)
    assert list(tmp_path.iterdir()) == []


# -- PreparedVideo maps (pure) ---------------------------------------------------------------------


PREPARED = PreparedVideo(
    path=Path("up.mp4"),
    source=Path("src.mp4"),
    source_wh=(100, 60),
    upload_wh=(50, 30),
    scale_xy=(0.5, 0.5),
    start_frame=10,
    frame_count=5,
    source_frame_count=40,
)


def test_to_upload_clamps_rounds_and_shifts() -> None:
    clicks = ClickSet.build(
        [
            Click(x=0, y=0, frame=10),
            Click(x=99, y=59, frame=14, label=0, object_id="b"),
            Click(x=51, y=31, frame=12),
        ],
        resolution_wh=(100, 60),
    )
    moved = PREPARED.to_upload(clicks)
    assert moved.resolution_wh == (50, 30)
    assert [(c.x, c.y, c.frame, c.label, c.object_id) for c in moved] == [
        (0, 0, 0, 1, "obj_1"),
        (49, 29, 4, 0, "b"),
        (25, 15, 2, 1, "obj_1"),
    ]
    assert clicks[0].frame == 10  # the input is untouched


@pytest.mark.parametrize("frame", [9, 15])
def test_to_upload_refuses_clicks_outside_the_range(frame: int) -> None:
    with pytest.raises(ClickError, match=r"outside the uploaded frames 10\.\.14"):
        PREPARED.to_upload(ClickSet.build([Click(x=1, y=1, frame=frame)]))


def test_to_upload_refuses_clicks_for_another_size() -> None:
    with pytest.raises(ClickError, match="100x60"):
        PREPARED.to_upload(ClickSet.build([Click(x=1, y=1, frame=10)], resolution_wh=(50, 30)))


def test_masks_to_source_resizes_without_mutating() -> None:
    small = np.zeros((2, 30, 50), dtype=bool)
    small[0, 5:15, 10:30] = True
    before = small.copy()
    big, frames = PREPARED.masks_to_source(small, np.array([0, 3]))
    assert (small == before).all()
    assert big.shape == (2, 60, 100)
    assert big.dtype == np.bool_
    assert frames.tolist() == [10, 13]
    assert not big[1].any()
    expected = np.zeros((60, 100), dtype=bool)
    expected[10:30, 20:60] = True
    assert iou(big[0], expected) >= 0.95


def test_masks_to_source_checks_shapes() -> None:
    with pytest.raises(MaskSizeError, match="50x30"):
        PREPARED.masks_to_source(np.zeros((1, 60, 100), bool), np.array([0]))
    with pytest.raises(MaskError, match="shape"):
        PREPARED.masks_to_source(np.zeros((30, 50), bool), np.array([0]))
    with pytest.raises(MaskError, match=r"0\.\.4"):
        PREPARED.masks_to_source(np.zeros((1, 30, 50), bool), np.array([5]))


# -- options ---------------------------------------------------------------------------------------


def test_describe_records_the_preparation() -> None:
    described = backend(upload={"max_side": 720, "start_frame": 5, "stop_frame": 50}).describe()
    upload = described["upload"]
    assert (upload["max_side"], upload["start_frame"], upload["stop_frame"]) == (
        720,
        5,
        50,
    )


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_side": 1}, "max_side"),
        ({"max_side": True}, "max_side"),
        ({"max_side": 64.0}, "max_side"),
        ({"start_frame": -1}, "start_frame"),
        ({"stop_frame": 0}, "stop_frame"),
        ({"start_frame": 5, "stop_frame": 5}, "stop_frame"),
    ],
)
def test_invalid_preparation_options(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        ReplicateBackend(upload=options)
    with pytest.raises(ConfigError, match=named):
        prepare_upload(Path("unused.mp4"), out_dir=Path("unused"), **options)
