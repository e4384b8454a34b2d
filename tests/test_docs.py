"""The documentation site builds with ``mkdocs build --strict`` and documents every public name."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sam2_autotrack
from sam2_autotrack import viz

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason='the docs extra is not installed: pip install -e ".[docs]"')
pytest.importorskip("mkdocstrings_handlers.python", reason="mkdocstrings[python] is not installed")
pytest.importorskip("material", reason="mkdocs-material is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


@pytest.mark.slow
def test_every_page_is_built(site: Path) -> None:
    for page in ("index", "concepts", "notebooks", "troubleshooting", "api", "viz", "cli"):
        path = site / "index.html" if page == "index" else site / page / "index.html"
        assert path.is_file(), f"{page} page missing"


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site: Path) -> None:
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    missing = [
        name
        for name in sam2_autotrack.__all__
        if not name.startswith("_") and f'id="sam2_autotrack.{name}"' not in api
    ]
    assert not missing, f"not in the API reference: {missing}"
    viz_page = (site / "viz" / "index.html").read_text(encoding="utf-8")
    missing = [name for name in viz.__all__ if f'id="sam2_autotrack.viz.{name}"' not in viz_page]
    assert not missing, f"not in the viz reference: {missing}"


@pytest.mark.slow
def test_cli_reference_holds_the_live_help(site: Path) -> None:
    page = html.unescape((site / "cli" / "index.html").read_text(encoding="utf-8"))
    assert "<!-- cli-help" not in page
    for command in ("track", "demo", "export", "eval"):
        assert f"usage: sam2-autotrack {command}" in page, f"no help for {command}"
