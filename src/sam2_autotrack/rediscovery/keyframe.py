"""One keyframe's look for new objects: propose, select, drop what is tracked, name the rest.

[`KeyframeSearch`][sam2_autotrack.rediscovery.KeyframeSearch] is what both re-discovery paths call
per keyframe: the embedded engine hands it to [`track`][sam2_autotrack.LocalBackend.track] as its
``discover`` callback; the hosted path calls
[`KeyframeSearch.choose`][sam2_autotrack.rediscovery.KeyframeSearch.choose] with proposals made
concurrently beforehand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Mapping
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import Backend, MaskProposals
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.proposals import propose_masks
from sam2_autotrack.clicks import Click
from sam2_autotrack.rediscovery.cover import new_objects
from sam2_autotrack.rediscovery.options import RediscoveryOptions
from sam2_autotrack.rediscovery.shot import ShotReference
from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.video.reader import iter_frames, read_frame

__all__ = ["KeyframeSearch", "next_object_number"]


def next_object_number(object_ids: list[str] | tuple[str, ...]) -> int:
    """Return the ``n`` of the first unused ``obj_<n>`` after ``object_ids`` (numbering continues).

    Parameters
    ----------
    object_ids
        The ids in use.

    Returns
    -------
    int
        One more than the largest ``n`` of an ``obj_<n>`` id (``1`` when there is none).

    Examples
    --------
    >>> next_object_number(("obj_1", "obj_3", "person"))
    4
    """
    numbers = [int(oid[4:]) for oid in object_ids if oid.startswith("obj_") and oid[4:].isdigit()]
    return max(numbers, default=0) + 1


class KeyframeSearch:
    """Find and name the new objects of keyframes, in order (see the module docstring).

    Parameters
    ----------
    backend
        Proposes the keyframes' masks.
    selection
        The selection rules (the run's).
    seeds
        How the new objects' clicks are made (the run's).
    options
        Re-discovery options (``cover``, ``max_objects``, ``propose_max_side``, ``at_cuts``).
    known
        The ids already in use (the frame-0 objects); new ids continue ``obj_<n>``.
    every
        The keyframe spacing in frames (``0``: cuts only).
    video
        The clip, for the embedded engine's motion cues on keyframes.
    work_dir
        Where the backend may keep journals.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        selection: SelectionOptions,
        seeds: SeedOptions,
        options: RediscoveryOptions,
        known: tuple[str, ...],
        every: int = 0,
        work_dir: Path | None = None,
        video: Path | None = None,
    ) -> None:
        self.backend = backend
        self.selection = selection
        self.seeds = seeds
        self.options = options
        self.every = every
        self.video = video
        self._reader: Generator[NDArray[np.uint8], None, None] | None = None
        self._position = 0
        self.clicks: list[Click] = []
        """The seed clicks of every object named so far (each on its keyframe)."""
        self.work_dir = work_dir
        self._count = len(known)
        self._next = next_object_number(known)
        self._lock = threading.Lock()
        self.proposal_seconds = 0.0
        self._reference = ShotReference(load=self._first_frame)

    def _propose(self, image_rgb: NDArray[np.uint8], frame_index: int) -> MaskProposals:
        backend = self.backend
        if isinstance(backend, LocalBackend) and self.video is not None:
            # motion cues from the frames after the keyframe (the engine relies on them)
            following = self._following(frame_index, image_rgb.shape, backend.motion_frames)
            return propose_masks(
                image_rgb, video_frames=following, options=backend.proposal_options
            )
        return backend.propose(image_rgb, work_dir=self.work_dir)

    def _following(
        self, frame_index: int, shape: tuple[int, ...], count: int
    ) -> NDArray[np.uint8] | None:
        """Return the ``count`` frames after ``frame_index`` at ``shape`` (``None``: none).

        One reader goes through the clip once for all keyframes (they come in order), so the
        frames before a keyframe are not decoded again for every keyframe.
        """
        if count == 0 or self.video is None:
            return None
        if self._reader is None or self._position > frame_index + 1:
            if self._reader is not None:
                self._reader.close()
            self._reader, self._position = iter_frames(self.video), 0
        size_wh = (shape[1], shape[0])
        frames = []
        for frame in self._reader:
            index, self._position = self._position, self._position + 1
            if index <= frame_index:
                continue
            if frame.shape != shape:
                frame = np.asarray(
                    cv2.resize(frame, size_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8
                )
            frames.append(frame)
            if len(frames) == count:
                break
        return np.stack(frames) if frames else None

    def close(self) -> None:
        """Release the clip reader the embedded engine's motion cues use."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def propose(
        self, frame_rgb: NDArray[np.uint8], *, scaled: bool, frame_index: int = 0
    ) -> MaskProposals:
        """Return the backend's proposals on keyframe ``frame_index`` (downscaled if ``scaled``).

        The embedded engine also sees the frames after it (motion cues, downscaled alike).

        Parameters
        ----------
        frame_rgb
            ``(H, W, 3)`` uint8 keyframe.
        scaled
            Propose on the keyframe downscaled to ``propose_max_side`` (masks brought back to
            full size).
        frame_index
            Which frame of the clip it is.

        Returns
        -------
        MaskProposals
            The proposals, at the keyframe's full size.
        """
        height, width = frame_rgb.shape[:2]
        side = self.options.propose_max_side
        if not scaled or side is None or max(height, width) <= side:
            return self._propose(frame_rgb, frame_index)
        scale = side / max(height, width)
        small_wh = (max(8, round(width * scale)), max(8, round(height * scale)))
        small = np.ascontiguousarray(
            cv2.resize(frame_rgb, small_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        proposals = self._propose(small, frame_index)
        masks = np.zeros((len(proposals), height, width), dtype=bool)
        for k, mask in enumerate(proposals.masks):
            grown = cv2.resize(
                mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
            )
            masks[k] = grown >= 0.5
        return MaskProposals(
            masks=masks, scores=proposals.scores, seconds=proposals.seconds, cost=proposals.cost
        )

    def choose(
        self,
        proposals: MaskProposals,
        frame_index: int,
        frame_rgb: NDArray[np.uint8],
        live_masks: Mapping[str, NDArray[np.bool_]],
        *,
        earlier_rgb: NDArray[np.uint8] | None = None,
    ) -> dict[str, NDArray[np.bool_]]:
        """Name the new objects among ``proposals`` (``{}`` when none, or no room is left).

        Their seed clicks (on ``frame_index``, by the run's seed options) are added to
        ``clicks``.

        Parameters
        ----------
        proposals
            The keyframe's proposals.
        frame_index
            Which frame of the clip the keyframe is.
        frame_rgb
            ``(H, W, 3)`` uint8 keyframe (the selection rules look at it).
        live_masks
            ``{object_id: (H, W) bool}``: what is tracked on the keyframe.
        earlier_rgb
            The shot's previous keyframe (or first frame): finds that have not changed since
            are not new (``changed_share``). ``None``: no such test (the first keyframe after a
            cut).

        Returns
        -------
        dict[str, numpy.ndarray]
            ``{new_object_id: (H, W) bool}``, best first.
        """
        found = new_objects(
            proposals.masks,
            list(live_masks.values()),
            scores=proposals.scores,
            image_rgb=frame_rgb,
            selection=self.selection,
            cover=self.options.cover,
            earlier_rgb=earlier_rgb,
            changed_share=self.options.changed_share,
        )
        with self._lock:
            room = max(0, self.options.max_objects - self._count)
            named = {}
            for mask in found[:room]:
                named[f"obj_{self._next}"] = mask
                self._next += 1
            self._count += len(named)
        if named:
            made = clicks_from_selection(
                np.stack(list(named.values())),
                object_ids=list(named),
                options=self.seeds,
                frame=frame_index,
            )
            with self._lock:
                self.clicks += list(made)
        return named

    def __call__(
        self,
        frame_index: int,
        frame_rgb: NDArray[np.uint8],
        live_masks: Mapping[str, NDArray[np.bool_]],
        after_cut: bool,
    ) -> dict[str, NDArray[np.bool_]]:
        """Propose on a keyframe (downscaled) and choose: the embedded engine's ``discover``."""
        searched = not after_cut or self.options.at_cuts or self._on_beat(frame_index)
        earlier = self._reference.step(frame_rgb, after_cut=after_cut, keyframe=searched)
        if self._count >= self.options.max_objects or not searched:
            return {}
        started = time.perf_counter()
        proposals = self.propose(frame_rgb, scaled=True, frame_index=frame_index)
        self.proposal_seconds += time.perf_counter() - started
        return self.choose(proposals, frame_index, frame_rgb, live_masks, earlier_rgb=earlier)

    def earlier_frame(self) -> NDArray[np.uint8] | None:
        """Return the shot's previous searched keyframe, or the clip's first frame before any.

        Returns
        -------
        numpy.ndarray or None
            ``(H, W, 3)`` uint8; ``None`` before any keyframe when there is no clip to read, and
            after a cut until a frame of the new shot is searched.
        """
        return self._reference.frame

    def _first_frame(self) -> NDArray[np.uint8] | None:
        if self.video is None:
            return None
        return np.asarray(read_frame(self.video, 0), dtype=np.uint8)

    def _on_beat(self, frame_index: int) -> bool:
        return self.every > 0 and frame_index % self.every == 0
