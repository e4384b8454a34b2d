import importlib
import inspect
import pkgutil

import sam2_autotrack


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in sam2_autotrack.__all__ if n != "__version__"]
    assert names == sorted(names)
    assert len(set(sam2_autotrack.__all__)) == len(sam2_autotrack.__all__)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in sam2_autotrack.__all__:
        obj = getattr(sam2_autotrack, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_public_objects_claim_the_package_namespace() -> None:
    # One public subpackage per concern; anything else at the top is private (``_``).
    expected = {
        "backends",
        "cli",
        "clicks",
        "errors",
        "evaluation",
        "export",
        "masks",
        "progress",
        "run",
        "seeds",
        "selection",
        "testing",
        "tracker",
        "video",
        "viz",
    }
    for info in pkgutil.iter_modules(sam2_autotrack.__path__):
        if not info.name.startswith("_"):
            assert info.name in expected, f"unexpected public module {info.name}"
            importlib.import_module(f"sam2_autotrack.{info.name}")


def test_error_tree_roots_at_autotrack_error() -> None:
    for name in sam2_autotrack.__all__:
        obj = getattr(sam2_autotrack, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, sam2_autotrack.AutotrackError), name
