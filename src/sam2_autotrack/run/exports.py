"""The exports of a run: `export_run` writes them and records them in the run's manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sam2_autotrack.errors import ConfigError, ExportError
from sam2_autotrack.export.bundle import write_exports
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.run.folder import is_incomplete
from sam2_autotrack.run.manifest import MANIFEST_NAME, add_files
from sam2_autotrack.run.result import TrackResult

__all__ = ["export_run"]


def export_run(
    result: TrackResult,
    out_dir: str | Path | None = None,
    options: ExportOptions | dict[str, Any] | None = None,
    *,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Path]:
    """Write the exports ``options`` ask for; return the files written.

    Delegates to [`write_exports`][sam2_autotrack.export.write_exports]. When the exports go into
    the result's own finished run folder (``out_dir`` is ``result.run_dir``, the default), they
    are added to its manifest's file list; everything else the run recorded stays as it was
    ([`add_files`][sam2_autotrack.run.add_files]).

    Parameters
    ----------
    result
        A tracking result (from [`AutoTracker.track`][sam2_autotrack.AutoTracker.track] or
        [`load_run`][sam2_autotrack.run.load_run]).
    out_dir
        Where to write; default the result's run folder.
    options
        An [`ExportOptions`][sam2_autotrack.export.ExportOptions] or a dict of its fields.
    progress
        A [`ProgressCallback`][sam2_autotrack.ProgressCallback], called as ``("export", done,
        total)`` per frame written (see [`write_exports`][sam2_autotrack.export.write_exports]).

    Returns
    -------
    list[pathlib.Path]
        The files written, in the order they were written.

    Raises
    ------
    ConfigError
        Invalid options, or no ``out_dir`` for a result that has no run folder.
    ExportError
        A video export is asked for but the source video is missing, or ``out_dir`` holds an
        incomplete (interrupted) run.
    """
    chosen = ExportOptions.coerce(options) or ExportOptions()
    out = Path(out_dir) if out_dir is not None else result.run_dir
    if out is None:
        raise ConfigError(
            "out_dir is needed: this result has no run folder; pass export_run(result, out_dir)"
        )
    if is_incomplete(out):
        raise ExportError(
            f"{out} holds an incomplete run (interrupted or failed before it finished); run the "
            "same `sam2-autotrack track` command again to resume it, then export"
        )
    written = write_exports(result, out, chosen, progress=progress)
    own_folder = result.run_dir is not None and out.resolve() == result.run_dir.resolve()
    if written and own_folder and (out / MANIFEST_NAME).is_file():
        # only the file list changes: what the run recorded stays as it was
        add_files(out, written)
    return written
