"""Tests of sam2_autotrack.viz.area_chart: area over time, jumps and drifts, both engines."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import Click, ClickSet, ObjectTracks
from sam2_autotrack.errors import ConfigError, MissingDependencyError
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.viz import area_plot, palette

# -- area plot ------------------------------------------------------------------------------------

AREAS = {"obj_1": np.array([900, 905, 910, 300, 290, 295]), "obj_2": np.array([400] * 6)}


@pytest.mark.parametrize("engine", ["opencv", "matplotlib"])
def test_area_plot_draws_each_object_and_marks_jumps(engine: str) -> None:
    if engine == "matplotlib":
        pytest.importorskip("matplotlib")
    figure = area_plot(AREAS, engine=engine, size_wh=(400, 240))  # type: ignore[arg-type]
    assert figure.image.shape == (240, 400, 3)
    assert figure.text == ("obj_1 jumps at frame 3",)
    pixels = figure.image.reshape(-1, 3).astype(int)
    for colour in palette(2).astype(int):
        nearest = np.abs(pixels - colour).sum(axis=1).min()
        assert nearest <= 30, f"no pixel of colour {colour.tolist()} in the chart"


def test_area_plot_of_a_result_uses_its_frame_numbers() -> None:
    masks = np.zeros((3, 10, 10), bool)
    masks[0, :5, :5] = True
    masks[1, :5, :5] = True
    masks[2, :1, :1] = True
    tracks = ObjectTracks(masks={"obj_1": masks}, frame_indices=np.array([0, 4, 8]), frame_count=9)
    result = TrackResult.from_arrays(tracks, clicks=ClickSet.build([Click(x=1, y=1)]))
    figure = area_plot(result, engine="opencv")
    assert figure.text == ("obj_1 jumps at frame 8",)


def test_area_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(
        MissingDependencyError, match=r'pip install "sam2_autotrack\[viz\]"'
    ) as info:
        area_plot(AREAS, engine="matplotlib")
    assert isinstance(info.value, ImportError)
    fallback = area_plot(AREAS, engine="auto", size_wh=(300, 200))
    assert fallback.image.shape == (200, 300, 3)
    assert np.array_equal(
        fallback.image, area_plot(AREAS, engine="opencv", size_wh=(300, 200)).image
    )


# An object that grows 25-fold over 60 frames, +5.6 % a frame: no single step is a jump.
GROWING = np.round(400 * 25 ** (np.arange(60) / 59)).astype(np.int64)


@pytest.mark.parametrize("engine", ["opencv", "matplotlib"])
def test_area_plot_marks_slow_growth_as_drift(engine: str) -> None:
    if engine == "matplotlib":
        pytest.importorskip("matplotlib")
    areas = {"obj_1": np.full(60, 900), "obj_2": GROWING}
    figure = area_plot(areas, engine=engine, size_wh=(400, 240))  # type: ignore[arg-type]
    (note,) = figure.text
    assert note.startswith("obj_2 drifts: area ×")
    assert note.endswith("from frame 0 to frame 59")
    assert 20 <= float(note.split("×")[1].split()[0]) <= 25
    no_drift = area_plot(areas, engine=engine, size_wh=(400, 240), drift_ratio=30.0)  # type: ignore[arg-type]
    assert no_drift.text == ()
    assert not np.array_equal(no_drift.image, figure.image), "the drift onset is marked"


def test_area_plot_reports_drift_in_source_frames_and_shrinking() -> None:
    shrinking = GROWING[::-1].copy()
    xs = np.arange(60) * 2 + 100
    figure = area_plot({"obj_1": shrinking}, frame_indices=xs, engine="opencv")
    (note,) = figure.text
    assert note.startswith("obj_1 drifts: area ×0.0")
    assert note.endswith("from frame 100 to frame 218")


def test_area_plot_options_are_checked() -> None:
    areas = {"obj_1": np.array([1, 2, 3])}
    for bad, match in (({"jump_threshold": 0.0}, "jump_threshold"),
                       ({"jump_threshold": 1.0}, "jump_threshold"),
                       ({"drift_ratio": 1.0}, "drift_ratio"),
                       ({"engine": "svg"}, "engine"),
                       ({"size_wh": (100, 100)}, "size_wh")):  # fmt: skip
        with pytest.raises(ConfigError, match=match):
            area_plot(areas, **bad)  # type: ignore[arg-type]


def test_viz_never_imports_run() -> None:
    viz = Path(__file__).resolve().parents[2] / "src" / "sam2_autotrack" / "viz"
    for path in sorted(viz.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("sam2_autotrack.run", "sam2_autotrack.tracker")), (
                    f"{path.name} imports {name}; viz reads results through TrackedVideo"
                )
