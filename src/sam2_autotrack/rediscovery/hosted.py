"""Re-discovery for a backend that tracks a whole clip in one go (hosted SAM 2), at bounded cost.

After the frame-0 objects' tracking (today's prediction, unchanged):

1. the scene cuts are found locally ([`find_cuts`][sam2_autotrack.video.find_cuts]) and a
   track that is lost at a cut — empty on the cut frame, or overlapping its mask before the cut
   by less than [`CONTINUES_IOU`][sam2_autotrack.rediscovery.CONTINUES_IOU] — ends there (its
   later masks are emptied: it is another shot);
2. every keyframe is proposed on (``meta/sam-2``, one call per keyframe, run concurrently);
3. in order, each keyframe's picks not covered by the first prediction's masks (nor by the
   objects found on an earlier keyframe of the same shot, carried to it by the embedded engine's
   propagation at a low resolution) are its new objects
   ([`KeyframeSearch`][sam2_autotrack.rediscovery.KeyframeSearch]);
4. each keyframe that found objects gets one more tracking prediction, its upload trimmed to that
   keyframe .. the next cut (all on its first frame, so the union split works as on frame 0);
   they run concurrently — one keyframe adding objects costs exactly one more prediction;
5. a later find that turns out to be an earlier find of the same shot (its track covered by the
   earlier one on its keyframe) is dropped.

The cost report lists every prediction with its purpose (``"keyframe proposals"``,
``"new-objects union"``, ...); with nothing found only the keyframe proposals were added.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import dataclasses
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import Backend, MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.cost import CostReport
from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.local.session import TrackingSession
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.masks.health_meter import health_to_json, measure_health
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.rediscovery.cover import covered, keyframes
from sam2_autotrack.rediscovery.keyframe import KeyframeSearch
from sam2_autotrack.rediscovery.shot import ShotReference
from sam2_autotrack.video.cuts import find_cuts
from sam2_autotrack.video.reader import iter_frames, read_frame

__all__ = ["CONTINUES_IOU", "end_lost_at_cuts", "rediscover_hosted"]

CONTINUES_IOU = 0.3
"""A track continues across a cut only if its masks on either side overlap by this IoU."""


def _iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    union = int(np.count_nonzero(a | b))
    return 0.0 if union == 0 else int(np.count_nonzero(a & b)) / union


def end_lost_at_cuts(
    masks: Mapping[str, MaskSequence], frame_indices: NDArray[np.int64], cuts: list[int]
) -> tuple[dict[str, MaskSequence], dict[str, int]]:
    """End every track that is lost at a cut (see the module docstring).

    Parameters
    ----------
    masks
        ``{object_id: MaskSequence}`` through the clip.
    frame_indices
        Source frame of each mask frame.
    cuts
        Frames that start a new shot.

    Returns
    -------
    tuple
        The sequences (a track that ends has empty masks from its cut on) and, per ended
        object, its last source frame.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((4, 10, 10), bool); a[:2, 2:6, 2:6] = True; a[2:, 6:9, 6:9] = True
    >>> out, last = end_lost_at_cuts({"obj_1": MaskSequence.from_array(a)}, np.arange(4), [2])
    >>> out["obj_1"].areas.tolist(), last
    ([16, 16, 0, 0], {'obj_1': 1})
    """
    indices = [int(i) for i in frame_indices]
    result: dict[str, MaskSequence] = {}
    last: dict[str, int] = {}
    for oid, sequence in masks.items():
        end: int | None = None
        for cut in cuts:
            after = bisect.bisect_left(indices, cut)
            if after == 0 or after >= len(indices):
                continue
            if _iou(sequence[after - 1], sequence[after]) < CONTINUES_IOU:
                end = after
                break
        if end is None:
            result[oid] = sequence
            continue
        last[oid] = indices[end - 1]
        blank = np.zeros(sequence.shape[1:], dtype=bool)
        ended = MaskSequence(sequence.resolution_wh)
        for position in range(len(indices)):
            ended.append(sequence[position] if position < end else blank)
        result[oid] = ended
    return result, last


def _track_kwargs(backend: Backend) -> bool:
    """Whether ``backend.track`` takes ``frames=(start, stop)`` (a trimmed upload)."""
    try:
        return "frames" in inspect.signature(backend.track).parameters
    except (TypeError, ValueError):
        return False


def rediscover_hosted(
    backend: Backend,
    video: Path,
    first: ObjectTracks,
    search: KeyframeSearch,
    *,
    every: int,
    work_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ObjectTracks, ClickSet | None]:
    """Add the objects found on keyframes to ``first`` (see the module docstring).

    Parameters
    ----------
    backend
        The hosted backend (its ``track`` takes ``frames=`` to trim the upload).
    video
        The clip.
    first
        The frame-0 objects' tracks.
    search
        Proposes on keyframes and names the new objects.
    every
        Keyframe spacing in frames (``0``: cuts only).
    work_dir, progress
        As for the backend's ``track``.

    Returns
    -------
    tuple
        The merged tracks (``info``: ``scene_cuts``, ``keyframes``, ``first_frames``,
        ``last_frames``, ``rediscovered``; ``cost``: every prediction) and the new objects'
        clicks (``None`` when none were found).
    """
    indices = first.frame_indices
    positions = {int(f): p for p, f in enumerate(indices.tolist())}
    cuts = find_cuts(iter_frames(video))
    sequences, last_frames = end_lost_at_cuts(first.masks, indices, cuts)
    frames = keyframes(indices.tolist(), every=every, cuts=cuts, at_cuts=search.options.at_cuts)
    info: dict[str, Any] = {
        **dict(first.info),
        "scene_cuts": cuts,
        "scene_cut": cuts[0] if cuts else None,
        "keyframes": frames,
        "first_frames": {oid: 0 for oid in first.masks},
        "last_frames": dict(last_frames),
        "rediscovered": [],
    }
    cost = first.cost
    if not frames:
        return dataclasses.replace(first, masks=sequences, info=_judged(info, sequences)), None

    images = {f: read_frame(video, f) for f in frames}

    with concurrent.futures.ThreadPoolExecutor(
        max_workers=min(8, len(frames)), thread_name_prefix="autotrack-keyframe"
    ) as pool:
        proposed: dict[int, MaskProposals] = dict(
            zip(
                frames,
                pool.map(lambda f: search.propose(images[f], scaled=False), frames),
                strict=True,
            )
        )
    for f in frames:
        cost = cost + CostReport(
            tuple(
                dataclasses.replace(c, purpose="keyframe proposals")
                for c in proposed[f].cost.predictions
            )
        )

    found = _find_in_order(video, proposed, images, sequences, positions, search, every)
    if not found:
        info = _judged(info, sequences)
        return dataclasses.replace(first, masks=sequences, info=info, cost=cost), None

    clicks = ClickSet.build(search.clicks, resolution_wh=first.resolution_wh)
    trims = _track_kwargs(backend)

    def stop_of(frame: int) -> int:
        later = [c for c in cuts if c > frame]
        return later[0] if later else first.frame_count

    def run(frame: int) -> ObjectTracks:
        ids = list(found[frame])
        group = ClickSet.build(
            [c for c in clicks if c.object_id in ids], resolution_wh=first.resolution_wh
        )
        if trims:
            return backend.track(  # type: ignore[call-arg]
                video, group, work_dir=work_dir, progress=progress, frames=(frame, stop_of(frame))
            )
        return backend.track(video, group, work_dir=work_dir, progress=progress)

    with concurrent.futures.ThreadPoolExecutor(
        max_workers=min(8, len(found)), thread_name_prefix="autotrack-rediscover"
    ) as pool:
        tracked = dict(zip(found, pool.map(run, list(found)), strict=True))

    prediction_ids = list(first.prediction_ids)
    times = [first.predict_time]
    blank = np.zeros((first.resolution_wh[1], first.resolution_wh[0]), dtype=bool)
    kept: dict[int, list[str]] = {}
    for f, tracks in tracked.items():
        prediction_ids += list(tracks.prediction_ids)
        times.append(tracks.predict_time)
        cost = cost + CostReport(
            tuple(
                dataclasses.replace(c, purpose=f"new-objects {c.purpose}")
                for c in tracks.cost.predictions
            )
        )
        own = {int(i): p for p, i in enumerate(tracks.frame_indices.tolist())}
        stop = stop_of(f)
        for oid in found[f]:
            source = tracks.masks[oid]
            on_keyframe = source[own[f]] if f in own else blank
            before = [
                sequences[o][positions[f]]
                for e, ids in kept.items()
                if bisect.bisect_right(cuts, e) == bisect.bisect_right(cuts, f)
                for o in ids
            ]
            if before and covered(on_keyframe[None], before, cover=search.options.cover)[0]:
                continue  # an earlier keyframe's find, tracked again
            merged = MaskSequence(first.resolution_wh)
            for frame in indices.tolist():
                inside = f <= frame < stop and frame in own
                merged.append(source[own[frame]] if inside else blank)
            sequences[oid] = merged
            info["first_frames"][oid] = f
            if stop < first.frame_count:
                info["last_frames"][oid] = int(indices[positions_before(indices, stop)])
            kept.setdefault(f, []).append(oid)
        if f in kept:
            info["rediscovered"].append(
                {"frame": f, "objects": kept[f], "after_cut": f in set(cuts)}
            )
    all_kept = {oid for ids in kept.values() for oid in ids}
    chosen = [c for c in clicks if c.object_id in all_kept]
    known = [t for t in times if t is not None]
    return (
        ObjectTracks(
            masks=sequences,
            frame_indices=indices,
            frame_count=first.frame_count,
            prediction_ids=tuple(prediction_ids),
            predict_time=float(sum(known)) if len(known) == len(times) else None,
            info=_judged(info, sequences),
            cost=cost,
        ),
        ClickSet.build(chosen, resolution_wh=first.resolution_wh) if chosen else None,
    )


def _find_in_order(
    video: Path,
    proposed: Mapping[int, MaskProposals],
    images: Mapping[int, NDArray[np.uint8]],
    sequences: Mapping[str, MaskSequence],
    positions: Mapping[int, int],
    search: KeyframeSearch,
    every: int,
) -> dict[int, dict[str, NDArray[np.bool_]]]:
    """Choose each keyframe's new objects, in order, against everything tracked there.

    What is tracked on a keyframe: the first prediction's objects, and the objects found on
    earlier keyframes of the shot — carried there by the embedded engine's propagation at a low
    resolution (``TrackingSession``; only to know
    where they are, their masks come from the hosted model), so a moving find is not found again.
    """
    found: dict[int, dict[str, NDArray[np.bool_]]] = {}
    frames = iter_frames(video)
    first = next(frames)
    # finds must have changed since the shot's previous keyframe (its first frame before any)
    reference = ShotReference(first)

    def discover(
        index: int,
        frame_rgb: NDArray[np.uint8],
        carried: Mapping[str, NDArray[np.bool_]],
        after_cut: bool,
    ) -> dict[str, NDArray[np.bool_]]:
        searched = index in proposed
        earlier = reference.step(
            images[index] if searched else frame_rgb, after_cut=after_cut, keyframe=searched
        )
        if not searched:
            return {}
        live = {oid: seq[positions[index]] for oid, seq in sequences.items()}
        live.update(carried)
        named = search.choose(proposed[index], index, images[index], live, earlier_rgb=earlier)
        if named:
            found[index] = named
        return named

    session = TrackingSession(
        first, {}, options=_CARRY, stop_at_cut=True, discover=discover, every=1
    )
    last = max(proposed)
    try:
        for index, frame in enumerate(frames, start=1):
            if index > last:
                break
            session.step(frame)
    finally:
        frames.close()
    return found


_CARRY = TrackerOptions(work_max_side=240)
"""Propagation settings that carry earlier finds to the next keyframes (position only)."""


def _judged(info: dict[str, Any], sequences: Mapping[str, MaskSequence]) -> dict[str, Any]:
    """Return ``info`` with the track health of the final ``sequences`` (tracks ended, added)."""
    if "health" not in info or set(info["health"]) != set(sequences) or info["last_frames"]:
        info = {**info, "health": health_to_json(measure_health(sequences))}
    return info


def positions_before(indices: NDArray[np.int64], stop: int) -> int:
    """Position of the last of ``indices`` before ``stop``."""
    return max(0, bisect.bisect_left(indices.tolist(), stop) - 1)
