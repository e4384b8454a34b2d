"""The documentation site builds with ``mkdocs build --strict`` and documents every public name."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sam2_autotrack

ROOT = Path(__file__).resolve().parents[1]
# The top level's names are spread over these pages, the tracker first and the errors last.
TOP_LEVEL_PAGES = ("tracker", "results", "options", "clicks", "engines", "errors")
# One reference page per public subpackage face.
REFERENCE_PAGES: dict[str, str | tuple[str, ...]] = {
    "backends": "sam2_autotrack.backends",
    "backends-local": "sam2_autotrack.backends.local",
    "backends-replicate": "sam2_autotrack.backends.replicate",
    "backends-split": "sam2_autotrack.backends.replicate.split",
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
    pages += ["reference"] + [f"reference/{name}" for name in TOP_LEVEL_PAGES]
    pages += [f"reference/{name}" for name in REFERENCE_PAGES]
    for page in pages:
        path = site / "index.html" if page == "index" else site / page / "index.html"
        assert path.is_file(), f"{page} page missing"


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site: Path) -> None:
    api = "".join(
        (site / "reference" / page / "index.html").read_text(encoding="utf-8")
        for page in TOP_LEVEL_PAGES
    )
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
    page = (site / "cli" / "index.html").read_text(encoding="utf-8")
    plain = html.unescape(re.sub(r"<[^>]+>", "", page))
    blocks = plain.split("$ sam2-autotrack")[1:]
    assert len(blocks) == 5
    for block in blocks:
        end = "command again to resume)"
        assert end in block, "every help ends with the exit codes"
        wide = [line for line in block[: block.index(end)].splitlines() if len(line) > 80]
        assert not wide, wide


@pytest.mark.slow
def test_option_classes_show_each_fields_type_and_default(site: Path) -> None:
    page = html.unescape((site / "reference" / "options" / "index.html").read_text("utf-8"))
    plain = re.sub(r"<[^>]+>", "", page)
    assert "max_objects: int = 10" in plain
    assert "dedupe_iou: float = 0.88" in plain
    assert "**data" not in plain
    assert "Attributes" in plain


@pytest.mark.slow
def test_combined_docstring_entries_do_not_borrow_a_type(site: Path) -> None:
    results = html.unescape((site / "reference" / "results" / "index.html").read_text("utf-8"))
    plain = re.sub(r"<[^>]+>", "", results)
    assert re.search(r"selection\s*\(\s*Selection \| None", plain), "selection type"
    evaluation = html.unescape(
        (site / "reference" / "evaluation" / "index.html").read_text("utf-8")
    )
    assert not re.search(r"bound_th\s*\(\s*ObjectsMode", re.sub(r"<[^>]+>", "", evaluation))


def test_pictures_the_pages_show_exist_and_are_small() -> None:
    shown = [
        (page, match)
        for page in sorted((ROOT / "docs").rglob("*.md"))
        for match in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8"))
    ]
    assert any(page.name == "notebooks.md" for page, _ in shown), "the notebooks page shows none"
    for page, target in shown:
        path = (page.parent / target).resolve()
        assert path.is_file(), f"{page.name} shows {target}, which does not exist"
        assert path.stat().st_size < 200_000, f"{target} is over 200 KB"
