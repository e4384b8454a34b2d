"""The geometric union split: divide each frame's union mask by carrying identity forward.

``meta/sam-2-video`` with ``mask_type="binary"`` returns one mask per frame for all objects
together. [`GeometricSplitter`][sam2_autotrack.backends.replicate.split.GeometricSplitter] recovers
per-object masks from that union, frame by frame, and the frame-0 seeds
([`split_union`][sam2_autotrack.backends.replicate.split_union] does a whole ``(T, H, W)`` stack at
once):

1. Frame 0: every connected component of the union goes to the object whose seeds (clicks or
   initial masks) it contains; a component holding several objects is divided by nearest seed.
2. Each next frame: every component goes to the object(s) whose previous-frame mask it overlaps.
   A component overlapping one object is that object. A component overlapping several (objects
   that touch or occlude each other) is divided pixel by pixel: each pixel goes to the nearest
   previous-frame object pixel. A component overlapping none (fast motion, re-appearance) goes to
   the object nearest to it.
3. With ``motion="constant_velocity"`` the previous-frame masks are first shifted by each object's
   last clean displacement (measured while it was alone in its component, shrinking by 10 % per
   frame while it is merged), which keeps the cut between two objects moving into or across each
   other at the right place.

It is exact while objects stay apart, and an approximation where they touch: the cut between
touching objects follows the previous frame's geometry, not image evidence (the image-guided
split of `image` uses the frames too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ClickError, MaskError

__all__ = ["GeometricSplitter", "frame0_seeds", "seed_label_map", "split_union"]

_EIGHT = np.ones((3, 3), dtype=bool)
_MERGED_VELOCITY_DECAY = 0.9
"""Per merged frame, the predicted displacement shrinks by this factor (objects that touch often
stop or bounce; measured on synthetic crossing/bouncing discs, 0.9 balances both)."""


def seed_label_map(seeds: Mapping[str, ArrayLike], shape: tuple[int, int]) -> NDArray[np.int32]:
    """Return the ``(H, W)`` label map of the seeds: object ``k`` (1-based, in order) where seeded.

    Parameters
    ----------
    seeds
        ``{object_id: seed}``: ``(k, 2)`` integer ``(x, y)`` points, or an ``(H, W)`` bool mask.
    shape
        ``(H, W)`` of the frame.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int32 labels, 0 where no seed is.

    Raises
    ------
    MaskError
        A seed is malformed, empty, or lies outside the frame.

    Examples
    --------
    >>> seed_label_map({"a": [[1, 0]], "b": [[3, 1]]}, (2, 4)).tolist()
    [[0, 1, 0, 0], [0, 0, 0, 2]]
    """
    height, width = shape
    labels = np.zeros(shape, dtype=np.int32)
    for index, (object_id, seed) in enumerate(seeds.items(), start=1):
        array = np.asarray(seed)
        if array.dtype == np.bool_ and array.shape == shape:
            labels[array & (labels == 0)] = index
            if not array.any():
                raise MaskError(
                    f"the initial mask of object {object_id!r} is empty; give at least one pixel "
                    "or seed points"
                )
            continue
        if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
            raise MaskError(
                f"seeds[{object_id!r}] must be a ({height}, {width}) bool mask or (k, 2) integer "
                f"x, y points with k >= 1; got shape {array.shape} dtype {array.dtype}"
            )
        points = np.round(array).astype(np.int64)
        xs, ys = points[:, 0], points[:, 1]
        if np.any((xs < 0) | (xs >= width) | (ys < 0) | (ys >= height)):
            raise MaskError(
                f"a seed point of object {object_id!r} lies outside the {width}x{height} frame; "
                "seeds are (x, y) pixels of the first mask frame"
            )
        labels[ys, xs] = index
    return labels


def _shift(mask: NDArray[np.bool_], dy: int, dx: int) -> NDArray[np.bool_]:
    out = np.zeros_like(mask)
    height, width = mask.shape
    if abs(dy) >= height or abs(dx) >= width:
        return out
    src_y = slice(max(0, -dy), height - max(0, dy))
    src_x = slice(max(0, -dx), width - max(0, dx))
    dst_y = slice(max(0, dy), height - max(0, -dy))
    dst_x = slice(max(0, dx), width - max(0, -dx))
    out[dst_y, dst_x] = mask[src_y, src_x]
    return out


def _centroid(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    ys, xs = np.nonzero(mask)
    return np.array([ys.mean(), xs.mean()], dtype=np.float64)


def _assign_frame(
    union: NDArray[np.bool_], reference: NDArray[np.int32], n_objects: int
) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Label ``union``'s pixels with object numbers using the ``reference`` label map.

    Returns the label map and, per object (index 1..N), whether it was alone in its components.
    """
    components, count = ndimage.label(union, structure=_EIGHT)
    result = np.zeros(union.shape, dtype=np.int32)
    clean = np.ones(n_objects + 1, dtype=bool)
    if count == 0 or not reference.any():
        return result, clean
    table = np.bincount(
        (components.astype(np.int64) * (n_objects + 1) + reference).ravel(),
        minlength=(count + 1) * (n_objects + 1),
    ).reshape(count + 1, n_objects + 1)
    nearest: NDArray[np.int32] | None = None
    for index, window in enumerate(ndimage.find_objects(components), start=1):
        if window is None:
            continue
        pixels = components[window] == index
        owners = np.flatnonzero(table[index, 1:]) + 1
        if owners.size == 1:
            result[window][pixels] = owners[0]
            continue
        if nearest is None:
            _, (iy, ix) = ndimage.distance_transform_edt(reference == 0, return_indices=True)
            nearest = reference[iy, ix]
        local = nearest[window][pixels]
        if owners.size == 0:
            votes = np.bincount(local, minlength=n_objects + 1)
            votes[0] = 0
            result[window][pixels] = int(np.argmax(votes))
            continue
        clean[owners] = False
        outsider = ~np.isin(local, owners)
        if outsider.any():
            local = local.copy()
            local[outsider] = owners[np.argmax(table[index, owners])]
        result[window][pixels] = local
    return result, clean


class GeometricSplitter:
    """Split union masks frame by frame by geometry alone (see the module docstring).

    Feed every frame's union, in order, to
    [`step`][sam2_autotrack.backends.replicate.split.GeometricSplitter.step]; it returns that
    frame's label map. Only the previous frame's labels are kept, so memory does not grow with the
    clip.

    Parameters
    ----------
    seeds
        ``{object_id: seed}`` in object order, where each seed is either ``(k, 2)`` integer
        ``(x, y)`` points on the first frame (the positive clicks) or an ``(H, W)`` bool mask of
        the object on the first frame.
    resolution_wh
        ``(width, height)`` of the union masks.
    motion
        ``"constant_velocity"``: predict each object's position from its last clean
        displacement before cutting merged components; ``"none"``: use the previous masks as is.

    Examples
    --------
    >>> import numpy as np
    >>> splitter = GeometricSplitter({"a": [[1, 1]], "b": [[6, 1]]}, (10, 4))
    >>> union = np.zeros((4, 10), dtype=bool); union[0:3, 0:3] = union[0:3, 5:8] = True
    >>> splitter.step(union)[1].tolist()
    [1, 1, 1, 0, 0, 2, 2, 2, 0, 0]
    """

    def __init__(
        self,
        seeds: Mapping[str, ArrayLike],
        resolution_wh: tuple[int, int],
        *,
        motion: Literal["constant_velocity", "none"] = "constant_velocity",
    ) -> None:
        if not seeds:
            raise MaskError("seeds is empty; give at least one object's frame-0 points or mask")
        if motion not in ("constant_velocity", "none"):
            raise MaskError(f"motion must be 'constant_velocity' or 'none'; got {motion!r}")
        width, height = int(resolution_wh[0]), int(resolution_wh[1])
        self.object_ids: tuple[str, ...] = tuple(seeds)
        self.motion = motion
        self._shape = (height, width)
        count = len(self.object_ids)
        self._memory = seed_label_map(seeds, self._shape)
        self._velocity = np.zeros((count + 1, 2), dtype=np.float64)
        self._last_clean: dict[int, tuple[int, NDArray[np.float64]]] = {}
        self._t = 0

    def step(self, union: ArrayLike) -> NDArray[np.int32]:
        """Return the ``(H, W)`` label map of the next frame's union (0 background, ``k`` object).

        Object ``k`` is ``object_ids[k - 1]``. The labels cover exactly the union, except
        components no seed ever reached.

        Parameters
        ----------
        union
            ``(H, W)`` bool union of every object on the next frame.

        Returns
        -------
        numpy.ndarray
            ``(H, W)`` int32 labels.

        Raises
        ------
        MaskError
            A union of another size than the splitter's frames.
        """
        frame = np.asarray(union)
        if frame.shape != self._shape:
            raise MaskError(
                f"union mask has shape {frame.shape} but this splitter was made for "
                f"{self._shape}; every frame of a clip has the same size"
            )
        if frame.dtype != np.bool_:
            frame = frame != 0
        count = len(self.object_ids)
        t, memory, velocity = self._t, self._memory, self._velocity
        reference = memory
        if self.motion == "constant_velocity" and t > 0 and np.any(velocity):
            reference = np.zeros_like(memory)
            for obj in range(1, count + 1):
                dy, dx = (int(np.rint(v)) for v in velocity[obj])
                reference[_shift(memory == obj, dy, dx) & (reference == 0)] = obj
        labels, clean = _assign_frame(frame, reference, count)
        next_memory = labels.copy()
        for obj in range(1, count + 1):
            mask = labels == obj
            if not mask.any():
                # keep the last known position of an object that vanished this frame
                keep = (memory == obj) & (next_memory == 0)
                next_memory[keep] = obj
                continue
            if clean[obj]:
                centre = _centroid(mask)
                previous = self._last_clean.get(obj)
                if previous is not None and previous[0] == t - 1:
                    velocity[obj] = centre - previous[1]
                self._last_clean[obj] = (t, centre)
            else:
                velocity[obj] *= _MERGED_VELOCITY_DECAY
        self._memory = next_memory
        self._t = t + 1
        return labels


def split_union(
    union_masks: ArrayLike,
    seeds: Mapping[str, ArrayLike],
    *,
    motion: Literal["constant_velocity", "none"] = "constant_velocity",
) -> dict[str, NDArray[np.bool_]]:
    """Split a ``(T, H, W)`` union mask sequence into one ``(T, H, W)`` sequence per object.

    A whole-stack convenience over
    [`GeometricSplitter`][sam2_autotrack.backends.replicate.split.GeometricSplitter] (the backend
    streams instead).

    Parameters
    ----------
    union_masks
        ``(T, H, W)`` bool: per frame, the union of every object (what ``meta/sam-2-video``
        returns with ``mask_type="binary"``). Frame 0 is the frame the seeds are on.
    seeds
        ``{object_id: seed}`` in object order, where each seed is either ``(k, 2)`` integer
        ``(x, y)`` points on frame 0 (the positive clicks) or an ``(H, W)`` bool mask of the
        object on frame 0.
    motion
        ``"constant_velocity"``: predict each object's position from its last clean
        displacement before cutting merged components; ``"none"``: use the previous masks as is.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{object_id: (T, H, W) bool}``, in the order of ``seeds``. The objects' masks are
        disjoint and their union is exactly ``union_masks``, except components no seed ever
        reached (none when every component is connected to an object through time).

    Raises
    ------
    MaskError
        ``union_masks`` is not ``(T, H, W)``, or a seed is malformed, empty or outside the frame.

    Examples
    --------
    >>> import numpy as np
    >>> union = np.zeros((2, 6, 10), dtype=bool)
    >>> union[:, 1:4, 1:3] = True          # object a
    >>> union[0, 1:4, 6:8] = True          # object b, frame 0
    >>> union[1, 1:4, 7:9] = True          # object b moved right
    >>> parts = split_union(union, {"a": [[1, 2]], "b": [[6, 2]]})
    >>> [int(parts[k][1].sum()) for k in ("a", "b")]
    [6, 6]
    >>> bool(parts["b"][1, 2, 8])
    True
    """
    union = np.asarray(union_masks)
    if union.ndim != 3:
        raise MaskError(
            f"union_masks must have shape (T, H, W); got shape {union.shape} — stack the frames "
            "with np.stack"
        )
    if union.dtype != np.bool_:
        union = union != 0
    n_frames, height, width = union.shape
    splitter = GeometricSplitter(seeds, (width, height), motion=motion)
    out = np.zeros((len(splitter.object_ids), n_frames, height, width), dtype=bool)
    for t in range(n_frames):
        labels = splitter.step(union[t])
        for obj in range(len(splitter.object_ids)):
            out[obj, t] = labels == obj + 1
    return {oid: out[i] for i, oid in enumerate(splitter.object_ids)}


def frame0_seeds(clicks: ClickSet, *, first_frame: int = 0) -> dict[str, NDArray[np.int64]]:
    """Return each object's positive clicks on the first mask frame: the seeds of the splits.

    Parameters
    ----------
    clicks
        The clicks, in the source's pixels and frame numbering.
    first_frame
        The source frame the upload (and so the first mask frame) starts at.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{object_id: (k, 2) int64 (x, y)}``, in the clicks' object order.

    Raises
    ------
    ClickError
        An object has no positive click on ``first_frame``.

    Examples
    --------
    >>> from sam2_autotrack.clicks import Click
    >>> seeds = frame0_seeds(ClickSet.build([Click(x=3, y=4, object_id="a")]))
    >>> seeds["a"].tolist()
    [[3, 4]]
    >>> frame0_seeds(ClickSet.build([Click(x=3, y=4, frame=5)]), first_frame=5)["obj_1"].tolist()
    [[3, 4]]
    """
    seeds: dict[str, NDArray[np.int64]] = {}
    for object_id, group in clicks.by_object().items():
        points = [c.point_xy for c in group if c.is_positive and c.frame == first_frame]
        if not points:
            raise ClickError(
                f"object {object_id!r} has no positive click on frame {first_frame} (the "
                "first uploaded frame), so its identity cannot be carried through the union "
                "masks; add one, or use per_object='separate'"
            )
        seeds[object_id] = np.asarray(points, dtype=np.int64)
    return seeds
