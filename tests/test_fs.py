import json
import os
import tempfile
from collections.abc import Iterator
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


@pytest.fixture
def umask() -> Iterator[None]:
    """Let a test set the process umask (``os.umask``); the old one is restored after."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(
    ("mask", "expected"),
    [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
    ids=["022", "002", "077"],
)
def test_written_files_get_the_usual_mode_under_the_umask(
    tmp_path: Path, umask: None, mask: int, expected: int
) -> None:
    os.umask(mask)
    assert _mode(write_bytes_atomic(tmp_path / "a.bin", b"x")) == expected
    assert _mode(write_json_atomic(tmp_path / "sub" / "a.json", {"a": 1})) == expected
    with atomic_path(tmp_path / "b.png") as tmp:
        tmp.write_bytes(b"png")  # a tool writing into the temporary file it was given
    assert _mode(tmp_path / "b.png") == expected
    # the same as any file the process creates itself
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert _mode(plain) == expected


def test_mode_is_restored_when_a_tool_replaces_the_temporary_file(
    tmp_path: Path, umask: None
) -> None:
    os.umask(0o022)
    with atomic_path(tmp_path / "out.webm") as tmp:
        fd, private = tempfile.mkstemp(dir=tmp_path)  # 0o600, like a tool's own temp file
        os.close(fd)
        os.replace(private, tmp)
    assert _mode(tmp_path / "out.webm") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.webm"]


def test_replacing_a_file_gives_the_new_file_mode(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    final = tmp_path / "a.json"
    final.write_bytes(b"{}")
    final.chmod(0o600)
    write_json_atomic(final, {"b": 2})
    assert _mode(final) == 0o644
    assert json.loads(final.read_text()) == {"b": 2}
