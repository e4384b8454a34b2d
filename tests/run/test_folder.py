"""The run folder: seed stage, tracks, and loading a finished run back."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from run_fixtures import H, W, small_result, write_small_run
from sam2_autotrack import ExportError, MaskError, MaskProposals
from sam2_autotrack.backends import CostReport, PredictionCost
from sam2_autotrack.masks import MaskSequence, decode_mask, write_mask_file
from sam2_autotrack.run import (
    MASK_INDEX_DIR,
    load_run,
    write_run_manifest,
    write_seed_stage,
    write_tracks,
)
from sam2_autotrack.selection import select_objects


def test_seed_stage_writes_what_the_clicks_were_made_from(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    result = small_result(testsrc_mp4)
    frame0 = np.zeros((H, W, 3), np.uint8)
    frame0[..., 0] = 200  # red in RGB
    first = np.stack([result.masks(oid)[0] for oid in result.object_ids])
    specks = np.zeros((1, H, W), bool)
    specks[0, 0, 0] = True
    proposals = MaskProposals(masks=np.concatenate([first, specks]))
    files = write_seed_stage(
        tmp_path,
        frame0_rgb=frame0,
        proposals=proposals,
        selection=select_objects(first),
        clicks=result.clicks,
    )
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "frame0.png",
        "masks_all/proposal_000.png",
        "masks_all/proposal_001.png",
        "masks_all/proposal_002.png",
        "masks_selected/obj_1.png",
        "masks_selected/obj_2.png",
        "clicks.json",
    ]
    bgr = cv2.imread(str(tmp_path / "frame0.png"))
    assert bgr[0, 0].tolist() == [0, 0, 200]
    assert np.array_equal(decode_mask(tmp_path / "masks_selected" / "obj_2.png"), first[1])
    assert json.loads((tmp_path / "clicks.json").read_text())["click_object_ids"] == "obj_1,obj_2"


def test_tracks_round_trip_through_the_folder(testsrc_mp4: Path, tmp_path: Path) -> None:
    written = write_small_run(testsrc_mp4, tmp_path)
    video_result = json.loads((tmp_path / "video_result.json").read_text())
    assert video_result["frame_indices"] == [0, 2, 4, 6, 8]
    assert video_result["info"] == {"strategy": "split", "sizes": [1, 2]}
    assert video_result["backend"] == {"name": "fake", "api_token": "***"}
    names = sorted(p.name for p in (tmp_path / "masks" / "obj_1").iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(0, 10, 2)]

    loaded = load_run(tmp_path)
    assert loaded.run_dir == tmp_path
    assert loaded.video == testsrc_mp4.resolve()
    assert loaded.object_ids == written.object_ids
    assert loaded.clicks == written.clicks
    assert loaded.frame_indices.tolist() == written.frame_indices.tolist()
    assert loaded.frame_count == 10
    assert loaded.fps == written.fps
    assert loaded.prediction_ids == ("video-1",)
    assert loaded.tracks.predict_time == 1.5
    assert loaded.timings == {"track": 0.25}
    assert loaded.backend["api_token"] == "***"  # the token never reached the disk
    for oid in written.object_ids:
        assert np.array_equal(loaded.masks(oid), written.masks(oid))


def test_write_tracks_returns_every_file(testsrc_mp4: Path, tmp_path: Path) -> None:
    files = write_tracks(tmp_path, small_result(testsrc_mp4))
    on_disk = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert sorted(files) == on_disk
    assert len(files) == 1 + 2 * 5 + 2  # the record, 5 PNGs per object, one index per object


def test_loading_an_unfinished_folder_says_what_is_missing(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"not a run folder: manifest\.json is missing"):
        load_run(tmp_path)
    write_small_run(testsrc_mp4, tmp_path)
    os.remove(tmp_path / "masks" / "obj_2" / "frame_00004.png")
    with pytest.raises(ExportError, match=r"frame_00004\.png is missing.*incomplete"):
        load_run(tmp_path)


def test_the_cost_report_round_trips_through_the_folder(testsrc_mp4: Path, tmp_path: Path) -> None:
    result = write_small_run(testsrc_mp4, tmp_path)
    cost = CostReport(
        (
            PredictionCost("p", "meta/sam-2", "proposals", 1, 2.0),
            PredictionCost("video-1", "meta/sam-2-video", "union", 10, 1.5, resumed=True),
        )
    )
    costly = result.replace(tracks=dataclasses.replace(result.tracks, cost=cost))
    files = write_tracks(tmp_path, costly)
    write_run_manifest(costly, tmp_path, files=files, parameters={})
    video_result = json.loads((tmp_path / "video_result.json").read_text())
    assert video_result["cost"]["frames_uploaded"] == 11
    loaded = load_run(tmp_path)
    assert loaded.cost == cost
    assert loaded.tracks.cost == cost  # the whole report, proposals included, is on the tracks


def test_a_loaded_run_reads_its_masks_from_the_index_lazily(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    written = write_small_run(testsrc_mp4, tmp_path)
    loaded = load_run(tmp_path)
    for oid in written.object_ids:
        sequence = loaded.mask_sequence(oid)
        assert sequence.source == tmp_path / MASK_INDEX_DIR / f"{oid}.msq"
        assert sequence == written.mask_sequence(oid)
        assert loaded.areas()[oid].tolist() == written.areas()[oid].tolist()


@pytest.mark.parametrize("how", ["missing", "damaged", "other size"])
def test_without_a_usable_index_the_pngs_are_read(
    testsrc_mp4: Path, tmp_path: Path, how: str
) -> None:
    written = write_small_run(testsrc_mp4, tmp_path)
    index = tmp_path / MASK_INDEX_DIR / "obj_2.msq"
    if how == "missing":
        index.unlink()
    elif how == "damaged":
        index.write_bytes(index.read_bytes()[:-3])
    else:
        write_mask_file(index, MaskSequence.from_array(np.ones((5, 4, 4), bool)))
    loaded = load_run(tmp_path)
    assert loaded.mask_sequence("obj_2").source is None  # decoded from the PNGs
    assert loaded.mask_sequence("obj_1").source is not None
    for oid in written.object_ids:
        assert np.array_equal(loaded.masks(oid), written.masks(oid))


def test_a_png_edited_after_the_run_wins_over_the_index(testsrc_mp4: Path, tmp_path: Path) -> None:
    written = write_small_run(testsrc_mp4, tmp_path)
    png = tmp_path / "masks" / "obj_1" / "frame_00004.png"
    edited = np.zeros((H, W), bool)
    edited[:5, :5] = True
    cv2.imwrite(str(png), edited.astype(np.uint8) * 255)
    index = tmp_path / MASK_INDEX_DIR / "obj_1.msq"
    stamp = index.stat().st_mtime_ns
    os.utime(png, ns=(stamp + 10**9, stamp + 10**9))  # edited a second after the run
    loaded = load_run(tmp_path)
    assert np.array_equal(loaded.masks("obj_1")[2], edited)
    assert np.array_equal(loaded.masks("obj_2"), written.masks("obj_2"))


def test_a_run_folder_overwritten_after_loading_is_refused_on_read(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    written = write_small_run(testsrc_mp4, tmp_path)
    loaded = load_run(tmp_path)
    write_tracks(tmp_path, written)  # another run into the same folder
    with pytest.raises(MaskError, match="load the run folder again"):
        loaded.masks("obj_1")
    assert np.array_equal(load_run(tmp_path).masks("obj_1"), written.masks("obj_1"))
