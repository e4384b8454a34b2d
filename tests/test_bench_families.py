"""``benchmarks/bench_families.py --tracker NAME=VALUE``: tracker settings from the command line."""

from __future__ import annotations

import pytest

from bench_scripts import load_benchmark
from sam2_autotrack.backends.local import TrackerOptions

families = load_benchmark("bench_families")


def test_pairs_set_the_named_fields_and_leave_the_rest_at_their_defaults() -> None:
    options = families.tracker_overrides(
        ["appearance_power=0.8", "flow_preset=medium", "leak_control=false"]
    )
    assert options.appearance_power == 0.8
    assert options.flow_preset == "medium"
    assert options.leak_control is False
    assert options.remnant_ratio == TrackerOptions().remnant_ratio
    assert families.tracker_overrides([]) == TrackerOptions()


@pytest.mark.parametrize(
    ("pair", "named"),
    [
        ("appearance_power", "NAME=VALUE"),
        ("appearence_power=0.8", "no such field"),
        ("appearance_power=3", "appearance_power"),
        ("flow_preset=slowest", "flow_preset"),
    ],
)
def test_a_bad_pair_is_refused_with_what_to_write(pair: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        families.tracker_overrides([pair])


def test_the_command_line_refuses_a_bad_pair_before_any_clip_is_drawn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        families.main(["--tracker", "appearence_power=0.8", "--no-suite", "--no-families"])
    assert stopped.value.code == 2
    assert "no such field" in capsys.readouterr().err
