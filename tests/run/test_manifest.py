import hashlib
import json
from pathlib import Path

from sam2_autotrack._fs import file_sha256
from sam2_autotrack.run.manifest import scrub_secrets, write_manifest


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
