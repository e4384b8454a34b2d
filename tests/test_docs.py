"""The documentation site builds with ``mkdocs build --strict`` and documents every public name."""

from __future__ import annotations

import html
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sam2_autotrack

ROOT = Path(__file__).resolve().parents[1]
# One reference page per public subpackage (the top level is reference/index).
REFERENCE_PAGES: dict[str, str | tuple[str, ...]] = {
    "backends": (
        "sam2_autotrack.backends",
        "sam2_autotrack.backends.local",
        "sam2_autotrack.backends.replicate",
        "sam2_autotrack.backends.replicate.split",
    ),
    "video": "sam2_autotrack.video",
    "masks": "sam2_autotrack.masks",
    "selection": "sam2_autotrack.selection",
    "prompts": "sam2_autotrack.prompts",
    "seeds": "sam2_autotrack.seeds",
    "rediscovery": "sam2_autotrack.rediscovery",
    "export": "sam2_autotrack.export",
    "run": "sam2_autotrack.run",
    "evaluation": "sam2_autotrack.evaluation",
    "viz": "sam2_autotrack.viz",
    "testing": "sam2_autotrack.testing",
}

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
    pages = ["index", "concepts", "choosing-objects", "notebooks", "troubleshooting", "cli"]
    pages += ["reference"]
    pages += [f"reference/{name}" for name in REFERENCE_PAGES]
    for page in pages:
        path = site / "index.html" if page == "index" else site / page / "index.html"
        assert path.is_file(), f"{page} page missing"


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site: Path) -> None:
    api = (site / "reference" / "index.html").read_text(encoding="utf-8")
    missing = [
        name
        for name in sam2_autotrack.__all__
        if not name.startswith("_") and f'id="sam2_autotrack.{name}"' not in api
    ]
    assert not missing, f"not in the API reference: {missing}"
    for page, module in REFERENCE_PAGES.items():
        text = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
        for name in (module,) if isinstance(module, str) else module:
            public = importlib.import_module(name).__all__
            missing = [n for n in public if f'id="{name}.{n}"' not in text]
            assert not missing, f"not on the {page} page: {missing}"


@pytest.mark.slow
def test_cli_reference_holds_the_live_help(site: Path) -> None:
    page = html.unescape((site / "cli" / "index.html").read_text(encoding="utf-8"))
    assert "<!-- cli-help" not in page
    for command in ("track", "demo", "export", "eval"):
        assert f"usage: sam2-autotrack {command}" in page, f"no help for {command}"
