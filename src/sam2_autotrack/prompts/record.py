"""The prompted part of a run folder: ``masks_selected/<id>.png`` and ``prompts.json``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sam2_autotrack._fs import write_json_atomic
from sam2_autotrack.masks.png import write_mask_png
from sam2_autotrack.prompts.objects import PromptedObjects

__all__ = ["PROMPTS_NAME", "write_prompt_stage"]

PROMPTS_NAME = "prompts.json"
"""The run folder's record of the prompts and what they resolved to."""


def write_prompt_stage(
    run_dir: str | Path,
    objects: PromptedObjects,
    *,
    record: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write what prompted objects were made from; return the files written.

    ``masks_selected/<object_id>.png`` holds each object's first mask (on the frame
    ``prompts.json`` names; none for an object made of clicks only) and ``prompts.json`` the
    objects, the notes and the detections, plus ``record`` (the prompts as given, the detector).
    Written atomically.

    Parameters
    ----------
    run_dir
        The run folder (created).
    objects
        The prompted objects.
    record
        Extra entries for ``prompts.json`` (the prompts as given, the detector's record).

    Returns
    -------
    list[pathlib.Path]
        The files written.
    """
    out = Path(run_dir)
    files = [
        write_mask_png(out / "masks_selected" / f"{obj.object_id}.png", obj.mask)
        for obj in objects
        if obj.mask is not None
    ]
    files.append(
        write_json_atomic(out / PROMPTS_NAME, {**dict(record or {}), **objects.to_json_dict()})
    )
    return files
