"""The command line as a user meets it: help that fits, one-line errors, exit statuses, Ctrl-C."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.cli import build_parser, main
from sam2_autotrack.errors import ExportError
from sam2_autotrack.run import INCOMPLETE_NAME, is_incomplete, load_run
from sam2_autotrack.testing import sample_video

COMMANDS = ["track", "demo", "export", "eval"]


def _help(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_fits_80_columns_and_names_the_exit_statuses(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(command, capsys)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "130 interrupted" in " ".join(text.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_has_help(command: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for action in sub.choices[command]._actions:  # type: ignore[union-attr]
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"


def test_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(["demo"], capsys).split())
    assert "(default: bigbuckbunny)" in text
    assert "(default: runs/demo)" in text


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--max-objects", "0"], "max_objects=0"),
        (["--max-objects", "-1"], "max_objects=-1"),
        (["--output-frame-interval", "0"], "output_frame_interval=0"),
        (["--seeds-per-object", "0"], "seeds_per_object=0"),
        (["--jobs", "0"], "--jobs must be >= 1"),
        (["--pred-iou-thresh", "2"], "pred_iou_thresh=2.0"),
        (["--rediscover-every", "-3"], "--rediscover-every must be a frame count >= 0"),
        (["--rediscover-every", "often"], "got 'often'"),
    ],
)
def test_invalid_options_exit_2_with_one_line_before_any_work(
    flags: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = main(
        ["track", str(tmp_path / "missing.mp4"), "--out", str(out), "--backend", "local", *flags]
    )
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("sam2-autotrack: error: ")
    assert words in err[0]
    assert not out.exists(), "nothing is written for an invalid option"


def test_an_out_that_is_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "results"
    existing.write_text("not a folder")
    status = main(
        ["track", str(sample_video("carphone")), "--out", str(existing), "--backend", "local"]
    )
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "exists and is not a folder" in err[0]
    assert existing.read_text() == "not a folder"


def test_a_broken_video_gives_exactly_one_line_and_no_native_log_noise(tmp_path: Path) -> None:
    # A truncated mp4: OpenCV and FFmpeg would print "moov atom not found" and a WARN line.
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(sample_video("bikes").read_bytes()[:20_000])
    run = subprocess.run(
        [sys.executable, "-m", "sam2_autotrack.cli", "track", str(truncated), "--out",
         str(tmp_path / "o"), "--backend", "local"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "truncated.mp4" in lines[0]
    assert not (tmp_path / "o").exists()


def test_ctrl_c_marks_the_folder_says_how_to_resume_and_export_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalBackend, "track", interrupted)
    out = tmp_path / "run"
    status = main(["track", str(sample_video("carphone")), "--out", str(out), "--backend", "local"])
    assert status == 130
    err = " ".join(capsys.readouterr().err.split())
    assert f"{out} is incomplete" in err
    assert "run the same command again to resume" in err
    assert is_incomplete(out)
    assert (out / INCOMPLETE_NAME).is_file()
    assert (out / "frame0.png").is_file()
    assert not (out / "manifest.json").exists()
    with pytest.raises(ExportError, match="incomplete run"):
        load_run(out)
    assert main(["export", str(out), "--overlay"]) == 1
    assert "incomplete run" in capsys.readouterr().err


def test_a_finished_run_has_no_incomplete_marker(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        main(["track", str(sample_video("carphone")), "--out", str(out), "--backend", "local"]) == 0
    )
    assert (out / "manifest.json").is_file()
    assert not is_incomplete(out)
    assert load_run(out).frame_count > 0


def test_a_missing_token_is_reported_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    out = tmp_path / "run"
    status = main(
        ["track", str(sample_video("carphone")), "--out", str(out), "--backend", "replicate"]
    )
    assert status == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "REPLICATE_API_TOKEN" in err[0]
    assert not out.exists(), "no folder (and no work/) is left behind"
