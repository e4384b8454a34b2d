"""DAVIS-style J&F scores of predicted mask sequences against ground truth.

The per-frame metrics follow davis2017-evaluation:

* **J** (region similarity) is the IoU of the two masks; a frame where both are empty scores 1.
* **F** (contour accuracy) compares the masks' one-pixel boundaries (``seg2bmap`` semantics: a
  pixel is on the boundary when it differs from its east, south or south-east neighbour). A
  boundary pixel counts as matched when the other boundary lies within a disk of radius
  ``ceil(bound_th * image diagonal)`` (8 px at 854×480). Precision and recall give F; both
  boundaries empty → 1, exactly one empty → 0.

Objects are matched the way davis2017-evaluation's *unsupervised* protocol does — an auto-seeded
tracker does not know the ground-truth ids — with the Hungarian method (``linear_sum_assignment``),
here on the mean IoU over frames. Every frame counts, frame 0 included: the semi-supervised
protocol drops the first and last frames because frame 0's masks are given to the method, which is
not the case here. An assigned pair whose masks never overlap is not a match: the ground-truth
object is then *unmatched* and scores 0, and the prediction is an *extra*. With
``objects="present_at_start"`` (the default), ground-truth objects that are empty in frame 0 take
no part in matching or in the means (they are listed as excluded): a tracker seeded on frame 0
cannot know them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from sam2_autotrack.errors import EvaluationError, MaskError, MaskSizeError

__all__ = [
    "EvaluationReport",
    "ObjectScore",
    "boundary_f",
    "evaluate",
    "evaluate_dirs",
    "jaccard",
    "load_mask_sequences",
]

ObjectsMode = Literal["present_at_start", "all"]
_Box = tuple[int, int, int, int] | None  # y0, y1, x0, x1 (exclusive ends), None when empty


# --------------------------------------------------------------------------------------------------
# Per-frame metrics
# --------------------------------------------------------------------------------------------------


def _as_frame(mask: Any, name: str) -> NDArray[np.bool_]:
    array = np.asarray(mask)
    if array.ndim != 2:
        raise EvaluationError(
            f"{name} must be one (H, W) mask; got shape {array.shape} (score a (T, H, W) "
            "sequence with evaluate())"
        )
    return array if array.dtype == np.bool_ else array != 0


def _check_same_shape(pred: NDArray[Any], gt: NDArray[Any]) -> None:
    if pred.shape != gt.shape:
        raise EvaluationError(
            f"prediction shape {pred.shape} differs from ground-truth shape {gt.shape}; "
            "resize the prediction to the ground truth's size (nearest neighbour) first"
        )


def _tolerance_px(shape_hw: tuple[int, ...], bound_th: float) -> int:
    if not (math.isfinite(bound_th) and bound_th > 0):
        raise EvaluationError(f"bound_th must be a positive number; got {bound_th!r}")
    if bound_th >= 1:  # davis2017-evaluation: values >= 1 are a tolerance in pixels
        return math.ceil(bound_th)
    return math.ceil(bound_th * math.hypot(shape_hw[0], shape_hw[1]))


def _disk(radius: int) -> NDArray[np.uint8]:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return np.asarray(xx * xx + yy * yy <= radius * radius, dtype=np.uint8)


def _seg2bmap(seg: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Mark pixels that differ from their E, S or SE neighbour (davis2017 ``_seg2bmap``)."""
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def _bbox(mask: NDArray[np.bool_]) -> _Box:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def _union_box(a: _Box, b: _Box) -> _Box:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _f_on_frame(
    pred: NDArray[np.bool_],
    gt: NDArray[np.bool_],
    disk: NDArray[np.uint8],
    box: _Box,
) -> float:
    """Boundary F of one frame, computed on the union bounding box (plus a margin)."""
    if box is None:
        return 1.0  # both empty
    height, width = gt.shape
    # A 2-px margin keeps seg2bmap exact: boundary pixels just outside the masks (top / left) are
    # inside the crop, and the crop's last row / column is either empty or the image's own edge.
    y0, y1 = max(0, box[0] - 2), min(height, box[1] + 2)
    x0, x1 = max(0, box[2] - 2), min(width, box[3] + 2)
    pred_b = _seg2bmap(pred[y0:y1, x0:x1])
    gt_b = _seg2bmap(gt[y0:y1, x0:x1])
    n_pred = int(np.count_nonzero(pred_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    pred_dil = cv2.dilate(pred_b.view(np.uint8), disk).view(bool)
    gt_dil = cv2.dilate(gt_b.view(np.uint8), disk).view(bool)
    precision = np.count_nonzero(pred_b & gt_dil) / n_pred
    recall = np.count_nonzero(gt_b & pred_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2.0 * precision * recall / (precision + recall))


def jaccard(pred: NDArray[np.bool_], gt: NDArray[np.bool_]) -> float:
    """Region similarity J (intersection over union) of one frame's masks.

    Parameters
    ----------
    pred, gt
        ``(H, W)`` masks (bool, or numbers where non-zero is foreground) of the same shape.

    Returns
    -------
    float
        ``|pred ∧ gt| / |pred ∨ gt|``; 1.0 when both masks are empty.

    Raises
    ------
    EvaluationError
        The masks are not 2-D or their shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((10, 10), bool); a[:, :4] = True
    >>> b = np.zeros((10, 10), bool); b[:, 2:6] = True
    >>> jaccard(a, b)  # 20 px in common, 60 px in the union
    0.3333333333333333
    >>> jaccard(np.zeros((4, 4), bool), np.zeros((4, 4), bool))
    1.0
    """
    p, g = _as_frame(pred, "pred"), _as_frame(gt, "gt")
    _check_same_shape(p, g)
    union = int(np.count_nonzero(p | g))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(p & g)) / union


def boundary_f(pred: NDArray[np.bool_], gt: NDArray[np.bool_], *, bound_th: float = 0.008) -> float:
    """Contour accuracy F (boundary F-measure) of one frame's masks, as in DAVIS.

    Parameters
    ----------
    pred, gt
        ``(H, W)`` masks (bool, or numbers where non-zero is foreground) of the same shape.
    bound_th
        Boundary tolerance as a fraction of the image diagonal (rounded up to whole pixels);
        a value ``>= 1`` is taken as a number of pixels.

    Returns
    -------
    float
        Harmonic mean of boundary precision and recall; 1.0 when both masks are empty (or have no
        boundary), 0.0 when exactly one is.

    Raises
    ------
    EvaluationError
        The masks are not 2-D, their shapes differ, or ``bound_th`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((60, 80), bool); a[20:40, 20:40] = True
    >>> boundary_f(a, np.roll(a, 1, axis=1))  # 1 px apart, tolerance ceil(0.008 * 100) = 1 px
    1.0
    >>> boundary_f(a, np.roll(a, 10, axis=1)) < 0.6
    True
    """
    p, g = _as_frame(pred, "pred"), _as_frame(gt, "gt")
    _check_same_shape(p, g)
    disk = _disk(_tolerance_px(g.shape, bound_th))
    return _f_on_frame(p, g, disk, _union_box(_bbox(p), _bbox(g)))


# --------------------------------------------------------------------------------------------------
# Sequences and reports
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectScore:
    """The scores of one ground-truth object.

    Parameters
    ----------
    gt_id
        Ground-truth object id.
    pred_id
        The predicted object matched to it, or ``None`` if none was (then every score is 0).
    j_mean, f_mean
        Mean over frames of J and of F.
    j_per_frame, f_per_frame
        ``(T,)`` float64 per-frame J and F.
    """

    gt_id: str
    pred_id: str | None
    j_mean: float
    f_mean: float
    j_per_frame: NDArray[np.float64]
    f_per_frame: NDArray[np.float64]

    @property
    def jf_mean(self) -> float:
        """``(J + F) / 2``."""
        return (self.j_mean + self.f_mean) / 2.0

    def to_dict(self) -> dict[str, Any]:
        """Return the scores as JSON-ready values (per-frame arrays become lists)."""
        return {
            "gt_id": self.gt_id,
            "pred_id": self.pred_id,
            "j_mean": self.j_mean,
            "f_mean": self.f_mean,
            "jf_mean": self.jf_mean,
            "j_per_frame": [float(v) for v in self.j_per_frame],
            "f_per_frame": [float(v) for v in self.f_per_frame],
        }


@dataclass(frozen=True)
class EvaluationReport:
    """J&F of a set of predicted mask sequences against ground truth.

    Parameters
    ----------
    j_mean, f_mean, jf_mean
        Means over the scored ground-truth objects (unmatched ones count as 0).
    per_object
        ``{gt_id: ObjectScore}`` for every scored ground-truth object.
    matching
        ``{gt_id: pred_id}`` for the matched pairs.
    unmatched_gt
        Scored ground-truth objects no prediction was matched to.
    extra_pred
        Predicted objects matched to no ground truth.
    excluded_gt
        Ground-truth objects left out of matching and means (empty in frame 0, with
        ``objects="present_at_start"``).
    objects
        The ``objects`` mode used.
    frame_count
        Number of frames scored.
    """

    j_mean: float
    f_mean: float
    jf_mean: float
    per_object: Mapping[str, ObjectScore]
    matching: Mapping[str, str]
    unmatched_gt: tuple[str, ...]
    extra_pred: tuple[str, ...]
    excluded_gt: tuple[str, ...]
    objects: ObjectsMode = "present_at_start"
    frame_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values.

        Examples
        --------
        >>> import json, numpy as np
        >>> gt = {"a": np.ones((2, 8, 8), bool)}
        >>> d = evaluate({"p": np.ones((2, 8, 8), bool)}, gt).to_dict()
        >>> d["jf_mean"], d["matching"]
        (1.0, {'a': 'p'})
        >>> _ = json.dumps(d, allow_nan=False)
        """
        return {
            "j_mean": self.j_mean,
            "f_mean": self.f_mean,
            "jf_mean": self.jf_mean,
            "objects": self.objects,
            "frame_count": self.frame_count,
            "matching": dict(self.matching),
            "unmatched_gt": list(self.unmatched_gt),
            "extra_pred": list(self.extra_pred),
            "excluded_gt": list(self.excluded_gt),
            "per_object": {gid: score.to_dict() for gid, score in self.per_object.items()},
        }

    def __str__(self) -> str:
        """Render a small table: one row per scored object, then the means."""
        rows = [("object", "pred", "J", "F", "J&F")]
        for gid, score in self.per_object.items():
            rows.append(
                (
                    gid,
                    score.pred_id if score.pred_id is not None else "-",
                    f"{score.j_mean:.3f}",
                    f"{score.f_mean:.3f}",
                    f"{score.jf_mean:.3f}",
                )
            )
        rows.append(("mean", "", f"{self.j_mean:.3f}", f"{self.f_mean:.3f}", f"{self.jf_mean:.3f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]

        def line(r: tuple[str, ...]) -> str:
            left = [r[i].ljust(widths[i]) for i in range(2)]
            right = [r[i].rjust(widths[i]) for i in range(2, 5)]
            return "  ".join(left + right).rstrip()

        out = [line(rows[0]), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in rows[1:-1]]
        out += ["  ".join("-" * w for w in widths), line(rows[-1])]
        out.append(f"frames: {self.frame_count}   objects: {self.objects}")
        for label, ids in (
            ("unmatched gt", self.unmatched_gt),
            ("extra pred", self.extra_pred),
            ("excluded gt", self.excluded_gt),
        ):
            if ids:
                out.append(f"{label}: {', '.join(ids)}")
        return "\n".join(out)


def _as_sequences(
    masks: Mapping[str, Any], side: str, shape: tuple[int, ...] | None
) -> tuple[dict[str, NDArray[np.bool_]], tuple[int, ...] | None]:
    out: dict[str, NDArray[np.bool_]] = {}
    for object_id, value in masks.items():
        array = np.asarray(value)
        if array.ndim != 3:
            raise EvaluationError(
                f"{side}[{object_id!r}] must be a (T, H, W) mask sequence; got shape {array.shape}"
            )
        if shape is None:
            shape = array.shape
        elif array.shape != shape:
            raise EvaluationError(
                f"{side}[{object_id!r}] has shape {array.shape} but the other sequences have "
                f"shape {shape}; give every prediction and ground-truth sequence the same "
                "(T, H, W): same frames, same size"
            )
        out[str(object_id)] = array if array.dtype == np.bool_ else array != 0
    return out, shape


def _boxes(seq: NDArray[np.bool_]) -> list[_Box]:
    return [_bbox(frame) for frame in seq]


def _intersections(
    a: NDArray[np.bool_], b: NDArray[np.bool_], boxes_a: list[_Box], boxes_b: list[_Box]
) -> NDArray[np.int64]:
    """Per-frame ``|a ∧ b|``, counted only where the two bounding boxes overlap."""
    out = np.zeros(len(boxes_a), np.int64)
    for t, (ba, bb) in enumerate(zip(boxes_a, boxes_b, strict=True)):
        if ba is None or bb is None:
            continue
        y0, y1 = max(ba[0], bb[0]), min(ba[1], bb[1])
        x0, x1 = max(ba[2], bb[2]), min(ba[3], bb[3])
        if y1 > y0 and x1 > x0:
            out[t] = np.count_nonzero(a[t, y0:y1, x0:x1] & b[t, y0:y1, x0:x1])
    return out


def evaluate(
    pred: Mapping[str, NDArray[np.bool_]],
    gt: Mapping[str, NDArray[np.bool_]],
    *,
    objects: ObjectsMode = "present_at_start",
    bound_th: float = 0.008,
) -> EvaluationReport:
    """Match predicted objects to ground-truth objects and score them with J&F.

    Parameters
    ----------
    pred
        ``{pred_id: (T, H, W) bool}`` predicted mask sequences (may be empty).
    gt
        ``{gt_id: (T, H, W) bool}`` ground-truth sequences, same shape as the predictions.
    objects
        ``"present_at_start"`` (default) leaves out ground-truth objects that are empty in frame 0
        (they are listed in ``excluded_gt``); ``"all"`` scores every ground-truth object.
    bound_th
        Boundary tolerance of F, as in :func:`boundary_f`.

    Returns
    -------
    EvaluationReport
        Means, per-object scores and the matching. Every frame is scored (see the module notes).

    Raises
    ------
    EvaluationError
        No ground truth, shapes that differ (the message names both), an unknown ``objects``
        mode, or no ground-truth object left to score.

    Examples
    --------
    >>> import numpy as np
    >>> gt = {"a": np.zeros((3, 20, 20), bool), "b": np.zeros((3, 20, 20), bool)}
    >>> gt["a"][:, 2:8, 2:8] = True
    >>> gt["b"][:, 10:18, 10:18] = True
    >>> report = evaluate({"x": gt["b"], "y": gt["a"]}, gt)
    >>> dict(report.matching), report.jf_mean
    ({'a': 'y', 'b': 'x'}, 1.0)
    """
    if objects not in ("present_at_start", "all"):
        raise EvaluationError(f"objects must be 'present_at_start' or 'all'; got {objects!r}")
    if not gt:
        raise EvaluationError("no ground-truth objects given; pass at least one (T, H, W) mask")
    gt_seqs, shape = _as_sequences(gt, "gt", None)
    pred_seqs, shape = _as_sequences(pred, "pred", shape)
    assert shape is not None
    frame_count = int(shape[0])
    if frame_count == 0:
        raise EvaluationError("the sequences have no frames (T = 0); pass at least one frame")
    disk = _disk(_tolerance_px(shape[1:], bound_th))

    excluded = tuple(
        gid for gid, seq in gt_seqs.items() if objects == "present_at_start" and not seq[0].any()
    )
    scored = [gid for gid in gt_seqs if gid not in excluded]
    if not scored:
        raise EvaluationError(
            "every ground-truth object is empty in frame 0, so none can be scored with "
            "objects='present_at_start'; pass objects='all'"
        )
    pred_ids = list(pred_seqs)

    gt_boxes = {gid: _boxes(gt_seqs[gid]) for gid in scored}
    pred_boxes = {pid: _boxes(pred_seqs[pid]) for pid in pred_ids}
    gt_area = {gid: gt_seqs[gid].sum(axis=(1, 2), dtype=np.int64) for gid in scored}
    pred_area = {pid: pred_seqs[pid].sum(axis=(1, 2), dtype=np.int64) for pid in pred_ids}

    j_frames: dict[tuple[int, int], NDArray[np.float64]] = {}
    overlaps = np.zeros((len(scored), len(pred_ids)), bool)
    mean_iou = np.zeros((len(scored), len(pred_ids)))
    for i, gid in enumerate(scored):
        for k, pid in enumerate(pred_ids):
            inter = _intersections(gt_seqs[gid], pred_seqs[pid], gt_boxes[gid], pred_boxes[pid])
            union = gt_area[gid] + pred_area[pid] - inter
            j = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
            j_frames[i, k] = j
            overlaps[i, k] = bool(inter.any())
            mean_iou[i, k] = float(j.mean())

    matching: dict[str, str] = {}
    if pred_ids:
        rows, cols = linear_sum_assignment(mean_iou, maximize=True)
        for i, k in zip(rows.tolist(), cols.tolist(), strict=True):
            if overlaps[i, k]:
                matching[scored[i]] = pred_ids[k]

    per_object: dict[str, ObjectScore] = {}
    for i, gid in enumerate(scored):
        matched = matching.get(gid)
        if matched is None:
            j, f = np.zeros(frame_count), np.zeros(frame_count)
        else:
            k = pred_ids.index(matched)
            pred_seq, gt_seq = pred_seqs[matched], gt_seqs[gid]
            j = j_frames[i, k]
            f = np.array(
                [
                    _f_on_frame(
                        pred_seq[t],
                        gt_seq[t],
                        disk,
                        _union_box(pred_boxes[matched][t], gt_boxes[gid][t]),
                    )
                    for t in range(frame_count)
                ]
            )
        j.setflags(write=False)
        f.setflags(write=False)
        per_object[gid] = ObjectScore(gid, matched, float(j.mean()), float(f.mean()), j, f)

    j_mean = float(np.mean([s.j_mean for s in per_object.values()]))
    f_mean = float(np.mean([s.f_mean for s in per_object.values()]))
    return EvaluationReport(
        j_mean=j_mean,
        f_mean=f_mean,
        jf_mean=(j_mean + f_mean) / 2.0,
        per_object=per_object,
        matching=matching,
        unmatched_gt=tuple(gid for gid in scored if gid not in matching),
        extra_pred=tuple(pid for pid in pred_ids if pid not in matching.values()),
        excluded_gt=excluded,
        objects=objects,
        frame_count=frame_count,
    )


# --------------------------------------------------------------------------------------------------
# Folders of PNGs
# --------------------------------------------------------------------------------------------------

_IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")


def load_mask_sequences(directory: str | Path) -> dict[str, NDArray[np.bool_]]:
    """Read ``<directory>/<object_id>/<frame>.png`` folders into ``{object_id: (T, H, W) bool}``.

    Each sub-folder holding images is one object; its images, in file-name order, are the frames.
    A pixel is foreground when its (grey) value is above 127, which reads white-on-black masks
    whether they are stored as 0/255 or anti-aliased.

    Parameters
    ----------
    directory
        The folder of per-object folders (as written by :meth:`SyntheticClip.write` for the
        ground truth, or by the mask-sequence export of a tracking run).

    Returns
    -------
    dict
        ``{object_id: (T, H, W) bool}`` in sorted id order.

    Raises
    ------
    EvaluationError
        The folder is missing, holds no per-object image folders, or objects differ in frame count.
    MaskError, MaskSizeError
        An image cannot be decoded, or its size differs from the object's first frame.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "obj").mkdir()
    >>> for t in range(2):
    ...     _ = cv2.imwrite(str(root / "obj" / f"{t:05d}.png"), np.full((4, 6), 255, np.uint8))
    >>> {k: v.shape for k, v in load_mask_sequences(root).items()}
    {'obj': (2, 4, 6)}
    """
    return {oid: seq for oid, (_, seq) in _read_mask_dir(directory).items()}


def _read_mask_dir(directory: str | Path) -> dict[str, tuple[tuple[str, ...], NDArray[np.bool_]]]:
    """Read a folder of per-object folders: ``{object_id: (frame file stems, (T, H, W) bool)}``."""
    root = Path(directory)
    if not root.is_dir():
        raise EvaluationError(
            f"mask folder {root} does not exist; pass a folder with one sub-folder of PNG frames "
            "per object"
        )
    out: dict[str, tuple[tuple[str, ...], NDArray[np.bool_]]] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            f
            for f in sub.iterdir()
            if f.is_file() and f.suffix.lower() in _IMAGE_SUFFIXES and not f.name.startswith(".")
        )
        if not files:
            continue
        frames: list[NDArray[np.bool_]] = []
        for file in files:
            image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise MaskError(f"cannot decode mask image {file}; re-export it as an 8-bit PNG")
            if frames and image.shape != frames[0].shape:
                h0, w0 = frames[0].shape
                raise MaskSizeError(
                    f"mask {file} is {image.shape[1]}x{image.shape[0]} but {files[0].name} is "
                    f"{w0}x{h0}; every frame of an object must have the same size",
                    expected_wh=(w0, h0),
                    actual_wh=(int(image.shape[1]), int(image.shape[0])),
                )
            frames.append(image > 127)
        out[sub.name] = (tuple(f.stem for f in files), np.stack(frames))
    if not out:
        raise EvaluationError(
            f"no per-object mask folders found in {root}; expected <object_id>/frame_00000.png ..."
        )
    counts = {oid: seq.shape[0] for oid, (_, seq) in out.items()}
    if len(set(counts.values())) > 1:
        raise EvaluationError(
            f"objects in {root} have different frame counts {counts}; every object folder needs "
            "one image per frame"
        )
    return out


def evaluate_dirs(
    pred_dir: str | Path,
    gt_dir: str | Path,
    *,
    objects: ObjectsMode = "present_at_start",
    bound_th: float = 0.008,
) -> EvaluationReport:
    """Score the mask folders in ``pred_dir`` against those in ``gt_dir``.

    Both folders use the layout of :func:`load_mask_sequences`; the object ids of the two sides
    need not agree (objects are matched by IoU). When the predictions hold only some of the frames
    (masks exported every k-th frame, ``frame_00000.png``, ``frame_00005.png``, ...), the ground
    truth is scored on the frames with the same file names. Note that with
    ``objects="present_at_start"`` the first *scored* frame is the start.

    Parameters
    ----------
    pred_dir, gt_dir
        Folders of per-object PNG folders.
    objects, bound_th
        As in :func:`evaluate`.

    Returns
    -------
    EvaluationReport
        As :func:`evaluate` returns.

    Raises
    ------
    EvaluationError
        As :func:`load_mask_sequences` and :func:`evaluate` raise.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for side, oid in (("gt", "gt_1"), ("pred", "obj_0")):
    ...     (root / side / oid).mkdir(parents=True)
    ...     mask = np.zeros((16, 16), np.uint8); mask[4:12, 4:12] = 255
    ...     _ = cv2.imwrite(str(root / side / oid / "frame_00000.png"), mask)
    >>> evaluate_dirs(root / "pred", root / "gt").jf_mean
    1.0
    """
    pred = _read_mask_dir(pred_dir)
    gt = _read_mask_dir(gt_dir)
    gt_names = next(iter(gt.values()))[0]
    pred_names = next(iter(pred.values()))[0]
    gt_seqs = {oid: seq for oid, (_, seq) in gt.items()}
    if pred_names != gt_names and set(pred_names) < set(gt_names):
        # Masks exported every k-th frame: score the ground truth's frames of the same names.
        index = {name: t for t, name in enumerate(gt_names)}
        keep = np.array([index[name] for name in pred_names])
        gt_seqs = {oid: seq[keep] for oid, seq in gt_seqs.items()}
    return evaluate(
        {oid: seq for oid, (_, seq) in pred.items()},
        gt_seqs,
        objects=objects,
        bound_th=bound_th,
    )
