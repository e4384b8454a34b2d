"""The notebooks run top to bottom (nbclient, the venv's own kernel) and are stored without outputs.

``01_quickstart`` runs the embedded CPU engine on the bundled clip; ``02_replicate`` runs the
Replicate backend against the tests' Replicate-compatible local server (``fake_replicate``), on a
flat-colour clip that server can segment.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 300


def test_the_two_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_replicate.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell["outputs"] == [], f"cell {index} has stored outputs; clear them before commit"
        assert cell["execution_count"] is None, f"cell {index} has an execution count"
    assert "widgets" not in notebook["metadata"]


def _execute(path: Path, *, cwd: Path) -> Any:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    return notebook


def _images(notebook: Any) -> int:
    return sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    )


def _stdout(notebook: Any) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("name") == "stdout"
    )


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.setenv("SAM2_AUTOTRACK_NOTEBOOK_OUT", str(tmp_path / "out"))
    notebook = _execute(ROOT / "notebooks" / "01_quickstart.ipynb", cwd=tmp_path)
    # proposals, proposals+selection, selection+clicks, prompted objects, filmstrip, area chart
    assert _images(notebook) >= 6
    printed = _stdout(notebook)
    assert "click_coordinates" in printed
    assert re.search(r"proposal_\d+ +pick \d+ +-> proposal \d+", printed), "the prompt cell"
    assert (tmp_path / "out" / "filmstrip.png").is_file()
    assert any((tmp_path / "out").rglob("*.json")), "the COCO export is missing"


def _flat_colour_clip(ffmpeg: str, path: Path, *, frames: int = 16) -> Path:
    """Flat shapes on a flat background, losslessly encoded (the fake segments exact colours)."""
    height, width = 120, 160
    video = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        frame = video[t]
        frame[:] = (90, 90, 90)
        frame[30:70, 10 + 2 * t : 50 + 2 * t] = (220, 40, 40)
        yy, xx = np.ogrid[:height, :width]
        frame[(yy - (40 + t)) ** 2 + (xx - 115) ** 2 <= 18**2] = (40, 200, 60)
        frame[85:110, 60:130] = (40, 60, 220)
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", "8", "-i", "-",
        "-c:v", "libx264", "-pix_fmt", "yuv444p", "-qp", "0", str(path),
    ]  # fmt: skip
    subprocess.run(command, input=video.tobytes(), check=True, timeout=60)
    return path


@pytest.mark.slow
def test_replicate_notebook_runs_against_the_local_server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_replicate: Any,
    ffmpeg_exe: str,
) -> None:
    clip = _flat_colour_clip(ffmpeg_exe, tmp_path / "shapes.mp4")
    monkeypatch.setenv("SAM2_AUTOTRACK_NOTEBOOK_VIDEO", str(clip))
    monkeypatch.setenv("SAM2_AUTOTRACK_NOTEBOOK_OUT", str(tmp_path / "out"))
    notebook = _execute(ROOT / "notebooks" / "02_replicate.ipynb", cwd=tmp_path)
    assert _images(notebook) >= 5
    printed = _stdout(notebook)
    assert fake_replicate.url in printed, "the notebook must talk to REPLICATE_BASE_URL"
    assert fake_replicate.creates == 2, "one meta/sam-2 and one meta/sam-2-video prediction"
    assert any((tmp_path / "out").rglob("*.json")), "the COCO export is missing"
