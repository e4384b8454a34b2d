import hashlib
import json
from pathlib import Path

import pytest

from run_fixtures import small_result
from sam2_autotrack import ExportError
from sam2_autotrack._fs import file_sha256
from sam2_autotrack.run.manifest import (
    read_manifest,
    scrub_secrets,
    video_info_from_json,
    video_info_json,
    write_manifest,
    write_run_manifest,
)


def test_file_sha256_matches_hashlib_across_chunk_boundaries(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert file_sha256(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()


def test_scrub_secrets_is_recursive_and_does_not_mutate() -> None:
    value = {"backend": {"api_token": "r8_secret", "base_url": "http://x"}, "l": [{"token": 1}]}
    scrubbed = scrub_secrets(value)
    assert "r8_secret" not in json.dumps(scrubbed)
    assert scrubbed["backend"]["base_url"] == "http://x"
    assert value["backend"]["api_token"] == "r8_secret"


def test_manifest_records_relative_files_and_never_a_token(tmp_path: Path) -> None:
    (tmp_path / "masks").mkdir()
    written = tmp_path / "masks" / "a.png"
    written.write_bytes(b"png")
    path = write_manifest(
        tmp_path,
        inputs={"video": "in.mp4"},
        parameters={"seeds_per_object": 3},
        backend={"name": "replicate", "api_token": "r8_SECRET_TOKEN"},
        clicks={"click_labels": "1"},
        tracks={"object_ids": ["obj_1"]},
        timings={"track": 1.23456},
        files=[written],
    )
    text = path.read_text()
    assert "r8_SECRET_TOKEN" not in text
    manifest = json.loads(text)
    assert manifest["files"] == ["manifest.json", "masks/a.png"]
    assert manifest["timings"] == {"track": 1.2346}
    assert manifest["library"]["name"] == "sam2_autotrack"


def test_run_manifest_records_the_input_the_tracks_and_the_files(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    result = small_result(testsrc_mp4)
    mask = tmp_path / "masks" / "obj_1" / "frame_00000.png"
    mask.parent.mkdir(parents=True)
    mask.write_bytes(b"png")
    write_run_manifest(result, tmp_path, files=[mask], parameters={"seeds": {"n": 1}})
    manifest = read_manifest(tmp_path)
    assert manifest["input"]["video"] == str(testsrc_mp4.resolve())
    assert manifest["input"]["video_sha256"] == hashlib.sha256(testsrc_mp4.read_bytes()).hexdigest()
    assert manifest["input"]["video_bytes"] == testsrc_mp4.stat().st_size
    assert video_info_from_json(manifest["input"]["video_info"]) == result.video_info
    assert manifest["tracks"]["frame_indices"] == [0, 2, 4, 6, 8]
    assert manifest["tracks"]["prediction_ids"] == ["video-1"]
    assert manifest["clicks"]["click_object_ids"] == "obj_1,obj_2"
    assert manifest["parameters"] == {"seeds": {"n": 1}}
    assert manifest["backend"] == {"name": "fake", "api_token": "***"}
    assert manifest["files"] == ["manifest.json", "masks/obj_1/frame_00000.png"]


def test_video_info_json_round_trip_and_none(testsrc_mp4: Path) -> None:
    info = small_result(testsrc_mp4).video_info
    assert info is not None
    data = video_info_json(info)
    assert data is not None
    assert json.loads(json.dumps(data)) == data
    assert video_info_from_json(data) == info
    assert video_info_json(None) is None


def test_read_manifest_names_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="not a run folder"):
        read_manifest(tmp_path)


def test_run_manifest_records_the_cost(testsrc_mp4: Path, tmp_path: Path) -> None:
    import dataclasses

    from sam2_autotrack.backends import CostReport, PredictionCost

    result = small_result(testsrc_mp4)
    cost = CostReport((PredictionCost("video-1", "meta/sam-2-video", "union", 10, 1.5),))
    result = result.replace(tracks=dataclasses.replace(result.tracks, cost=cost))
    write_run_manifest(result, tmp_path, files=[], parameters={})
    manifest = read_manifest(tmp_path)
    assert manifest["cost"] == cost.to_json()
    assert manifest["cost"]["predictions"][0]["purpose"] == "union"
    # a local run records an empty report
    write_run_manifest(small_result(testsrc_mp4), tmp_path, files=[], parameters={})
    assert read_manifest(tmp_path)["cost"]["prediction_count"] == 0
