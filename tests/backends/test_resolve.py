"""`resolve_backend` turns a name into a backend; `close_backend` closes what holds connections."""

from __future__ import annotations

import ast
import io
from pathlib import Path
from typing import Any

import pytest

from sam2_autotrack import ConfigError, LocalBackend, ReplicateBackend
from sam2_autotrack.backends.resolve import close_backend, resolve_backend

RESOLVE = Path(__file__).resolve().parents[2] / "src" / "sam2_autotrack" / "backends" / "resolve.py"


def test_names_become_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    stream = io.StringIO()
    assert isinstance(resolve_backend("local", stream=stream), LocalBackend)
    assert stream.getvalue() == ""
    assert isinstance(resolve_backend("auto", stream=stream), LocalBackend)
    assert "no REPLICATE_API_TOKEN set" in stream.getvalue()
    replicate = resolve_backend(
        "auto", api_token="r8_test", replicate_options={"timeouts": {"prediction": 5.0}}
    )
    assert isinstance(replicate, ReplicateBackend)
    replicate.close()


def test_a_backend_instance_is_returned_as_is() -> None:
    backend = LocalBackend()
    assert resolve_backend(backend) is backend


@pytest.mark.parametrize("choice", ["gpu", "", object(), 3])
def test_anything_else_is_a_config_error(choice: Any) -> None:
    with pytest.raises(ConfigError, match="'auto', 'local', 'replicate' or a Backend"):
        resolve_backend(choice)


def test_close_backend_closes_only_what_can_be_closed() -> None:
    class Closable:
        closed = 0

        def close(self) -> None:
            self.closed += 1

    closable = Closable()
    close_backend(closable)  # type: ignore[arg-type]
    assert closable.closed == 1
    close_backend(LocalBackend())  # no close(): nothing to do


def test_the_replicate_backend_is_imported_only_when_chosen() -> None:
    top_level = [
        node.module
        for node in ast.parse(RESOLVE.read_text()).body
        if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert not [m for m in top_level if "replicate" in m or "local" in m], top_level
