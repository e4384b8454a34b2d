"""Griffe extension: give every pydantic option model the signature its constructor really has.

pydantic generates ``__init__`` at run time, so a static reader sees only ``BaseModel``'s
``(**data: Any)`` and the reference would show neither a field's type nor its default. After
``griffe_pydantic`` has marked the fields (and set each field's ``value`` to its default, also for
``Field(default=...)``), this extension adds an ``__init__`` taking every field as a keyword-only
parameter with its annotation and default, so the rendered signature reads
``SelectionOptions(*, min_area: int | None = None, ...)``. The fields' descriptions stay in the
class docstring's "Attributes" section.
"""

from __future__ import annotations

from typing import Any

import griffe


class OptionsSignature(griffe.Extension):
    """Add a keyword-only ``__init__`` built from the fields to each pydantic model."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the loaded package once, after griffe_pydantic has labelled the fields."""
        self._walk(pkg)

    def _walk(self, module: griffe.Module) -> None:
        for cls in module.classes.values():
            if not cls.is_alias and "pydantic-model" in cls.labels:
                self._add_init(cls)
        for sub in module.modules.values():
            if not sub.is_alias:
                self._walk(sub)

    @staticmethod
    def _add_init(cls: griffe.Class) -> None:
        for member in cls.members.values():
            # griffe_pydantic takes ``_valid = field_validator(...)(check)`` for a field; pydantic
            # never makes an underscore name a field.
            if not member.is_alias and member.name.startswith("_"):
                member.labels.discard("pydantic-field")
        fields = [
            member
            for member in cls.all_members.values()
            if not member.is_alias and "pydantic-field" in member.labels
        ]
        if not fields or "__init__" in cls.members:
            return
        parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for field in fields:
            parameters.append(
                griffe.Parameter(
                    field.name,
                    annotation=field.annotation,
                    kind=griffe.ParameterKind.keyword_only,
                    default=field.value,
                )
            )
        init = griffe.Function(
            "__init__",
            lineno=cls.lineno,
            endlineno=cls.lineno,
            parameters=griffe.Parameters(*parameters),
            returns="None",
        )
        cls.set_member("__init__", init)
