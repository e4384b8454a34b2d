"""The prompt flags: --point, --negative-point, --box, --pick and --prompt on the command line."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from prompt_scenes import BOX_XYXY, COLOURS_BGR, INSIDE_XY, best_match, four_objects
from sam2_autotrack.cli import build_parser, main
from sam2_autotrack.cli.settings import prompt_options
from sam2_autotrack.errors import ConfigError
from sam2_autotrack.prompts import BoxPrompt, PointPrompt
from sam2_autotrack.run import load_run

Clip = tuple[Path, dict[str, np.ndarray]]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    path = tmp_path_factory.mktemp("cli_prompts") / "four.avi"
    return path, four_objects(path)


def _args(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["track", "v.mp4", "--out", "o", *flags])


def test_the_flags_make_prompts() -> None:
    prompts = prompt_options(
        _args("--point", "10,20", "--point", "30,40@5:car", "--negative-point", "1,2:car",
              "--box", "1,2,30,40", "--pick", "3,7", "--pick", "9", "--prompt", "person, dog",
              "--prompt", "traffic light")
    )  # fmt: skip
    assert prompts is not None
    assert prompts.points == (
        PointPrompt(x=10, y=20),
        PointPrompt(x=30, y=40, frame=5, object_id="car"),
        PointPrompt(x=1, y=2, label=0, object_id="car"),
    )
    assert prompts.boxes == (BoxPrompt(x0=1, y0=2, x1=30, y1=40),)
    assert prompts.picks == (3, 7, 9)
    assert prompts.text == ("person", "dog", "traffic light")
    assert prompt_options(_args()) is None, "no flag: the automatic choice"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--point", "1;2"], "--point '1;2': write X,Y"),
        (["--box", "60,20,10,90"], r"--box '60,20,10,90': box \(60, 20, 10, 90\) is empty"),
        (["--pick", "x"], "--pick 'x': write proposal numbers"),
        (["--pick", "3", "--pick", "3"], "--pick 3 is given twice"),
        (["--negative-point", "5,5"], "a negative point only refines"),
        (["--prompt", "!!"], "has no word to look for"),
    ],
)
def test_malformed_flags_are_config_errors(flags: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        prompt_options(_args(*flags))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def test_track_with_a_point_on_the_embedded_engine(
    clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, truth = clip
    out = tmp_path / "run"
    x, y = INSIDE_XY["green"]
    status, err = _run(["track", str(video), "--out", str(out), "--backend", "local",
                        "--point", f"{x},{y}"], capsys)  # fmt: skip
    assert status == 0, err
    assert "tracked 1 object(s) (point_1)" in err
    result = load_run(out)
    assert result.object_ids == ("point_1",)
    assert best_match(result.masks("point_1"), truth)[0] == "green"
    assert (out / "prompts.json").is_file()


def test_track_with_a_box_and_a_pick(
    clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, truth = clip
    out = tmp_path / "run"
    box = ",".join(map(str, BOX_XYXY["blue"]))
    status, err = _run(["track", str(video), "--out", str(out), "--backend", "local",
                        "--box", box, "--pick", "0"], capsys)  # fmt: skip
    assert status == 0, err
    result = load_run(out)
    assert result.object_ids == ("box_1", "proposal_0")
    assert best_match(result.masks("box_1"), truth)[0] == "blue"


def test_track_with_a_text_prompt_through_replicate(
    fake_replicate: FakeReplicate, clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, truth = clip
    fake_replicate.grounding_dino.vocabulary = {"person": COLOURS_BGR["red"]}
    out = tmp_path / "run"
    status, err = _run(["track", str(video), "--out", str(out), "--backend", "replicate",
                        "--prompt", "person", "--timeout", "30"], capsys)  # fmt: skip
    assert status == 0, err
    result = load_run(out)
    assert result.object_ids == ("person_1",)
    assert best_match(result.masks("person_1"), truth)[0] == "red"
    clicks = json.loads((out / "clicks.json").read_text())
    assert set(clicks["click_object_ids"].split(",")) == {"person_1"}


@pytest.mark.parametrize(
    ("flags", "status", "message"),
    [
        (["--point", "500,5"], 2, r"point \(500, 5\) is outside the 160x96 frame"),
        (["--point", "5,5@3"], 2, "the embedded engine starts every object on frame 0"),
        (["--pick", "99"], 2, r"--pick 99: there is no proposal 99; the valid numbers are 0\.\."),
        (["--prompt", "person"], 1, "set REPLICATE_API_TOKEN"),
    ],
)
def test_prompt_errors_are_one_line_with_their_exit_status(
    clip: Clip,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    status: int,
    message: str,
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    video, _ = clip
    code, err = _run(["track", str(video), "--out", str(tmp_path / "o"), "--backend", "local",
                      *flags], capsys)  # fmt: skip
    assert code == status
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1
    assert re.search(message, lines[0]), lines[0]


def test_help_lists_the_prompt_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["track", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--point X,Y", "--negative-point X,Y", "--box X0,Y0,X1,Y1", "--pick N[,N...]",
                 "--prompt TEXT"):  # fmt: skip
        assert flag in text
    assert "rotation applied" in text
