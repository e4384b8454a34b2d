"""``--rediscover-every``: later objects found from the command line, and said so on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rediscovery_clips import CUT_AT, cut_clip
from sam2_autotrack.cli import build_parser, main
from sam2_autotrack.cli.settings import rediscover_option


def test_the_flag_is_auto_by_default_and_takes_frames_or_auto_or_zero() -> None:
    args = build_parser().parse_args(["track", "v.mp4", "--out", "o"])
    assert rediscover_option(args.rediscover_every).every == "auto"  # type: ignore[union-attr]
    assert rediscover_option("0") is None
    assert rediscover_option("12").every == 12  # type: ignore[union-attr]
    assert rediscover_option("auto").every == "auto"  # type: ignore[union-attr]


def test_track_with_rediscovery_reports_the_cut_and_the_new_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, _ = cut_clip(tmp_path / "cut.avi")
    out = tmp_path / "run"
    flags = ["--backend", "local", "--rediscover-every", "8"]
    assert main(["track", str(video), "--out", str(out), *flags]) == 0
    err = capsys.readouterr().err
    assert f"scene cuts at frames {CUT_AT}" in err
    assert f"re-discovered 2 object(s) after frame 0: obj_3 (frame {CUT_AT}), obj_4" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tracks"]["scene_cuts"] == [CUT_AT]
    assert manifest["parameters"]["rediscovery"]["every"] == 8
