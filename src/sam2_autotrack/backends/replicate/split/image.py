"""The image-guided union split: SAM 2 says where the foreground is, our tracker says whose it is.

[`ImageSplitter`][sam2_autotrack.backends.replicate.split.ImageSplitter] divides each frame's union
mask with image evidence instead of geometry alone. It runs the embedded engine's propagation
(`LabelPropagator`: DIS optical flow, per-object colour models anchored on the first frame,
occlusion templates moved at constant velocity, leak control) *constrained to the union*: the union
decides which pixels are foreground, the propagation decides which object each of them belongs to.
So:

* the cut between touching or crossing objects follows their colours and motion, not the
  previous frame's outline;
* an object hidden behind another keeps its colour model and predicted position, and when union
  pixels with its colours reappear it is re-identified (a union pixel that no object's prior
  reaches is given by appearance alone);
* the objects' masks partition the union exactly, as with the geometric split.

First frame: every union component goes to the object whose seeds it holds; a component holding
several objects' seeds is divided by a marker watershed on the image (cuts follow colour edges),
and a component holding none goes to the object whose seed is nearest.

Everything is deterministic. Only the propagation's state is kept between frames, so memory does
not grow with the clip.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.local.propagation import LabelPropagator
from sam2_autotrack.backends.replicate.split.appearance import ColourModels
from sam2_autotrack.backends.replicate.split.geometric import seed_label_map
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask, as_rgb_image

__all__ = ["ImageSplitter", "first_frame_labels", "shares_components"]

_EIGHT = np.ones((3, 3), dtype=bool)


def _nearest_fill(
    labels: NDArray[np.int32], where: NDArray[np.bool_], valid: NDArray[np.bool_]
) -> None:
    """Give each pixel of ``where`` the label of the nearest ``valid`` pixel (in place)."""
    if not where.any() or not valid.any():
        return
    _, (iy, ix) = ndimage.distance_transform_edt(~valid, return_indices=True)
    labels[where] = labels[iy[where], ix[where]]


def shares_components(labels: NDArray[np.integer], count: int) -> bool:
    """Whether two objects of a label map share one 8-connected component of its foreground.

    Parameters
    ----------
    labels
        ``(H, W)`` label map (0 background, ``k`` object ``k``).
    count
        Number of objects.

    Returns
    -------
    bool
        ``True`` when some component holds more than one object.

    Examples
    --------
    >>> import numpy as np
    >>> shares_components(np.array([[1, 2, 0, 3]]), 3), shares_components(np.array([[1, 0, 2]]), 2)
    (True, False)
    """
    components, found = ndimage.label(labels > 0, structure=_EIGHT)
    if found == 0:
        return False
    pairs = np.unique(components[labels > 0].astype(np.int64) * (count + 1) + labels[labels > 0])
    return bool(len(np.unique(pairs // (count + 1))) < len(pairs))


def first_frame_labels(
    union: NDArray[np.bool_], seeds: NDArray[np.int32], image_rgb: NDArray[np.uint8]
) -> NDArray[np.int32]:
    """Divide the first frame's union among the seeded objects (see the module docstring).

    Parameters
    ----------
    union
        ``(H, W)`` bool union mask.
    seeds
        ``(H, W)`` label map of the seeds (0 nowhere, ``k`` where object ``k`` is seeded), as
        [`seed_label_map`][sam2_autotrack.backends.replicate.split.seed_label_map] builds it.
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int32 labels covering exactly the union (all 0 when nothing is seeded). The
        watershed's cut can sit one pixel off a colour edge;
        [`ImageSplitter`][sam2_autotrack.backends.replicate.split.ImageSplitter] refines it with one
        still propagation step on the frame.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((6, 10, 3), np.uint8); image[:, 3:7] = (200, 0, 0)
    >>> union = np.zeros((6, 10), bool); union[1:5, 1:7] = True   # two touching objects
    >>> seeds = np.zeros((6, 10), np.int32); seeds[2, 1] = 1; seeds[2, 5] = 2
    >>> first_frame_labels(union, seeds, image)[2].tolist()  # the colour edge is at x = 3
    [0, 1, 1, 1, 2, 2, 2, 0, 0, 0]
    """
    labels = np.zeros(union.shape, dtype=np.int32)
    if not union.any() or not seeds.any():
        return labels
    components, _ = ndimage.label(union, structure=_EIGHT)
    unowned = np.zeros(union.shape, dtype=bool)
    for index, window in enumerate(ndimage.find_objects(components), start=1):
        if window is None:
            continue
        pixels = components == index
        owners = np.unique(seeds[pixels & (seeds > 0)])
        if owners.size == 1:
            labels[pixels] = owners[0]
        elif owners.size == 0:
            unowned |= pixels
        else:
            _watershed(labels, pixels, seeds, owners, image_rgb)
    if unowned.any():
        seeded = np.where(seeds > 0, seeds, 0).astype(np.int32)
        _nearest_fill(seeded, unowned, seeds > 0)
        labels[unowned] = seeded[unowned]
    return labels


def _watershed(
    labels: NDArray[np.int32],
    pixels: NDArray[np.bool_],
    seeds: NDArray[np.int32],
    owners: NDArray[np.int32],
    image_rgb: NDArray[np.uint8],
) -> None:
    """Divide one union component among ``owners`` by a marker watershed on the image."""
    markers = np.where(pixels & np.isin(seeds, owners), seeds, 0).astype(np.int32)
    cv2.watershed(np.ascontiguousarray(image_rgb[..., ::-1]), markers)
    result = np.where(pixels, markers, 0).astype(np.int32)
    valid = pixels & np.isin(result, owners)
    _nearest_fill(result, pixels & ~valid, valid)
    labels[pixels] = result[pixels]


class ImageSplitter:
    """Split union masks frame by frame with the image (see the module docstring).

    Feed every frame's union mask and RGB frame, in order, to
    [`step`][sam2_autotrack.backends.replicate.split.ImageSplitter.step].

    Parameters
    ----------
    seeds
        ``{object_id: seed}`` in object order: ``(k, 2)`` integer ``(x, y)`` points on the first
        frame (the positive clicks) or an ``(H, W)`` bool mask of the object there.
    resolution_wh
        ``(width, height)`` of the frames and masks.
    options
        Parameters of the propagation
        ([`TrackerOptions`][sam2_autotrack.backends.local.TrackerOptions] defaults when ``None``).

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.zeros((40, 60, 3), np.uint8)
    >>> frame[10:30, 10:30] = (220, 40, 40); frame[10:30, 30:50] = (40, 90, 230)
    >>> union = frame.any(axis=2)
    >>> splitter = ImageSplitter({"red": [[15, 20]], "blue": [[45, 20]]}, (60, 40))
    >>> labels = splitter.step(union, frame)
    >>> int((labels == 1).sum()), int((labels == 2).sum())
    (400, 400)
    >>> moved = np.roll(frame, 2, axis=1)   # both move right, still touching
    >>> labels = splitter.step(moved.any(axis=2), moved)
    >>> bool((labels[10:30, 12:32] == 1).all()), bool((labels[10:30, 32:52] == 2).all())
    (True, True)
    """

    def __init__(
        self,
        seeds: Mapping[str, ArrayLike],
        resolution_wh: tuple[int, int],
        *,
        options: TrackerOptions | None = None,
    ) -> None:
        if not seeds:
            raise MaskError("seeds is empty; give at least one object's frame-0 points or mask")
        width, height = int(resolution_wh[0]), int(resolution_wh[1])
        self.object_ids: tuple[str, ...] = tuple(seeds)
        self.resolution_wh = (width, height)
        self.options = options if options is not None else TrackerOptions()
        self._seeds = seed_label_map(seeds, (height, width))
        self._propagator: LabelPropagator | None = None
        self._colours: ColourModels | None = None

    def _checked(
        self, union: ArrayLike, frame_rgb: ArrayLike
    ) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
        frame = as_rgb_image(frame_rgb, name="frame_rgb", expected_wh=self.resolution_wh)
        mask = as_mask(union, name="union")
        if mask.shape != frame.shape[:2]:
            raise MaskError(
                f"union is {mask.shape[1]}x{mask.shape[0]} but the frame is "
                f"{frame.shape[1]}x{frame.shape[0]}; pass the union mask of this frame at the "
                "frame's size"
            )
        return mask, frame

    def step(self, union: ArrayLike, frame_rgb: ArrayLike) -> NDArray[np.int32]:
        """Return the ``(H, W)`` label map of the next frame (0 background, ``k`` object).

        Object ``k`` is ``object_ids[k - 1]``; the labels cover exactly the union.

        Parameters
        ----------
        union
            ``(H, W)`` bool union of every object on the next frame.
        frame_rgb
            The frame's ``(H, W, 3)`` uint8 RGB pixels.

        Returns
        -------
        numpy.ndarray
            ``(H, W)`` int32 labels.
        """
        mask, frame = self._checked(union, frame_rgb)
        count = len(self.object_ids)
        if self._propagator is None:
            labels = first_frame_labels(mask, self._seeds, frame)
            stack = np.stack([labels == k + 1 for k in range(count)])
            self._propagator = LabelPropagator(frame, stack, options=self.options)
            if shares_components(labels, count):
                # objects share a component: one still step on the frame itself lets the colour
                # models move the watershed's cut onto the colour edge
                labels = self._labels_of(self._propagator.step(frame, foreground=mask))
            self._colours = ColourModels(frame, labels, count)
            return labels
        return self._labels_of(self._propagator.step(frame, foreground=mask))

    @staticmethod
    def _labels_of(masks: NDArray[np.bool_]) -> NDArray[np.int32]:
        labels = np.zeros(masks.shape[1:], dtype=np.int32)
        for k in range(masks.shape[0]):
            labels[masks[k]] = k + 1
        return labels

    def purity(self, frame_rgb: ArrayLike, labels: NDArray[np.integer]) -> NDArray[np.float64]:
        """Return each object's colour purity on a frame (see `ColourModels`).

        ``nan`` for objects without pixels; all ``nan`` before the first
        [`step`][sam2_autotrack.backends.replicate.split.ImageSplitter.step].

        Parameters
        ----------
        frame_rgb
            ``(H, W, 3)`` uint8 RGB frame.
        labels
            Its ``(H, W)`` label map.

        Returns
        -------
        numpy.ndarray
            ``(K,)`` float64 purities in 0..1.
        """
        if self._colours is None:
            return np.full(len(self.object_ids), np.nan)
        frame = as_rgb_image(frame_rgb, name="frame_rgb", expected_wh=self.resolution_wh)
        return self._colours.purity(frame, labels)
