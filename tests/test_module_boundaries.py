"""The offline packages never import the Replicate code, and no two modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sam2_autotrack"
OFFLINE = [
    "sam2_autotrack.backends.base",
    "sam2_autotrack.backends.local",
    "sam2_autotrack.clicks",
    "sam2_autotrack.evaluation",
    "sam2_autotrack.export",
    "sam2_autotrack.masks",
    "sam2_autotrack.prompts",
    "sam2_autotrack.run",
    "sam2_autotrack.seeds",
    "sam2_autotrack.selection",
    "sam2_autotrack.testing",
    "sam2_autotrack.video",
    "sam2_autotrack.viz",
]
REMOTE = "sam2_autotrack.backends.replicate"


def _file_of(module: str) -> Path | None:
    """Return the source file of a package module (``a.b`` → ``a/b.py`` or ``a/b/__init__.py``)."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(module: str) -> set[str]:
    """Absolute names imported by ``module`` (relative imports resolved), parents included."""
    path = _file_of(module)
    assert path is not None, module
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    expanded: set[str] = set()
    for name in names:
        parts = name.split(".")
        expanded.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    return expanded


def _direct_package_imports(module: str) -> set[str]:
    return {name for name in _imports(module) if _file_of(name) is not None} - {module}


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
            if name.split(".")[0] != "sam2_autotrack":
                external.add(name.split(".")[0])
            elif name != "sam2_autotrack" and _file_of(name) is not None:
                # The root package is the facade that hands every name on; follow modules.
                todo.append(name)
    return seen, external


def _all_modules() -> list[str]:
    """Every module that is not a package ``__init__`` (those hand names on)."""
    return sorted(_module_of(p) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("module", OFFLINE)
def test_offline_packages_do_not_reach_the_replicate_client(module: str) -> None:
    modules, external = _closure(module)
    assert "replicate" not in external, f"{module} imports replicate"
    assert "httpx" not in external, f"{module} imports httpx"
    reached = sorted(m for m in modules if m.startswith(REMOTE))
    assert not reached, f"{module} reaches {reached}"


def test_the_checker_sees_a_real_dependency() -> None:
    modules, external = _closure("sam2_autotrack.backends.replicate.backend")
    assert "replicate" in external
    assert {"sam2_autotrack.masks.png", "sam2_autotrack.backends.replicate.client"} <= modules


def test_no_two_modules_import_each_other() -> None:
    modules = _all_modules()
    edges = {m: _direct_package_imports(m) for m in modules}
    loops = sorted(
        (a, b) for a in modules for b in edges[a] if a < b and b in edges and a in edges[b]
    )
    assert not loops, f"modules importing each other: {loops}"
