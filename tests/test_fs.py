import json
from pathlib import Path

import pytest

from sam2_autotrack._fs import atomic_path, write_bytes_atomic, write_json_atomic


def test_atomic_path_renames_only_on_success(tmp_path: Path) -> None:
    final = tmp_path / "sub" / "out.bin"

    def crash() -> None:
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        crash()
    assert not final.exists()
    assert list((tmp_path / "sub").iterdir()) == []  # no temp file left behind


def test_atomic_path_keeps_old_file_when_replacement_fails(tmp_path: Path) -> None:
    final = tmp_path / "out.json"
    write_bytes_atomic(final, b"old")

    def interrupted() -> None:
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"new but incomplete")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert final.read_bytes() == b"old"


def test_temp_file_keeps_the_suffix_for_format_sniffing_tools(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "video.webm") as tmp:
        assert tmp.suffix == ".webm"
        assert tmp.parent == tmp_path
        tmp.write_bytes(b"x")


def test_write_json_refuses_non_json_values(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "a.json", {"path": Path("x")})
    with pytest.raises(ValueError, match="JSON compliant"):
        write_json_atomic(tmp_path / "a.json", {"x": float("nan")})
    assert not (tmp_path / "a.json").exists()
    write_json_atomic(tmp_path / "a.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": [1, 2]}
