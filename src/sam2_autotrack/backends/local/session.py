"""The embedded engine's frame loop: propagate, end tracks at scene cuts, add objects found later.

``TrackingSession`` takes the frames after the first one by one. Per frame it

1. asks a [`CutDetector`][sam2_autotrack.video.CutDetector] whether the frame starts a new
   shot (with ``stop_at_cut``): then every track ends there (the engine cannot follow an object
   into another shot: what it would carry across is whatever lies under the old masks) and the
   rest of that object's masks are empty;
2. steps the ``LabelPropagator`` of the live objects;
3. on a keyframe (every ``every`` frames, and at every cut) with a ``discover`` callback, hands it
   the live masks; the objects it returns join the propagator on that frame (their masks on that
   frame are the regions given; they take those pixels from any older object) and get empty
   masks on every earlier frame.

Each object's masks go into its [`MaskSequence`][sam2_autotrack.masks.MaskSequence] as soon as they
are made, so memory does not grow with the length of the video.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import DiscoverCallback
from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.local.propagation import LabelPropagator
from sam2_autotrack.errors import BackendError
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_mask
from sam2_autotrack.video.cuts import CutDetector

__all__ = ["TrackingSession"]


class TrackingSession:
    """Track the frame-0 objects, and the objects ``discover`` finds later, frame by frame.

    Parameters
    ----------
    first_rgb
        ``(H, W, 3)`` uint8 frame 0.
    initial
        ``{object_id: (H, W) bool}`` frame-0 regions (non-empty), in object order.
    options
        The propagation's parameters.
    stop_at_cut
        End every track at a scene cut (see the module docstring). Without it no cut is looked
        for and the propagator runs on across them.
    discover
        Called on keyframes (see ``DiscoverCallback``); ``None``:
        only the frame-0 objects are tracked and the first cut ends the run's tracking.
    every
        Keyframe spacing in frames (``0``: only the frames that start a shot).

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.zeros((40, 60, 3), np.uint8); frame[5:15, 5:15] = 200
    >>> region = np.zeros((40, 60), bool); region[5:15, 5:15] = True
    >>> session = TrackingSession(frame, {"obj_1": region})
    >>> masks = session.step(frame)
    >>> sorted(masks), session.frame_count, int(session.sequences["obj_1"].areas[1]) > 90
    (['obj_1'], 2, True)
    """

    def __init__(
        self,
        first_rgb: NDArray[np.uint8],
        initial: Mapping[str, NDArray[np.bool_]],
        *,
        options: TrackerOptions | None = None,
        stop_at_cut: bool = True,
        discover: DiscoverCallback | None = None,
        every: int = 0,
    ) -> None:
        if every < 0:
            raise BackendError(f"every={every} is negative; pass 0 (cuts only) or a frame count")
        self.options = options
        self.stop_at_cut = stop_at_cut
        self.discover = discover
        self.every = every
        height, width = first_rgb.shape[:2]
        self.resolution_wh = (width, height)
        self._blank = np.zeros((height, width), dtype=bool)
        self._detector = CutDetector() if stop_at_cut else None
        self.cuts: list[int] = []
        """Frames that start a new shot."""
        self.first_frames: dict[str, int] = {}
        """Per object id, the frame it was first seeded on."""
        self.last_frames: dict[str, int] = {}
        """Per object id that stopped being tracked (a cut), its last tracked frame."""
        self.events: list[dict[str, Any]] = []
        """Per keyframe that added objects: ``{"frame", "objects", "after_cut"}``."""
        self.sequences: dict[str, MaskSequence] = {}
        """Per object id, its masks so far (one per frame given)."""
        self.frame_count = 0
        self._live: list[str] = []
        self._propagator: LabelPropagator | None = None
        if self._detector is not None:
            self._detector.push(first_rgb)
        regions = {oid: as_mask(m, name=f"initial[{oid!r}]") for oid, m in initial.items()}
        self._start(first_rgb, regions, frame=0)
        self._emit(regions)

    # -- what happens on a frame ---------------------------------------------------------------

    def _start(
        self, frame_rgb: NDArray[np.uint8], regions: dict[str, NDArray[np.bool_]], *, frame: int
    ) -> None:
        """Start tracking ``regions`` on ``frame`` (new ids only)."""
        if not regions:
            return
        clash = [oid for oid in regions if oid in self.sequences or oid in self._live]
        if clash:
            raise BackendError(
                f"discover returned ids already used: {', '.join(clash)}; new objects need new ids"
            )
        stack = np.stack(
            [as_mask(m, name=f"regions[{oid!r}]") for oid, m in regions.items()]
        ).astype(bool)
        if self._propagator is None:
            self._propagator = LabelPropagator(frame_rgb, stack, options=self.options)
        else:
            self._propagator.add_objects(stack)
        for oid in regions:
            self.first_frames[oid] = frame
            sequence = MaskSequence(self.resolution_wh)
            for _ in range(frame):
                sequence.append(self._blank)
            self.sequences[oid] = sequence
        self._live += list(regions)

    def _emit(self, live_masks: Mapping[str, NDArray[np.bool_]]) -> None:
        for oid, sequence in self.sequences.items():
            sequence.append(live_masks.get(oid, self._blank))
        self.frame_count += 1

    def step(self, frame_rgb: NDArray[np.uint8]) -> dict[str, NDArray[np.bool_]]:
        """Take the next frame; return the live objects' masks on it (also appended)."""
        index = self.frame_count
        cut = self._detector is not None and self._detector.push(frame_rgb)
        if cut:
            self.cuts.append(index)
            for oid in self._live:
                self.last_frames[oid] = index - 1
            self._live, self._propagator = [], None
        masks: dict[str, NDArray[np.bool_]] = {}
        if self._propagator is not None:
            stepped = self._propagator.step(frame_rgb)
            masks = {oid: stepped[k] for k, oid in enumerate(self._live)}
        keyframe = cut or (self.every > 0 and index % self.every == 0)
        if self.discover is not None and keyframe:
            found = dict(self.discover(index, frame_rgb, masks, cut))
            if found:
                self._start(frame_rgb, found, frame=index)
                taken = np.logical_or.reduce([np.asarray(m, bool) for m in found.values()])
                masks = {oid: m & ~taken for oid, m in masks.items()}
                masks.update({oid: np.asarray(m, bool) for oid, m in found.items()})
                self.events.append({"frame": index, "objects": list(found), "after_cut": cut})
        self._emit(masks)
        return masks

    def record(self) -> dict[str, Any]:
        """Return what ``ObjectTracks.info`` records of the session (JSON-ready)."""
        return {
            "scene_cuts": list(self.cuts),
            "scene_cut": self.cuts[0] if self.cuts else None,
            "first_frames": dict(self.first_frames),
            "last_frames": dict(self.last_frames),
            "rediscovered": list(self.events),
        }
