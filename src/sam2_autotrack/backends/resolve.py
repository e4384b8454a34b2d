"""Turn ``"auto" | "local" | "replicate"`` into a backend, and close backends that hold connections.

The Replicate backend is imported only when it is chosen, so code that uses the embedded engine
never loads ``replicate`` or ``httpx``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, TextIO

from sam2_autotrack.backends.base import Backend
from sam2_autotrack.errors import ConfigError, MissingTokenError
from sam2_autotrack.progress import note

__all__ = ["BackendChoice", "close_backend", "resolve_backend"]

BackendChoice = Literal["auto", "local", "replicate"]
"""``"auto"``: Replicate when a token is set, else the embedded CPU engine."""


def resolve_backend(
    choice: Backend | BackendChoice,
    *,
    api_token: str | None = None,
    replicate_options: Mapping[str, Any] | None = None,
    stream: TextIO | None = None,
) -> Backend:
    """Turn ``"auto" | "local" | "replicate"`` (or a ready backend) into a backend.

    ``"auto"`` uses Replicate when a token is given or ``REPLICATE_API_TOKEN`` is set, and the
    embedded CPU engine otherwise — saying so on ``stream`` (default stderr).
    ``replicate_options`` are the keyword arguments of
    [`ReplicateBackend`][sam2_autotrack.ReplicateBackend] (option objects or dicts, e.g.
    ``{"image_inputs": {"use_m2m": False}, "timeouts": {"prediction": 600}}``), used when it is
    chosen. A [`Backend`][sam2_autotrack.Backend] instance is returned as is.

    Raises
    ------
    ConfigError
        ``choice`` is neither a known name nor a backend.
    MissingTokenError
        ``"replicate"`` was asked for but no token is given or set (checked before any work).

    Examples
    --------
    >>> resolve_backend("local").name
    'local'
    """
    if not isinstance(choice, str):
        if not isinstance(choice, Backend):
            raise ConfigError(
                f"backend must be 'auto', 'local', 'replicate' or a Backend instance; got "
                f"{type(choice).__name__}"
            )
        return choice
    if choice not in ("auto", "local", "replicate"):
        raise ConfigError(
            f"unknown backend {choice!r}; use 'auto', 'local', 'replicate' or a Backend instance"
        )
    token = api_token or os.environ.get("REPLICATE_API_TOKEN") or None
    options = dict(replicate_options or {})
    if choice == "replicate" and token is None and options.get("client") is None:
        # Checked here, before any frame is read or any folder written.
        raise MissingTokenError(
            "backend 'replicate' needs a Replicate API token: set REPLICATE_API_TOKEN (see "
            "https://replicate.com/account/api-tokens) or pass api_token=..., or use "
            "backend='local' for the embedded CPU engine"
        )
    if choice == "replicate" or (choice == "auto" and token):
        from sam2_autotrack.backends.replicate.backend import ReplicateBackend

        return ReplicateBackend(api_token=token, **options)
    from sam2_autotrack.backends.local.backend import LocalBackend

    if choice == "auto":
        note(
            "no REPLICATE_API_TOKEN set: using the embedded CPU engine (backend='local'); set the "
            "token or pass backend='replicate' to use hosted SAM 2",
            stream=stream,
        )
    return LocalBackend()


def close_backend(backend: Backend) -> None:
    """Close ``backend``'s connections if it has any (a ``close()`` method); else do nothing.

    Examples
    --------
    >>> close_backend(resolve_backend("local"))  # the local engine holds no connections
    """
    close = getattr(backend, "close", None)
    if callable(close):
        close()
