"""`write_exports`: every export of a set of options from plain data (no tracking result needed)."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from encoded_clips import decode_alpha
from sam2_autotrack import ExportError, FFmpegNotFoundError, MaskCleanup
from sam2_autotrack.export import ExportOptions, MaskedVideo, write_exports
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.video import probe_stream

EXPORT_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "sam2_autotrack" / "export"


@dataclass(frozen=True)
class Clip:
    """The smallest :class:`MaskedVideo`: a path and a dict of mask stacks."""

    video: Path | None
    stacks: dict[str, NDArray[np.bool_]]
    frame_indices: NDArray[np.int64] = field(default_factory=lambda: np.arange(10))
    frame_count: int = 10
    fps: float | None = None

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(self.stacks)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        first = next(iter(self.stacks.values()))
        return (first.shape[2], first.shape[1])

    def mask_sequence(self, object_id: str) -> MaskSequence:
        return MaskSequence.from_array(self.stacks[object_id])


def two_objects() -> dict[str, NDArray[np.bool_]]:
    left = np.zeros((10, 48, 64), bool)
    right = np.zeros((10, 48, 64), bool)
    left[:, 8:40, 4:28] = True
    right[:, 8:40, 36:60] = True
    right[:, 0, 63] = True  # a 1-px speck, removed by the cleanup
    return {"left": left, "right": right}


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_mask_exports_need_no_source_video(tmp_path: Path) -> None:
    clip: MaskedVideo = Clip(video=None, stacks=two_objects())
    options = ExportOptions(coco=True, palette=True, cleanup=MaskCleanup(min_component_px=2))
    written = write_exports(clip, tmp_path, options)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "coco.json",
        *[f"palette/frame_{i:05d}.png" for i in range(10)],
    ]
    document = json.loads((tmp_path / "coco.json").read_text())
    assert document["videos"][0]["name"] == "video"
    areas = {a["object_name"]: a["area"] for a in document["annotations"] if a["frame_index"] == 0}
    assert areas == {"left": 32 * 24, "right": 32 * 24}  # the speck was cleaned away
    with Image.open(tmp_path / "palette" / "frame_00000.png") as image:
        labels = np.asarray(image)
    assert labels[0, 63] == 0
    assert labels[20, 10] == 1
    assert labels[20, 50] == 2


def test_nothing_asked_writes_nothing(tmp_path: Path) -> None:
    assert write_exports(Clip(video=None, stacks=two_objects()), tmp_path / "out") == []
    assert not (tmp_path / "out").exists()


def test_video_exports_write_union_per_object_and_overlay(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    stacks = two_objects()
    clip = Clip(video=testsrc_mp4, stacks=stacks)
    options = ExportOptions(alpha="webm", per_object=True, overlay=True, coco=True)
    written = write_exports(clip, tmp_path, options)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "alpha/union.webm",
        "alpha/left.webm",
        "alpha/right.webm",
        "overlay.mp4",
        "coco.json",
    ]
    union = decode_alpha(tmp_path / "alpha" / "union.webm", (64, 48)) >= 128
    assert union.shape == (10, 48, 64)
    assert float(np.mean(union == (stacks["left"] | stacks["right"]))) >= 0.999
    left = decode_alpha(tmp_path / "alpha" / "left.webm", (64, 48)) >= 128
    assert float(np.mean(left == stacks["left"])) >= 0.999
    assert probe_stream(tmp_path / "overlay.mp4").resolution_wh == (64, 48)
    assert json.loads((tmp_path / "coco.json").read_text())["videos"][0]["name"] == "testsrc.mp4"


def test_a_missing_source_fails_before_anything_is_written(tmp_path: Path) -> None:
    options = ExportOptions(overlay=True, coco=True)
    with pytest.raises(ExportError, match="no source video"):
        write_exports(Clip(video=None, stacks=two_objects()), tmp_path / "a", options)
    gone = tmp_path / "gone.mp4"
    with pytest.raises(ExportError, match=r"source video .*gone\.mp4 is missing"):
        write_exports(Clip(video=gone, stacks=two_objects()), tmp_path / "b", options)
    assert _files(tmp_path) == []


def test_a_missing_encoder_fails_before_anything_is_written(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    options = ExportOptions(alpha="webm", coco=True, ffmpeg=tmp_path / "no-ffmpeg")
    with pytest.raises(FFmpegNotFoundError):
        write_exports(Clip(video=testsrc_mp4, stacks=two_objects()), tmp_path / "out", options)
    assert not (tmp_path / "out").exists()


def test_an_object_called_union_cannot_have_its_own_alpha_video(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    stacks = {"union": two_objects()["left"]}
    options = ExportOptions(alpha="webm", per_object=True)
    with pytest.raises(ExportError, match="'union'"):
        write_exports(Clip(video=testsrc_mp4, stacks=stacks), tmp_path, options)
    assert _files(tmp_path) == []


def test_export_never_imports_run() -> None:
    for path in EXPORT_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("sam2_autotrack.run"), f"{path.name} imports {name}"
                assert name not in ("sam2_autotrack", "sam2_autotrack.tracker"), name
