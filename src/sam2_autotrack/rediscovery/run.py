"""Track with re-discovery: the frame-0 objects, plus the objects keyframes find, on any backend.

[`track_rediscovering`][sam2_autotrack.rediscovery.track_rediscovering] picks the path: the embedded
engine re-discovers natively while it tracks
([`KeyframeSearch`][sam2_autotrack.rediscovery.KeyframeSearch] as its ``discover`` callback: the
live masks on each keyframe are the engine's own); any other backend tracks the frame-0 objects
first and then gets the later objects in a few more calls
([`rediscover_hosted`][sam2_autotrack.rediscovery.rediscover_hosted]).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import Backend, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.rediscovery.hosted import rediscover_hosted
from sam2_autotrack.rediscovery.keyframe import KeyframeSearch
from sam2_autotrack.rediscovery.options import RediscoveryOptions
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions

__all__ = ["track_objects", "track_rediscovering"]


def track_rediscovering(
    backend: Backend,
    video: Path,
    clicks: ClickSet,
    *,
    options: RediscoveryOptions,
    selection: SelectionOptions,
    seeds: SeedOptions,
    fps: float | None,
    work_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    initial_masks: Mapping[str, NDArray[np.bool_]] | None = None,
) -> tuple[ObjectTracks, ClickSet]:
    """Track ``clicks``' objects through ``video`` and the objects that appear later.

    Parameters
    ----------
    backend
        The engine.
    video
        The clip.
    clicks
        The frame-0 objects' clicks.
    options
        When and how to look
        ([`RediscoveryOptions`][sam2_autotrack.rediscovery.RediscoveryOptions]).
    selection, seeds
        The run's selection rules and seed options, applied to every keyframe.
    fps
        The clip's frame rate (for ``every="auto"``).
    work_dir, progress
        As for the backend's ``track``.
    initial_masks
        The embedded engine's known frame-0 regions (prompted objects), as its ``track`` takes.

    Returns
    -------
    tuple
        The tracks (every object; ``info["first_frames"]``, ``info["scene_cuts"]``,
        ``info["rediscovered"]``) and the click set of every object, the new ones' clicks on the
        keyframe each was first seeded on.
    """
    every = options.frames_between(fps)
    search = KeyframeSearch(
        backend,
        selection=selection,
        seeds=seeds,
        options=options,
        known=clicks.object_ids,
        every=every,
        work_dir=work_dir,
        video=video,
    )
    if isinstance(backend, LocalBackend):
        try:
            tracks = backend.track(
                video,
                clicks,
                work_dir=work_dir,
                progress=progress,
                initial_masks=initial_masks or None,
                discover=search,
                every=every,
            )
        finally:
            search.close()
        tracks = _with_proposal_time(tracks, search.proposal_seconds)
        found = (
            ClickSet.build(search.clicks, resolution_wh=clicks.resolution_wh)
            if search.clicks
            else None
        )
    else:
        first = backend.track(video, clicks, work_dir=work_dir, progress=progress)
        tracks, found = rediscover_hosted(
            backend, video, first, search, every=every, work_dir=work_dir, progress=progress
        )
    if found is None:
        return tracks, clicks
    return tracks, ClickSet.build([*clicks, *found], resolution_wh=clicks.resolution_wh)


def _with_proposal_time(tracks: ObjectTracks, seconds: float) -> ObjectTracks:
    import dataclasses

    info = {**dict(tracks.info), "keyframe_proposal_seconds": round(seconds, 4)}
    return dataclasses.replace(tracks, info=info)


def track_objects(
    backend: Backend,
    video: Path,
    clicks: ClickSet,
    *,
    regions: Mapping[str, NDArray[np.bool_]],
    rediscovery: RediscoveryOptions | None,
    selection: SelectionOptions,
    seeds: SeedOptions,
    fps: float | None,
    work_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ObjectTracks, ClickSet]:
    """Track ``clicks``' objects, and with ``rediscovery`` the later ones too.

    Parameters
    ----------
    backend
        The engine.
    video
        The clip.
    clicks
        The frame-0 objects' clicks.
    regions
        Known frame-0 masks (prompted objects) the embedded engine starts from.
    rediscovery
        Re-discovery options, or ``None`` (off).
    selection, seeds
        The run's selection rules and seed options (for keyframes).
    fps
        The clip's frame rate.
    work_dir, progress
        As for the backend's ``track``.

    Returns
    -------
    tuple
        The tracks and the click set of every tracked object
        ([`track_rediscovering`][sam2_autotrack.rediscovery.track_rediscovering]; without
        re-discovery, ``clicks`` itself).
    """
    if rediscovery is not None:
        return track_rediscovering(
            backend, video, clicks, options=rediscovery, selection=selection, seeds=seeds,
            fps=fps, work_dir=work_dir, progress=progress, initial_masks=regions,
        )  # fmt: skip
    if regions and isinstance(backend, LocalBackend):
        tracks = backend.track(
            video, clicks, work_dir=work_dir, progress=progress, initial_masks=regions
        )
    else:
        tracks = backend.track(video, clicks, work_dir=work_dir, progress=progress)
    return tracks, clicks
