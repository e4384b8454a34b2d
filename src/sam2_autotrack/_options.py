"""The base of every options object: frozen, no unknown fields, invalid values raise ConfigError.

Options objects (``SelectionOptions``, ``SeedOptions``, ``ExportOptions``, ...) are small frozen
pydantic models, in the spirit of httpx's ``Timeout`` and ``Limits``: each groups the settings of
one concern, validates them when it is built, before any work, and is recorded as JSON in the run
manifest. A bad value raises [`ConfigError`][sam2_autotrack.ConfigError] with one line naming the
option, the value given and what it takes — never a raw pydantic ``ValidationError``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import Self

from sam2_autotrack.errors import ConfigError

__all__ = ["Options", "config_error"]


def config_error(exc: ValidationError, owner: str) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one readable ConfigError line.

    Parameters
    ----------
    exc
        The validation error.
    owner
        What was being configured (``"SelectionOptions"``), named at the start of the message.

    Returns
    -------
    ConfigError
        ``"invalid SelectionOptions: max_objects=0: must be >= 1; ..."``.
    """
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "value"
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        if error["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown option (check the spelling against the docs)")
        elif "input" in error and error["type"] != "missing":
            parts.append(f"{where}={error['input']!r}: {message}")
        else:
            parts.append(f"{where}: {message}")
    return ConfigError(f"invalid {owner}: " + "; ".join(parts))


class Options(BaseModel):
    """Base of the library's option objects: frozen, strict about unknown fields.

    Invalid values raise [`ConfigError`][sam2_autotrack.ConfigError] (also a ``ValueError``), both
    from the constructor and from `replace`.

    Examples
    --------
    >>> class Demo(Options):
    ...     level: int = 1
    >>> Demo(level=2).replace(level=3)
    Demo(level=3)
    >>> Demo(levle=2)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid Demo: levle: unknown option (check the spelling ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise config_error(exc, type(self).__name__) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise ConfigError(
            f"{type(self).__name__} is frozen; build a changed copy with "
            f".replace({name}=...) instead of assigning {name}"
        )

    @classmethod
    def coerce(cls, value: Self | dict[str, Any] | None) -> Self | None:
        """Return ``value`` as this options type: itself, built from a mapping, or ``None``.

        Parameters
        ----------
        value
            An instance of this type, a dict of its fields, or ``None``.

        Returns
        -------
        Self or None
            ``value`` itself when it is an instance or ``None``; else a new, validated instance.

        Raises
        ------
        ConfigError
            When ``value`` is neither ``None``, an instance nor a mapping of valid fields.
        """
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(**value)
        raise ConfigError(
            f"expected {cls.__name__} (or a dict of its fields); got {type(value).__name__}"
        )

    def replace(self, **changes: Any) -> Self:
        """Return a copy with ``changes`` applied and validated (the original is unchanged).

        Parameters
        ----------
        **changes
            New values of fields, by name.

        Returns
        -------
        Self
            The changed copy.

        Raises
        ------
        ConfigError
            An unknown field or an invalid value.
        """
        return type(self)(**{**self.model_dump(), **changes})
