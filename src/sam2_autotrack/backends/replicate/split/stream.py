"""Run a union split over a stream of mask frames, appending to each object's MaskSequence.

The hosted model's mask frames are decoded one at a time and handed here as an iterator; each
frame is split and appended to the objects' compressed
[`MaskSequence`][sam2_autotrack.masks.MaskSequence] s, so memory does not grow with the clip (no
``(T, H, W)`` stack is ever built).
[`split_by_geometry`][sam2_autotrack.backends.replicate.split.split_by_geometry] runs the
[`GeometricSplitter`][sam2_autotrack.backends.replicate.split.GeometricSplitter];
[`split_by_image`][sam2_autotrack.backends.replicate.split.split_by_image] runs the
[`ImageSplitter`][sam2_autotrack.backends.replicate.split.ImageSplitter] on the video's frames
alongside and also returns each frame's
[`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import zip_longest

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.replicate.split.geometric import GeometricSplitter
from sam2_autotrack.backends.replicate.split.image import ImageSplitter
from sam2_autotrack.backends.replicate.split.signals import FrameSignals, frame_signals
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.store import MaskSequence

__all__ = ["append_labels", "label_map", "split_by_geometry", "split_by_image"]


def append_labels(sequences: Mapping[str, MaskSequence], labels: NDArray[np.integer]) -> None:
    """Append one frame's label map to the objects' sequences (object ``k`` is the ``k``-th).

    Parameters
    ----------
    sequences
        ``{object_id: MaskSequence}``, appended to in place.
    labels
        ``(H, W)`` label map of the frame.
    """
    for k, sequence in enumerate(sequences.values(), start=1):
        sequence.append(labels == k)


def label_map(sequences: Mapping[str, MaskSequence], index: int) -> NDArray[np.int32]:
    """Return frame ``index`` of the sequences as one label map (object ``k`` is the ``k``-th).

    Where masks overlap, the later object wins.

    Parameters
    ----------
    sequences
        ``{object_id: MaskSequence}``.
    index
        The mask frame.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int32 labels (0 background).
    """
    first = next(iter(sequences.values()))
    width, height = first.resolution_wh
    labels = np.zeros((height, width), dtype=np.int32)
    for k, sequence in enumerate(sequences.values(), start=1):
        labels[sequence[index]] = k
    return labels


def split_by_geometry(
    unions: Iterable[NDArray[np.bool_]],
    seeds: Mapping[str, ArrayLike],
    resolution_wh: tuple[int, int],
) -> dict[str, MaskSequence]:
    """Split every union mask of ``unions`` by geometry; return ``{object_id: MaskSequence}``.

    Parameters
    ----------
    unions
        The ``(H, W)`` union masks, frame after frame, at ``resolution_wh``.
    seeds
        ``{object_id: points or mask}`` on the first frame.
    resolution_wh
        ``(width, height)`` of the masks.

    Returns
    -------
    dict[str, MaskSequence]
        One sequence per object, in the order of ``seeds``.

    Examples
    --------
    >>> import numpy as np
    >>> union = np.zeros((3, 4, 10), bool); union[:, 1:3, 1:3] = union[:, 1:3, 6:9] = True
    >>> parts = split_by_geometry(union, {"a": [[1, 1]], "b": [[7, 1]]}, (10, 4))
    >>> [s.areas.tolist() for s in parts.values()]
    [[4, 4, 4], [6, 6, 6]]
    """
    splitter = GeometricSplitter(seeds, resolution_wh)
    sequences = {oid: MaskSequence(resolution_wh) for oid in splitter.object_ids}
    for union in unions:
        append_labels(sequences, splitter.step(union))
    return sequences


def split_by_image(
    unions: Iterable[NDArray[np.bool_]],
    frames: Iterable[NDArray[np.uint8]],
    seeds: Mapping[str, ArrayLike],
    resolution_wh: tuple[int, int],
    *,
    options: TrackerOptions | None = None,
    progress: ProgressCallback | None = None,
    total: int | None = None,
) -> tuple[dict[str, MaskSequence], list[FrameSignals]]:
    """Split every union mask with its video frame; return the sequences and per-frame signals.

    Parameters
    ----------
    unions
        The union masks, frame after frame, at ``resolution_wh``.
    frames
        The matching ``(H, W, 3)`` uint8 RGB video frames (same count).
    seeds
        ``{object_id: points or mask}`` on the first frame.
    resolution_wh
        ``(width, height)`` of masks and frames.
    options
        The propagation's parameters.
    progress, total
        Called as ``progress("split", done, total)`` after each frame.

    Raises
    ------
    MaskError
        ``unions`` and ``frames`` have different lengths.

    Returns
    -------
    tuple[dict[str, MaskSequence], list[FrameSignals]]
        One sequence per object, in the order of ``seeds``, and one
        [`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals] per frame.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((3, 40, 60, 3), np.uint8)
    >>> for t in range(3):
    ...     frames[t, 10:30, 10 + t:30 + t] = (220, 40, 40)
    ...     frames[t, 10:30, 30 + t:50 + t] = (40, 90, 230)
    >>> unions = frames.any(axis=3)
    >>> seeds = {"r": [[15, 20]], "b": [[45, 20]]}
    >>> parts, signals = split_by_image(unions, frames, seeds, (60, 40))
    >>> [s.areas.tolist() for s in parts.values()], signals[-1].groups
    ([[400, 400, 400], [400, 400, 400]], ((1, 2),))
    """
    splitter = ImageSplitter(seeds, resolution_wh, options=options)
    sequences = {oid: MaskSequence(resolution_wh) for oid in splitter.object_ids}
    signals: list[FrameSignals] = []
    count = len(splitter.object_ids)
    for done, pair in enumerate(zip_longest(unions, frames), start=1):
        union, frame = pair
        if union is None or frame is None:
            raise MaskError(
                f"got {'fewer' if union is None else 'more'} union masks than video frames "
                f"(they differ at frame {done - 1}); the hosted model and the local decoder "
                "must see the same frames — re-encode the video to constant frame rate"
            )
        labels = splitter.step(union, frame)
        purity = splitter.purity(frame, labels).tolist()
        signals.append(frame_signals(labels, count, purity))
        append_labels(sequences, labels)
        if progress is not None:
            progress("split", done, total)
    return sequences, signals
