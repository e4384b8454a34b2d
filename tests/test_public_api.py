"""The top level is curated: the facade, results, options, click models and the error tree."""

import importlib
import inspect
import pkgutil

import pytest

import sam2_autotrack

SUBPACKAGES = [
    "backends",
    "backends.local",
    "backends.replicate",
    "cli",
    "evaluation",
    "export",
    "masks",
    "prompts",
    "rediscovery",
    "run",
    "seeds",
    "selection",
    "testing",
    "video",
    "viz",
]


def test_all_is_sorted_unique_and_small() -> None:
    names = [n for n in sam2_autotrack.__all__ if n != "__version__"]
    assert names == sorted(names)
    assert len(set(sam2_autotrack.__all__)) == len(sam2_autotrack.__all__)
    assert 40 <= len(names) <= 55, "the top level holds what a pipeline user needs, no more"


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in sam2_autotrack.__all__:
        obj = getattr(sam2_autotrack, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_test_tooling_and_codecs_are_not_at_the_top_level() -> None:
    for name in ("make_clip", "SYNTHETIC_SUITE", "sample_video", "encode_rle", "find_ffmpeg"):
        assert name not in sam2_autotrack.__all__


def test_public_modules_are_the_subpackages_of_each_concern() -> None:
    expected = {"backends", "cli", "clicks", "errors", "evaluation", "export", "masks", "progress"}
    expected |= {"prompts", "rediscovery", "run", "seeds", "selection", "testing", "tracker"}
    expected |= {"video", "viz"}
    for info in pkgutil.iter_modules(sam2_autotrack.__path__):
        if not info.name.startswith("_"):
            assert info.name in expected, f"unexpected public module {info.name}"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_each_subpackage_has_a_sorted_documented_face(name: str) -> None:
    module = importlib.import_module(f"sam2_autotrack.{name}")
    assert (module.__doc__ or "").strip(), f"sam2_autotrack.{name} has no docstring"
    public = list(module.__all__)
    assert public == sorted(public, key=lambda n: (not n.isupper(), n)) or public == sorted(public)
    for attr in public:
        assert hasattr(module, attr), f"sam2_autotrack.{name}.{attr} is listed but missing"


def test_error_tree_roots_at_autotrack_error() -> None:
    for name in sam2_autotrack.__all__:
        obj = getattr(sam2_autotrack, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, sam2_autotrack.AutotrackError), name
    assert issubclass(sam2_autotrack.ConfigError, ValueError)
