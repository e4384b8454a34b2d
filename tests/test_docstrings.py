"""Every public callable documents its parameters and its return value (numpy docstring sections).

Fast: no site build. The walk starts from ``sam2_autotrack.__all__`` and the ``__all__`` of every
public subpackage face, and visits functions, public classes' constructors and public methods
(inherited ones once, on the class that defines them) and properties. It reads each object's own
``__doc__``, as the documentation site does: an override without a docstring shows no docs there,
whatever its base says.

Rules:

- every parameter except ``self``/``cls`` is named in a ``Parameters`` (or ``Other Parameters``)
  section; ``*args``/``**kwargs`` are named there as a group (``**fields``);
- a constructor's parameters may instead be named in the class's ``Attributes`` (a dataclass's
  fields are its constructor's parameters);
- a function or method returning something other than ``None`` has a ``Returns`` or ``Yields``
  section;
- a property has a docstring (numpydoc documents a property like an attribute: no sections);
- a function that itself raises one of the library's errors (``raise SomeError(...)`` in its body)
  names it, or a base of it, in a ``Raises`` section.

Pydantic machinery (``model_*`` methods, validators) and option models' generated constructors
(their fields are documented under ``Attributes`` and checked by ``tests/test_docs.py``) are not
walked.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pydantic

import sam2_autotrack
from sam2_autotrack import errors

PACKAGE = "sam2_autotrack"
SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}$", re.MULTILINE)
NONE_RETURNS = {"None", "NoReturn", "Never"}
LIBRARY_ERRORS = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, BaseException)
}


def faces() -> list[ModuleType]:
    """Return the top level and every public subpackage."""
    found = [sam2_autotrack]
    for info in pkgutil.walk_packages(sam2_autotrack.__path__, f"{PACKAGE}."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            found.append(importlib.import_module(info.name))
    return found


def sections(doc: str) -> dict[str, str]:
    """Split a numpy docstring into its sections, title → body."""
    parts = SECTION.split(doc)
    found = {"": parts[0]}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        found[title.strip()] = body
    return found


def entry_names(body: str) -> set[str]:
    """Return the names a Parameters-like section documents; ``a, b : int`` names both."""
    names: set[str] = set()
    for line in body.splitlines():
        if not line or line[0].isspace():
            continue
        head = line.split(" : ", 1)[0]
        names.update(part.strip().lstrip("*") for part in head.split(","))
    return names


def own_doc(obj: Any) -> str:
    """Return the object's own docstring, dedented (no inheritance from a base class's method)."""
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def is_library(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "") or "").startswith(PACKAGE)


def is_pydantic_model(cls: type) -> bool:
    return issubclass(cls, pydantic.BaseModel)


def raised_library_errors(func: Callable[..., Any]) -> set[str]:
    """Return the library errors the function's own body raises by name."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return set()
    tree = ast.parse(source)
    body = tree.body[0]
    found: set[str] = set()
    todo = list(ast.iter_child_nodes(body))
    while todo:
        node = todo.pop()
        # Raises inside nested functions and classes belong to them.
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in LIBRARY_ERRORS:
                found.add(target.id)
        todo.extend(ast.iter_child_nodes(node))
    return found


def documented_errors(doc_sections: dict[str, str]) -> set[str]:
    """Return the error names a Raises section lists, with every library base of each."""
    names = entry_names(doc_sections.get("Raises", ""))
    covered: set[str] = set()
    for name in names:
        name = name.split(".")[-1]
        covered.add(name)
        cls = getattr(errors, name, None)
        if inspect.isclass(cls):
            covered.update(sub for sub in LIBRARY_ERRORS if issubclass(getattr(errors, sub), cls))
    return covered


def check_function(
    func: Callable[..., Any], where: str, *, bound: bool, extra_doc: str = ""
) -> list[str]:
    """Return the gaps in one function's docstring; ``bound`` skips self/cls."""
    doc = own_doc(func)
    if not doc:
        return [f"{where}: no docstring"]
    found = sections(doc + ("\n\n" + extra_doc if extra_doc else ""))
    named = set()
    for title in ("Parameters", "Other Parameters", "Attributes"):
        named |= entry_names(found.get(title, ""))
    gaps = []
    signature = inspect.signature(func, eval_str=False)
    params = list(signature.parameters.values())[1 if bound else 0 :]
    missing = [p.name for p in params if p.name not in named]
    if missing:
        gaps.append(f"{where}: parameters not documented: {', '.join(missing)}")
    returns = signature.return_annotation
    if (
        func.__name__ != "__init__"
        and returns is not inspect.Signature.empty
        and str(returns) not in NONE_RETURNS
        and "Returns" not in found
        and "Yields" not in found
    ):
        gaps.append(f"{where}: returns {returns} but has no Returns section")
    undocumented = raised_library_errors(func) - documented_errors(found)
    if undocumented:
        gaps.append(f"{where}: raises {', '.join(sorted(undocumented))} without a Raises entry")
    return gaps


def check_class(cls: type, where: str, seen: set[int]) -> Iterator[str]:
    # The constructor: a hand-written or dataclass-generated __init__ (option models and
    # exceptions without their own __init__ have nothing to document).
    init = cls.__dict__.get("__init__")
    if (
        init is not None
        and inspect.isfunction(init)
        and not is_pydantic_model(cls)
        and id(init) not in seen
    ):
        seen.add(id(init))
        class_doc = own_doc(cls)
        if dataclasses.is_dataclass(cls) or not own_doc(init):
            # Documented on the class (merged into the class heading on the site).
            gaps = check_function(init, f"{where}()", bound=True, extra_doc=class_doc)
            yield from (g for g in gaps if not g.endswith("no docstring"))
            if not class_doc:
                yield f"{where}: no docstring"
        else:
            yield from check_function(init, f"{where}.__init__", bound=True, extra_doc=class_doc)
    elif not own_doc(cls):
        yield f"{where}: no docstring"
    pydantic_names: set[str] = set()
    if is_pydantic_model(cls):
        decorators = cls.__pydantic_decorators__  # type: ignore[attr-defined]
        for group in ("validators", "field_validators", "model_validators", "serializers"):
            pydantic_names |= set(getattr(decorators, group, {}))
        pydantic_names |= set(getattr(decorators, "field_serializers", {}))
        pydantic_names |= set(getattr(decorators, "model_serializers", {}))
    for owner in cls.__mro__:
        if not is_library(owner):
            continue
        for name, raw in vars(owner).items():
            if name.startswith("_") or name in pydantic_names:
                continue
            if isinstance(raw, property):
                if id(raw) in seen:
                    continue
                seen.add(id(raw))
                if not own_doc(raw.fget) and not own_doc(raw):
                    yield f"{owner.__qualname__}.{name}: property has no docstring"
                continue
            bound = True
            func = raw
            if isinstance(raw, staticmethod):
                func, bound = raw.__func__, False
            elif isinstance(raw, classmethod):
                func = raw.__func__
            if not inspect.isfunction(func) or not is_library(func) or id(func) in seen:
                continue
            seen.add(id(func))
            yield from check_function(func, f"{owner.__module__}.{func.__qualname__}", bound=bound)


def docstring_gaps() -> list[str]:
    """Return every gap in the public API's docstrings, one line each."""
    gaps: list[str] = []
    seen: set[int] = set()
    for face in faces():
        for name in face.__all__:
            obj = getattr(face, name)
            where = f"{face.__name__}.{name}"
            if inspect.isclass(obj):
                if not is_library(obj) or id(obj) in seen:
                    continue
                seen.add(id(obj))
                gaps.extend(check_class(obj, where, seen))
            elif inspect.isfunction(obj) and is_library(obj) and id(obj) not in seen:
                seen.add(id(obj))
                gaps.extend(check_function(obj, where, bound=False))
    return gaps


def test_the_walk_reaches_the_top_level_and_the_subpackage_faces() -> None:
    names = {face.__name__ for face in faces()}
    assert {PACKAGE, f"{PACKAGE}.masks", f"{PACKAGE}.backends.replicate.split"} <= names
    assert not any("._" in name for name in names)


def test_section_parser_reads_numpy_sections() -> None:
    doc = inspect.cleandoc(
        """Summary.

        Parameters
        ----------
        a, b : int
            Two.
        **fields
            The rest.

        Returns
        -------
        int
            The sum.
        """
    )
    found = sections(doc)
    assert set(found) == {"", "Parameters", "Returns"}
    assert entry_names(found["Parameters"]) == {"a", "b", "fields"}


def test_the_checker_finds_each_kind_of_gap() -> None:
    def undocumented(frames: int, *, per_object: bool = False) -> int:
        """Count frames.

        Parameters
        ----------
        frames
            How many.
        """
        if frames < 0:
            raise errors.ConfigError("frames must be >= 0")
        return frames

    gaps = check_function(undocumented, "f", bound=False)
    assert len(gaps) == 2
    assert "per_object" in gaps[0]
    assert "Returns" in gaps[1]


def test_raised_library_errors_are_found_and_a_base_covers_them() -> None:
    from sam2_autotrack.errors import ClickError, MaskError

    def raising(x: int) -> None:
        """Raise.

        Parameters
        ----------
        x
            A value.

        Raises
        ------
        AutotrackError
            Always.
        """

        def inner() -> None:
            raise ClickError("belongs to inner")

        if x:
            raise MaskError("bad mask")
        raise ValueError("not a library error")

    assert raised_library_errors(raising) == {"MaskError"}
    assert check_function(raising, "f", bound=False) == []
    covered = documented_errors(sections("x\n\nRaises\n------\nMaskError\n    Why."))
    assert "MaskSizeError" in covered
    assert "ConfigError" not in covered


def test_every_public_callable_documents_its_parameters_and_returns() -> None:
    gaps = docstring_gaps()
    assert not gaps, f"{len(gaps)} docstring gaps:\n" + "\n".join(gaps)
