"""The command-line forms of prompts: X,Y[@FRAME][:ID], X0,Y0,X1,Y1, N[,N...]."""

from __future__ import annotations

import pytest

from sam2_autotrack.errors import ConfigError
from sam2_autotrack.prompts import BoxPrompt, PointPrompt, parse_box, parse_picks, parse_point


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120,80", PointPrompt(x=120, y=80)),
        (" 120 , 80 ", PointPrompt(x=120, y=80)),
        ("120,80@30", PointPrompt(x=120, y=80, frame=30)),
        ("120,80:car", PointPrompt(x=120, y=80, object_id="car")),
        ("120,80@30:car_2", PointPrompt(x=120, y=80, frame=30, object_id="car_2")),
    ],
)
def test_points_parse(text: str, expected: PointPrompt) -> None:
    assert parse_point(text) == expected


def test_negative_points_carry_label_0_and_their_flag_in_errors() -> None:
    assert parse_point("3,4", label=0).label == 0
    with pytest.raises(ConfigError, match=r"^--negative-point '3': write X,Y"):
        parse_point("3", label=0, flag="--negative-point")


@pytest.mark.parametrize("text", ["", "1", "1,2,3", "1.5,2", "-1,2", "1;2", "1,2@", "a,b", "1,2@x"])
def test_malformed_points_are_one_line_naming_the_flag(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--point .*write X,Y") as raised:
        parse_point(text)
    assert "\n" not in str(raised.value)


def test_point_ids_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"^--point '1,2:\.\./x': .*not a safe name"):
        parse_point("1,2:../x")


def test_boxes_parse_and_empty_boxes_are_refused() -> None:
    assert parse_box("10,20,60,90@4:dog") == BoxPrompt(
        x0=10, y0=20, x1=60, y1=90, frame=4, object_id="dog"
    )
    with pytest.raises(ConfigError, match=r"^--box '60,20,10,90': box \(60, 20, 10, 90\) is empty"):
        parse_box("60,20,10,90")
    with pytest.raises(ConfigError, match=r"^--box '10,20,60': write X0,Y0,X1,Y1"):
        parse_box("10,20,60")


def test_picks_parse() -> None:
    assert parse_picks("3") == (3,)
    assert parse_picks("3, 7,12") == (3, 7, 12)
    for bad in ("", "three", "3,", "-1", "3.0"):
        with pytest.raises(ConfigError, match="write proposal numbers"):
            parse_picks(bad)
