"""The offline heart (video, masks, selection, seeds, clicks) never imports the Replicate client."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sam2_autotrack"
OFFLINE = ["_video", "_mask_io", "_selection", "_seeds", "_clicks", "_mask_cleanup", "_fs"]


def _imports(module: str) -> set[str]:
    """Absolute names imported by ``module``; package-relative ones as ``.name``."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("." + (node.module or ""))
            else:
                names.add(node.module or "")
    return names


def _closure(module: str) -> tuple[set[str], set[str]]:
    """Package modules reachable from ``module`` and every third-party name they import."""
    seen: set[str] = set()
    external: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name in _imports(current):
            if name.startswith("."):
                target = name[1:].split(".")[0]
                if target and (PACKAGE / f"{target}.py").is_file():
                    todo.append(target)
            else:
                external.add(name.split(".")[0])
    return seen, external


@pytest.mark.parametrize("module", OFFLINE)
def test_offline_modules_do_not_reach_the_replicate_client(module: str) -> None:
    modules, external = _closure(module)
    assert "replicate" not in external, f"{module} imports replicate"
    assert "httpx" not in external, f"{module} imports httpx"
    reached = {"_replicate_backend", "_replicate_client"} & modules
    assert not reached, f"{module} reaches {sorted(reached)}"


def test_the_checker_sees_a_real_dependency() -> None:
    modules, external = _closure("_replicate_backend")
    assert "replicate" in external
    assert {"_mask_io", "_replicate_client"} <= modules
