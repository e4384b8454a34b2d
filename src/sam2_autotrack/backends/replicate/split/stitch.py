"""Stitching the ``auto`` strategy's per-object windows back into the split, frame by frame.

Inside a [`Window`][sam2_autotrack.backends.replicate.split.Window], each re-run object has
its own exact mask from the hosted model.
[`stitch_frame`][sam2_autotrack.backends.replicate.split.stitch_frame] lets those masks decide,
within the union, the pixels of the window's objects:

* a union pixel claimed by exactly one re-run object is that object's;
* claimed by several (the model's per-object masks may overlap), it stays with the split's
  owner when that is one of them, else goes to the first claimant;
* a pixel the split gave to one of the window's objects and no re-run object claims goes to the
  window's leftover object — unless it lies on the union's outer edge (within ``EDGE_PX``
  pixels of the background) next to its split owner's own mask (the per-object prediction ran
  on a re-encoded upload, so its outline can sit a pixel inside the union's), or there is no
  leftover: then the split's owner keeps it;
* every other pixel keeps the split's owner.

The union — the single prediction's answer of where the foreground is — is never changed, so
the objects still partition it exactly.

A split that swapped two objects inside a window stays swapped after it.
[`identity_map`][sam2_autotrack.backends.replicate.split.identity_map] matches the split's objects
to the stitched ones on the window's last frame (largest overlap, one to one), so every later frame
can be relabelled.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from sam2_autotrack.backends.replicate.split.stream import append_labels, label_map
from sam2_autotrack.backends.replicate.split.windows import Window
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_mask

__all__ = ["EDGE_PX", "identity_map", "relabel", "stitch_frame", "stitch_sequences"]

EDGE_PX = 2
"""Edge tolerance: an unclaimed pixel this close to both the background and its split owner's
own mask stays with its split owner."""


def stitch_frame(
    split: NDArray[np.integer],
    claims: Mapping[int, NDArray[np.bool_]],
    objects: Collection[int],
    leftover: int | None = None,
) -> NDArray[np.int32]:
    """Return the frame's label map with the window's objects decided by their own masks.

    Parameters
    ----------
    split
        ``(H, W)`` label map of the split (0 background, ``k`` object ``k``); its foreground is
        the union.
    claims
        ``{object: (H, W) bool}``: the re-run objects' masks from their own predictions.
    objects
        Every object of the window (the re-run ones and the leftover).
    leftover
        The window's object that was not re-run, if any.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` int32 labels with the same foreground as ``split``.

    Raises
    ------
    MaskError
        ``split`` is not 2-D, or a claim is of another size.

    Examples
    --------
    >>> import numpy as np
    >>> split = np.array([[1, 1, 1, 2, 2, 0]])          # the split cut one pixel too far right
    >>> truth_2 = np.array([[0, 0, 1, 1, 1, 1]], bool)  # object 2's own prediction
    >>> stitch_frame(split, {2: truth_2}, objects=(1, 2), leftover=1).tolist()
    [[1, 1, 2, 2, 2, 0]]
    >>> split = np.array([[1, 1, 1, 1, 2, 2, 2, 2, 0, 0]])  # 2's own mask misses its outer edge
    >>> short_2 = np.array([[0, 0, 0, 0, 1, 1, 1, 0, 0, 0]], bool)
    >>> stitch_frame(split, {2: short_2}, objects=(1, 2), leftover=1).tolist()
    [[1, 1, 1, 1, 2, 2, 2, 2, 0, 0]]
    """
    labels = np.asarray(split)
    if labels.ndim != 2:
        raise MaskError(f"split must be one (H, W) label map; got shape {labels.shape}")
    union = labels > 0
    out = labels.astype(np.int32, copy=True)
    members = np.isin(labels, np.fromiter(objects, dtype=np.int64, count=len(objects)))
    claimed_by = np.zeros(labels.shape, dtype=np.int32)
    claim_count = np.zeros(labels.shape, dtype=np.int32)
    for label in sorted(claims, reverse=True):  # the first claimant wins a tie
        mask = as_mask(claims[label], name=f"claims[{label}]")
        if mask.shape != labels.shape:
            raise MaskError(
                f"claims[{label}] is {mask.shape[1]}x{mask.shape[0]} but the frame is "
                f"{labels.shape[1]}x{labels.shape[0]}; pass masks of this frame"
            )
        inside = mask & union
        claimed_by[inside] = label
        claim_count += inside
    single = claim_count == 1
    out[single] = claimed_by[single]
    several = claim_count > 1
    if several.any():
        keep = np.zeros(labels.shape, dtype=bool)
        for label in claims:
            keep |= several & (labels == label) & as_mask(claims[label])
        out[several & ~keep] = claimed_by[several & ~keep]
    if leftover is not None:
        unclaimed = members & (claim_count == 0)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_PX + 1, 2 * EDGE_PX + 1))
        rim = unclaimed & (cv2.dilate((~union).astype(np.uint8), kernel) > 0)
        for label in claims:
            own = rim & (labels == label)
            if own.any():
                near = cv2.dilate(as_mask(claims[label]).astype(np.uint8), kernel) > 0
                unclaimed &= ~(own & near)
        out[unclaimed] = leftover
    return out


def identity_map(
    split: NDArray[np.integer], stitched: NDArray[np.integer], objects: Collection[int]
) -> dict[int, int]:
    """Match the split's objects to the stitched ones on one frame: ``{split label: label}``.

    Only ``objects`` are matched (one to one, largest total overlap); an object without any
    overlap keeps its label when it is free, otherwise takes a free one.

    Parameters
    ----------
    split
        ``(H, W)`` label map of the split on the frame.
    stitched
        ``(H, W)`` label map after stitching, on the same frame.
    objects
        The labels to match.

    Returns
    -------
    dict[int, int]
        ``{split label: stitched label}`` for every object of ``objects``.

    Raises
    ------
    MaskError
        Label maps of different shapes.

    Examples
    --------
    >>> import numpy as np
    >>> split = np.array([[1, 1, 0, 2, 2]])
    >>> stitched = np.array([[2, 2, 0, 1, 1]])       # the split swapped 1 and 2
    >>> identity_map(split, stitched, (1, 2))
    {1: 2, 2: 1}
    """
    labels = sorted(objects)
    a = np.asarray(split)
    b = np.asarray(stitched)
    if a.shape != b.shape:
        raise MaskError(f"label maps of one frame must have one shape; got {a.shape}, {b.shape}")
    overlap = np.array(
        [[np.count_nonzero((a == i) & (b == j)) for j in labels] for i in labels], dtype=np.int64
    )
    rows, cols = linear_sum_assignment(-overlap)
    mapping = {labels[r]: labels[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}
    free = [label for label in labels if label not in mapping.values()]
    for label in labels:
        if label not in mapping:
            mapping[label] = label if label in free else free[0]
            free.remove(mapping[label])
    return dict(sorted(mapping.items()))


def relabel(labels: NDArray[np.integer], lookup: NDArray[np.int32]) -> NDArray[np.int32]:
    """Return ``lookup[labels]`` (label ``k`` becomes ``lookup[k]``; 0 stays 0).

    Parameters
    ----------
    labels
        A label map.
    lookup
        1-D table, ``lookup[0] == 0``.

    Returns
    -------
    numpy.ndarray
        The renamed labels, int32, of ``labels``' shape.

    Raises
    ------
    MaskError
        ``lookup`` is not 1-D or does not keep 0 at 0.

    Examples
    --------
    >>> import numpy as np
    >>> relabel(np.array([[0, 1, 2]]), np.array([0, 2, 1], np.int32)).tolist()
    [[0, 2, 1]]
    """
    table = np.asarray(lookup, dtype=np.int32)
    if table.ndim != 1 or table.size == 0 or table[0] != 0:
        raise MaskError("lookup must be a 1-D label table that keeps 0 (background) at 0")
    result: NDArray[np.int32] = table[np.asarray(labels)]
    return result


def stitch_sequences(
    split: Mapping[str, MaskSequence],
    windows: Sequence[Window],
    claims: Sequence[Mapping[int, Iterator[NDArray[np.bool_]]]],
) -> dict[str, MaskSequence]:
    """Return the final sequences: the split, with each window stitched in and identities fixed.

    Frame by frame: inside a window,
    [`stitch_frame`][sam2_autotrack.backends.replicate.split.stitch_frame] with the re-run objects'
    masks; on its last frame, [`identity_map`][sam2_autotrack.backends.replicate.split.identity_map]
    says how the split's objects are named from then on; outside windows, the split's labels renamed
    accordingly.

    Parameters
    ----------
    split
        ``{object_id: MaskSequence}`` of the split (object ``k`` is the ``k``-th).
    windows
        The windows, in frame order, not overlapping.
    claims
        Per window, ``{object: iterator of (H, W) bool}``: each re-run object's masks on the
        window's frames ``first .. last``, in order (read lazily, one frame at a time).

    Returns
    -------
    dict[str, MaskSequence]
        The final sequences, in the order of ``split``.

    Raises
    ------
    MaskError
        Not one claims mapping per window.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((3, 1, 4), bool); b = np.zeros((3, 1, 4), bool)
    >>> a[:, 0, :2] = True; b[:, 0, 2:] = True
    >>> a[1:], b[1:] = b[1:].copy(), a[1:].copy()        # the split swaps them from frame 1
    >>> split = {"a": MaskSequence.from_array(a), "b": MaskSequence.from_array(b)}
    >>> window = Window(first=0, last=1, objects=(1, 2), rerun=(2,), leftover=1)
    >>> truth_b = iter([np.array([[0, 0, 1, 1]], bool)] * 2)
    >>> fixed = stitch_sequences(split, [window], [{2: truth_b}])
    >>> fixed["b"].to_array()[:, 0].astype(int).tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]]
    """
    if len(claims) != len(windows):
        raise MaskError(f"got claims for {len(claims)} windows but {len(windows)} windows")
    object_ids = list(split)
    first_sequence = split[object_ids[0]]
    count = len(object_ids)
    out = {oid: MaskSequence(first_sequence.resolution_wh) for oid in object_ids}
    lookup = np.arange(count + 1, dtype=np.int32)
    order = sorted(range(len(windows)), key=lambda w: windows[w].first)
    position = 0
    for index in range(len(first_sequence)):
        labels = label_map(split, index)
        while position < len(order) and windows[order[position]].last < index:
            position += 1
        current = windows[order[position]] if position < len(order) else None
        if current is not None and index in current:
            sources = claims[order[position]]
            frame_claims = {label: next(masks) for label, masks in sources.items()}
            stitched = stitch_frame(labels, frame_claims, current.objects, current.leftover)
            final = relabel(stitched, lookup)
            if index == current.last:
                renamed = lookup.copy()
                for before, after in identity_map(labels, stitched, current.objects).items():
                    renamed[before] = lookup[after]
                lookup = renamed
        else:
            final = relabel(labels, lookup)
        append_labels(out, final)
    return out
