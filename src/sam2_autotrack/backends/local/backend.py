"""``LocalBackend``: the embedded CPU engine behind the `Backend` protocol.

No token, no network, no GPU: proposals come from `proposals`
(superpixels merged on colour, subject candidates from motion unlike the camera), tracking from
`initial` and `propagation`
(optical-flow label propagation refined by appearance models), stopping at the first scene cut,
with each track's health judged as it goes (`sam2_autotrack.masks.health`). It is the
default backend when no Replicate token is configured.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import (
    DiscoverCallback,
    MaskProposals,
    ObjectTracks,
    ProgressCallback,
)
from sam2_autotrack.backends.local.initial import initial_masks_from_clicks
from sam2_autotrack.backends.local.options import ProposalOptions, TrackerOptions
from sam2_autotrack.backends.local.proposals import propose_masks
from sam2_autotrack.backends.local.session import TrackingSession
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import BackendError, ClickError, MaskError
from sam2_autotrack.masks.health_meter import health_to_json, judge_tracks
from sam2_autotrack.masks.series import TrackMeter
from sam2_autotrack.masks.validate import as_mask, as_rgb_image
from sam2_autotrack.video.reader import iter_frames, read_frame

__all__ = ["LocalBackend"]

_CACHE_SIZE = 4
_HEALTH_MAX_SIDE = 480  # track health is judged on masks subsampled to this longest side


def _digest(image: NDArray[np.uint8]) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest() + str(image.shape)


class LocalBackend:
    """The embedded CPU engine: classical proposals and optical-flow tracking.

    Parameters
    ----------
    proposal_options
        Parameters of the proposal generator
        ([`ProposalOptions`][sam2_autotrack.backends.local.ProposalOptions] defaults).
    tracker_options
        Parameters of the propagation
        ([`TrackerOptions`][sam2_autotrack.backends.local.TrackerOptions] defaults: 480-pixel
        working resolution, DIS "fast" flow, colour-histogram boundary refinement).
    motion_frames
        How many frames after frame 0 [`propose`][sam2_autotrack.LocalBackend.propose] reads from
        ``video`` for motion cues (``0`` disables motion; proposals then use colour only). 25 (one
        second at 25 fps): slow subjects move enough to be told from the camera's motion; the
        proposals stop at the first scene cut.
    stop_at_cut
        End every track at a scene cut (a jump of the colour histogram between two frames,
        [`CutDetector`][sam2_autotrack.video.CutDetector]): the engine does not re-identify
        objects in a new shot, so from the cut on their masks are empty (what a tracker carried
        across it was whatever lay under the old masks). ``info["scene_cuts"]`` says where;
        track health reports the objects as lost there. With re-discovery (``discover``) the
        new shot's objects are found and tracked under new ids.

    Examples
    --------
    >>> backend = LocalBackend()
    >>> backend.name
    'local'
    >>> backend.describe()["tracker"]["flow_preset"]
    'ultrafast'
    """

    def __init__(
        self,
        *,
        proposal_options: ProposalOptions | None = None,
        tracker_options: TrackerOptions | None = None,
        motion_frames: int = 25,
        stop_at_cut: bool = True,
    ) -> None:
        if motion_frames < 0:
            raise BackendError(
                f"motion_frames={motion_frames} is negative; pass 0 to disable motion cues or a "
                "positive frame count"
            )
        self.proposal_options = proposal_options or ProposalOptions()
        self.tracker_options = tracker_options or TrackerOptions()
        self.motion_frames = motion_frames
        self.stop_at_cut = stop_at_cut
        self._cache: OrderedDict[str, MaskProposals] = OrderedDict()
        # One backend serves concurrent batch jobs: the proposal cache is shared state.
        self._cache_lock = threading.Lock()

    @property
    def name(self) -> str:
        """``"local"``."""
        return "local"

    def close(self) -> None:
        """Nothing to release (the embedded engine holds no connections)."""

    def describe(self) -> dict[str, Any]:
        """Return the engine name and every setting, for the run manifest.

        Returns
        -------
        dict[str, Any]
            ``name``, ``engine``, ``motion_frames``, ``stop_at_cut`` and the proposal and tracker
            options, JSON-ready.
        """
        return {
            "name": self.name,
            "engine": "classical CPU (SLIC + DIS optical flow + colour models)",
            "motion_frames": self.motion_frames,
            "stop_at_cut": self.stop_at_cut,
            "proposals": self.proposal_options.model_dump(mode="json"),
            "tracker": self.tracker_options.model_dump(mode="json"),
        }

    # -- proposals ---------------------------------------------------------------------------

    def _motion_frames(
        self, video: Path, shape: tuple[int, ...], start: int = 1
    ) -> NDArray[np.uint8] | None:
        """Return ``motion_frames`` frames from ``start`` at ``shape`` (downscaled if larger)."""
        if self.motion_frames == 0:
            return None
        frames = []
        size_wh = (shape[1], shape[0])
        with contextlib.closing(
            iter_frames(video, start=start, stop=start + self.motion_frames)
        ) as it:
            for frame in it:
                if frame.shape != shape:
                    if abs(frame.shape[1] / frame.shape[0] - shape[1] / shape[0]) > 0.02:
                        return None  # another aspect ratio: not this video's frames
                    frame = np.asarray(
                        cv2.resize(frame, size_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8
                    )
                frames.append(frame)
        return np.stack(frames) if frames else None

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: Path | None = None,
        work_dir: Path | None = None,
        frame_index: int = 0,
    ) -> MaskProposals:
        """Propose object masks on ``image_rgb`` (frame ``frame_index`` of ``video`` when given).

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB image at the video's own size.
        video
            The clip the image is frame ``frame_index`` of; its next ``motion_frames`` frames
            give motion cues (downscaled to the image's size when the image is smaller, as
            re-discovery proposes on keyframes).
        work_dir
            Unused (the local engine keeps nothing on disk).
        frame_index
            Which frame of ``video`` the image is (``0``; a keyframe for re-discovery).

        Returns
        -------
        MaskProposals
            Overlapping candidates with scores in ``[0, 1]``, best first.
        """
        image = as_rgb_image(image_rgb)
        following = (
            self._motion_frames(Path(video), image.shape, start=frame_index + 1)
            if video is not None
            else None
        )
        proposals = propose_masks(image, video_frames=following, options=self.proposal_options)
        key = _digest(image)
        with self._cache_lock:
            self._cache[key] = proposals
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return proposals

    # -- tracking ----------------------------------------------------------------------------

    def track(
        self,
        video: Path,
        clicks: ClickSet,
        *,
        work_dir: Path | None = None,
        progress: ProgressCallback | None = None,
        initial_masks: Mapping[str, NDArray[np.bool_]] | None = None,
        discover: DiscoverCallback | None = None,
        every: int = 0,
    ) -> ObjectTracks:
        """Track every object of ``clicks`` (frame-0 clicks) through every frame of ``video``.

        Parameters
        ----------
        video
            The video file.
        clicks
            Clicks on frame 0, grouped by object id. Clicks on later frames are not supported by
            the local engine.
        work_dir
            Unused (the local engine keeps nothing on disk).
        progress
            Called as ``progress("track", done, total)`` after every frame.
        initial_masks
            ``{object_id: (H, W) bool}``: frame-0 regions to start from as they are, for objects
            whose region is already known (a prompt's proposal or GrabCut cut-out); the other
            objects' regions come from their clicks (a proposal holding them, else GrabCut).
        discover
            Re-discovery ([`sam2_autotrack.rediscovery`][sam2_autotrack.rediscovery] makes one):
            called on every ``every``-th frame and on the first frame of every shot with the live
            objects' masks; the objects it returns are tracked from that frame on
            (``TrackingSession``).
        every
            Keyframe spacing for ``discover`` (``0``: only at scene cuts).

        Returns
        -------
        ObjectTracks
            A [`MaskSequence`][sam2_autotrack.masks.MaskSequence] per object id (``T`` masks),
            ``frame_indices`` ``0..T-1``; ``info`` holds timings, the tracking speed,
            ``info["scene_cuts"]`` (every frame that starts a shot, with ``stop_at_cut``),
            ``info["scene_cut"]`` (the first, or ``None``), ``info["first_frames"]`` (per object
            the frame it was seeded on), ``info["last_frames"]`` (per object whose track a cut
            ended, its last frame), ``info["rediscovered"]`` (per keyframe that added objects:
            frame and ids) and ``info["health"]``: per object id,
            the stretches where the track should not be trusted
            ([`track_health`][sam2_autotrack.masks.track_health] with its documented default
            thresholds, on masks subsampled to at most 480 pixels on the longest side; ``min_area``
            counts subsampled pixels), each ``{"kind", "start", "stop", "detail"}`` with ``kind``
            one of ``"lost"``, ``"drift"``, ``"leak"``, ``"jump"``; an empty list is a healthy
            track.

        Notes
        -----
        Memory does not grow with the length of the video: frames are decoded one at a time,
        the propagation keeps only the previous frame's state, and each frame's masks are
        compressed as soon as they are made (a few kilobytes per object and frame at 720p).

        Raises
        ------
        ClickError
            Clicks on a frame other than 0, clicks made on a frame of another size, or an
            ``initial_masks`` entry for an object with no clicks.
        MaskError
            An ``initial_masks`` entry that is not a 2-D mask of the video's size.
        BackendError
            No frame-0 region could be found for an object from its clicks.
        VideoError
            The video cannot be read.
        """
        started = time.perf_counter()
        path = Path(video)
        late = [c for c in clicks if c.frame != 0]
        if late:
            raise ClickError(
                f"the local engine seeds on frame 0 only, but {len(late)} click(s) are on later "
                f"frames (first: frame {late[0].frame}); move them to frame 0, let re-discovery "
                "find later objects (rediscover=...), or use the Replicate backend"
            )
        first = read_frame(path, 0)
        height, width = first.shape[:2]
        if clicks.resolution_wh is not None and clicks.resolution_wh != (width, height):
            raise ClickError(
                f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} frame "
                f"but {path.name} is {width}x{height}; make the clicks on this video's frame 0"
            )
        init_started = time.perf_counter()
        with self._cache_lock:
            proposals = self._cache.get(_digest(first))
        proposal_source = "cache"
        if proposals is None:
            proposals = self.propose(first, video=path)
            proposal_source = "computed"
        initial = initial_masks_from_clicks(
            first, clicks, proposals=proposals, refine_band=self.tracker_options.outline_band
        )
        for oid, region in (initial_masks or {}).items():
            if oid not in initial:
                raise ClickError(
                    f"initial_masks names {oid!r}, which has no clicks; objects: "
                    f"{', '.join(initial)}"
                )
            mask = as_mask(region, name=f"initial_masks[{oid!r}]")
            if mask.shape != (height, width):
                raise MaskError(
                    f"initial_masks[{oid!r}] is {mask.shape[1]}x{mask.shape[0]} but "
                    f"{path.name} is {width}x{height}"
                )
            initial[oid] = mask
        object_ids = list(initial)
        empty = [oid for oid, m in initial.items() if not m.any()]
        if empty:
            raise BackendError(
                f"no initial region could be found for {', '.join(empty)} on frame 0; give each "
                "object at least one positive click inside it"
            )
        init_seconds = time.perf_counter() - init_started
        session = TrackingSession(
            first,
            initial,
            options=self.tracker_options,
            stop_at_cut=self.stop_at_cut,
            discover=discover,
            every=every,
        )
        # Track health is measured frame by frame, on subsampled masks, for the frame-0 objects;
        # the objects found later are judged over their own frames at the end.
        meter = TrackMeter(object_ids)
        health_step = max(1, -(-max(height, width) // _HEALTH_MAX_SIDE))
        health_seconds = 0.0
        blank = np.zeros((height, width), dtype=bool)

        def measure(masks: Mapping[str, NDArray[np.bool_]]) -> None:
            nonlocal health_seconds
            measured = time.perf_counter()
            stack = np.stack([masks.get(oid, blank) for oid in object_ids])
            meter.add(stack[:, ::health_step, ::health_step])
            health_seconds += time.perf_counter() - measured

        measure(initial)
        count = 1
        total: int | None = None
        with contextlib.suppress(Exception):
            from sam2_autotrack.video.probe import probe_video

            total = int(probe_video(path).frame_count) or None
        if progress is not None:
            progress("track", 1, total)
        track_started = time.perf_counter()
        health_before = health_seconds
        with contextlib.closing(iter_frames(path, start=1)) as frames:
            for frame in frames:
                measure(session.step(frame))
                count += 1
                if progress is not None:
                    progress("track", count, total)
        track_seconds = time.perf_counter() - track_started - (health_seconds - health_before)
        steps = max(count - 1, 1)
        judged = time.perf_counter()
        health = _health_report(meter, object_ids)
        health.update(_later_health(session, health_step))
        health_seconds += time.perf_counter() - judged
        sequences = session.sequences
        return ObjectTracks(
            masks=sequences,
            frame_indices=np.arange(count, dtype=np.int64),
            frame_count=count,
            info={
                "backend": self.name,
                "proposal_source": proposal_source,
                "init_seconds": round(init_seconds, 4),
                "track_seconds": round(track_seconds, 4),
                "total_seconds": round(time.perf_counter() - started, 4),
                "tracking_fps": round(steps / track_seconds, 2) if track_seconds > 0 else None,
                "resolution_wh": [width, height],
                **session.record(),
                "health": health,
                "health_seconds": round(health_seconds, 4),
            },
        )


def _health_report(meter: TrackMeter, object_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Track health of every object (see `LocalBackend.track`), JSON-ready."""
    series = meter.series()
    verdicts = judge_tracks({oid: series[oid] for oid in object_ids})
    return health_to_json(verdicts)


def _later_health(session: TrackingSession, step: int) -> dict[str, list[dict[str, Any]]]:
    """Track health of the objects found after frame 0, each judged over its own frames."""
    later = [oid for oid, first in session.first_frames.items() if first > 0]
    report: dict[str, list[dict[str, Any]]] = {}
    for oid in later:
        first = session.first_frames[oid]
        stop = session.last_frames.get(oid, session.frame_count - 1) + 1
        meter = TrackMeter([oid])
        sequence = session.sequences[oid]
        for index in range(first, stop):
            meter.add(sequence[index][None, ::step, ::step])
        issues = health_to_json(judge_tracks({oid: meter.series()[oid]}))[oid]
        report[oid] = [
            {**issue, "start": issue["start"] + first, "stop": issue["stop"] + first}
            for issue in issues
        ]
    return report
