"""The embedded engine's initial regions: each object's frame-0 clicks → its frame-0 mask.

The region is the proposal that holds all the object's positive clicks and none of its negatives
(preferably none of the other objects' positives) and whose own seeds the clicks are, its outline
optionally settled on the image's edges by GrabCut in a band around it; without one, GrabCut on a
crop, seeded by the clicks (positives sure-foreground, negatives and the crop border
sure-background). `LabelPropagator` carries the regions through the video.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.backends.local.grabcut import grabcut_clicks, refine_outline
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.seeds.interior import find_seeds

__all__ = ["initial_masks_from_clicks"]


def _points(clicks: Sequence[Click]) -> NDArray[np.int64]:
    return np.array([[c.x, c.y] for c in clicks], dtype=np.int64).reshape(-1, 2)


def initial_masks_from_clicks(
    image_rgb: NDArray[np.uint8],
    clicks: ClickSet,
    *,
    proposals: MaskProposals | None = None,
    refine_band: float = 0.0,
) -> dict[str, NDArray[np.bool_]]:
    """Turn each object's frame-0 clicks into an initial mask.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame the clicks are on.
    clicks
        The click set; only clicks on frame 0 are used (an object without any gets an empty mask
        and is picked up by nothing: the local engine seeds on frame 0 only).
    proposals
        Candidate masks of this frame. The chosen one holds all of the object's positive clicks
        and none of its negative clicks, and preferably none of the other objects' positive
        clicks (two picks may share a margin: then a holder that reaches into the other object
        is still the object's own mask, where GrabCut over a textured frame spreads far past
        it; the tracker gives each shared pixel to one object); among those,
        the one *whose own seeds these clicks are* wins:
        [`find_seeds`][sam2_autotrack.seeds.find_seeds] is run on each holder and the holder whose
        seeds lie closest to the clicks is chosen (ties: the better score, then the smaller area).
        Automatic clicks are the seeds of the selected mask, so this recovers it, while larger
        holders (the object plus neighbours, whole-subject blobs the selection turned down) and
        parts that happen to hold every click have their deepest points elsewhere. Without a match,
        GrabCut.
    refine_band
        With a proposal chosen, move its outline onto the image's edges by GrabCut in a band of
        this fraction of the square root of its area
        ([`refine_outline`][sam2_autotrack.backends.local.grabcut.refine_outline]; a proposal
        made of superpixels follows them, not the object). ``0``: the proposal as it is.

    Returns
    -------
    dict
        ``{object_id: (H, W) bool}`` in the click set's object order.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.clicks import Click, ClickSet
    >>> img = np.zeros((60, 80, 3), np.uint8)
    >>> masks = np.zeros((1, 60, 80), bool); masks[0, 10:30, 20:50] = True
    >>> cs = ClickSet(clicks=(Click(x=30, y=20),))
    >>> out = initial_masks_from_clicks(img, cs, proposals=MaskProposals(masks=masks))
    >>> int(out["obj_1"].sum())
    600
    """
    image = as_rgb_image(image_rgb)
    height, width = image.shape[:2]
    if proposals is not None and proposals.resolution_wh != (width, height):
        raise MaskError(
            f"proposals are {proposals.resolution_wh[0]}x{proposals.resolution_wh[1]} but the "
            f"frame is {width}x{height}; propose on the same frame you track"
        )
    groups = clicks.by_object()
    positives_of = {
        oid: _points([c for c in group if c.frame == 0 and c.is_positive])
        for oid, group in groups.items()
    }
    result: dict[str, NDArray[np.bool_]] = {}
    for oid, group in groups.items():
        pos = positives_of[oid]
        for point in pos:
            if point[0] >= width or point[1] >= height:
                raise MaskError(
                    f"click ({point[0]}, {point[1]}) of {oid!r} is outside the {width}x{height} "
                    "frame; clicks must be in the video's own pixel space"
                )
        neg = _points([c for c in group if c.frame == 0 and not c.is_positive])
        neg = neg[(neg[:, 0] < width) & (neg[:, 1] < height)]
        others = [positives_of[o] for o in groups if o != oid and len(positives_of[o])]
        if len(pos) == 0:
            result[oid] = np.zeros((height, width), dtype=bool)
            continue
        chosen: NDArray[np.bool_] | None = None
        if proposals is not None and len(proposals):
            masks = proposals.masks
            hold = masks[:, pos[:, 1], pos[:, 0]].all(axis=1)
            if len(neg):
                hold &= ~masks[:, neg[:, 1], neg[:, 0]].any(axis=1)
            # best: a holder free of the other objects' clicks; else one that overlaps them
            # (two picks may share a margin; the tracker gives each shared pixel to one object)
            clean = hold.copy()
            if others:
                rest = np.concatenate(others)
                clean &= ~masks[:, rest[:, 1], rest[:, 0]].any(axis=1)
            idx = np.flatnonzero(clean if clean.any() else hold)
            if len(idx):
                chosen = masks[_whose_seeds(masks, idx, pos, proposals.scores)].copy()
                if refine_band > 0:
                    chosen = refine_outline(image, chosen, pos, band_fraction=refine_band)
        if chosen is None:
            chosen = grabcut_clicks(image, pos, neg)
        result[oid] = chosen
    return result


def _whose_seeds(
    masks: NDArray[np.bool_],
    holders: NDArray[np.intp],
    clicks_xy: NDArray[np.int64],
    scores: NDArray[np.float64] | None,
) -> int:
    """Index of the holder whose own seeds lie closest to ``clicks_xy`` (see above)."""
    if len(holders) == 1:
        return int(holders[0])
    best: tuple[float, float, int] | None = None
    chosen = int(holders[0])
    for i in holders.tolist():
        seeds = find_seeds(masks[i], n=len(clicks_xy)).points_xy.astype(np.float64)
        diff = clicks_xy[:, None, :].astype(np.float64) - seeds[None]
        gaps = np.hypot(diff[..., 0], diff[..., 1])
        # each click to its nearest seed, and each seed to its nearest click
        distance = 0.5 * float(gaps.min(axis=1).mean() + gaps.min(axis=0).mean())
        score = float(scores[i]) if scores is not None else 0.0
        key = (round(distance, 0), -score, int(masks[i].sum()))
        if best is None or key < best:
            best, chosen = key, i
    return chosen
