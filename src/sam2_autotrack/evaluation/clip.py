"""Score one clip: predicted objects against ground-truth objects under a DAVIS protocol.

[`evaluate`][sam2_autotrack.evaluation.evaluate] validates the settings, picks the scored frames and
objects (`protocols`), then goes through the scored frames once: on each, every object's mask is
read (`frames`: an array, a [`MaskSequence`][sam2_autotrack.masks.MaskSequence], PNG files),
measured, and every needed pair scored (`metrics`). Only the per-frame figures are kept, so memory
does not grow with the number of pixels of the clip. It then decides which prediction each object is
compared with (`matching`) and returns an
[`EvaluationReport`][sam2_autotrack.evaluation.EvaluationReport] naming the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError
from sam2_autotrack.evaluation.frames import MaskFrames, MaskSource, as_mask_frames
from sam2_autotrack.evaluation.matching import assign_by_score, counted_predictions, pair_by_id
from sam2_autotrack.evaluation.metrics import (
    FrameGeometry,
    jaccard_from_counts,
    measure_frame,
    pair_on_frame,
    tolerance_disk,
)
from sam2_autotrack.evaluation.protocols import (
    EvaluationOptions,
    ObjectsMode,
    Protocol,
    rules_of,
    scored_frames,
    scored_objects,
)
from sam2_autotrack.evaluation.report import EvaluationReport, ObjectScore, VoidUse
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = ["evaluate"]


def _sequences(
    masks: Mapping[Any, Any], side: str, shape: tuple[int, ...] | None
) -> tuple[dict[str, MaskFrames], tuple[int, ...] | None]:
    out: dict[str, MaskFrames] = {}
    for object_id, value in masks.items():
        frames = as_mask_frames(value, name=f"{side}[{object_id!r}]")
        if shape is None:
            shape = tuple(frames.shape)
        elif tuple(frames.shape) != shape:
            raise EvaluationError(
                f"{side}[{object_id!r}] has shape {tuple(frames.shape)} but the other sequences "
                f"have shape {shape}; give every prediction and ground-truth sequence the same "
                "(T, H, W): same frames, same size"
            )
        key = str(object_id)
        if key in out:
            raise EvaluationError(
                f"{side} has two objects with the id {key!r}; make the ids unique"
            )
        out[key] = frames
    return out, shape


def _void_frames(void: Any, shape: tuple[int, ...]) -> MaskFrames:
    if isinstance(void, np.ndarray) or not hasattr(void, "shape"):
        try:
            void = as_mask_stack(void, name="void")
        except MaskError as exc:
            raise EvaluationError(f"{exc} (void is one (T, H, W) mask for the whole clip)") from exc
    frames = as_mask_frames(void, name="void")
    if tuple(frames.shape) != shape:
        raise EvaluationError(
            f"void has shape {tuple(frames.shape)} but the masks have shape {shape}; pass one "
            "void mask per frame, the size of the masks"
        )
    return frames


_EMPTY = FrameGeometry(mask=np.zeros((1, 1), bool), box=None, area=0, boundary_px=0)
"""An empty prediction (what an object without one is compared with)."""


class _Scores:
    """Per-frame intersections, areas and F of the pairs, filled frame by frame."""

    def __init__(self, pairs: list[tuple[int, int]], preds: int, gts: int, frames: int) -> None:
        self.pairs = pairs
        self._row_of = {pair: n for n, pair in enumerate(pairs)}
        self.inter = np.zeros((len(pairs), frames), np.int64)
        self.f = np.ones((len(pairs), frames))
        self.pred_area = np.zeros((preds, frames), np.int64)
        self.gt_area = np.zeros((gts, frames), np.int64)
        self.empty_f = np.ones((gts, frames))  # an empty prediction against each object
        self.nonempty = np.zeros(preds, bool)

    def add(
        self,
        k: int,
        preds: list[FrameGeometry],
        gts: list[FrameGeometry],
        disk: NDArray[np.uint8],
    ) -> None:
        for p, geometry in enumerate(preds):
            self.pred_area[p, k] = geometry.area
            self.nonempty[p] |= geometry.box is not None
        for g, geometry in enumerate(gts):
            self.gt_area[g, k] = geometry.area
            self.empty_f[g, k] = pair_on_frame(_EMPTY, geometry, disk)[1]
        for n, (p, g) in enumerate(self.pairs):
            self.inter[n, k], self.f[n, k] = pair_on_frame(preds[p], gts[g], disk)

    def pair(self, p: int | None, g: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(j, f)`` per frame of prediction ``p`` (``None``: an empty one) and object ``g``."""
        if p is None:
            zero = np.zeros_like(self.gt_area[g])
            return jaccard_from_counts(zero, zero, self.gt_area[g]), self.empty_f[g].copy()
        n = self._row_of[(p, g)]
        return jaccard_from_counts(self.inter[n], self.pred_area[p], self.gt_area[g]), self.f[n]


def evaluate(
    pred: Mapping[str, MaskSource],
    gt: Mapping[str, MaskSource],
    *,
    protocol: Protocol = "davis-unsupervised",
    objects: ObjectsMode = "all",
    void: MaskSource | None = None,
    bound_th: float = 0.008,
) -> EvaluationReport:
    """Score predicted objects against ground-truth objects with DAVIS J&F.

    Parameters
    ----------
    pred
        ``{pred_id: (T, H, W) bool}`` predicted mask sequences (may be empty). Their order is the
        order of the DAVIS labels (it matters for the 20-object limit and for ties). Each is an
        array, or a [`MaskSequence`][sam2_autotrack.masks.MaskSequence] (a run's
        ``result.mask_sequence(oid)``) or any sequence of ``(H, W)`` masks with a ``shape``:
        those are read one frame at a time, so a long clip is never stacked in memory.
    gt
        ``{gt_id: (T, H, W) bool}`` ground-truth sequences, same shape as the predictions (arrays
        or sequences, as ``pred``).
    protocol
        ``"davis-unsupervised"`` (default: every frame, Hungarian matching on (J + F) / 2, at
        most 20 predictions, void applied) or ``"davis-semi-supervised"`` (frames 1 .. T-2,
        prediction ``k`` compared with ground-truth object ``k``, void not used). See
        `sam2_autotrack.evaluation.protocols`.
    objects
        ``"all"`` (default: every ground-truth object given, late-entering ones included),
        ``"davis-frame0-labels"`` (the official code's ``1 .. max(label on frame 0)`` rule, the
        mapping order being the label order; a clip with no object on frame 0 then gives an
        empty report, which contributes no object to
        [`aggregate`][sam2_autotrack.evaluation.aggregate], as in the official code) or
        ``"present_at_start"`` (objects visible on frame 0 only; not a DAVIS convention).
    void
        Optional ``(T, H, W)`` bool mask of pixels to ignore (DAVIS label 255), an array or a
        sequence as ``pred``.
    bound_th
        Boundary tolerance of F: a fraction of the image diagonal, or pixels when ``>= 1``.

    Returns
    -------
    EvaluationReport
        Per-object scores (mean, recall, decay of J and F), their means over objects, the
        matching, and the protocol that produced them. A ground-truth object with no prediction is
        compared with an empty mask: frames where it is absent score 1.

    Raises
    ------
    ConfigError
        An unknown protocol or objects mode, or a ``bound_th`` that is not positive.
    EvaluationError
        No ground truth, shapes that differ (the message names both), too few frames for the
        protocol, more than 20 predictions (unsupervised), a prediction with no ground-truth
        object of its id (semi-supervised), or no ground-truth object left to score with
        ``objects="present_at_start"``.

    Examples
    --------
    >>> import numpy as np
    >>> gt = {"a": np.zeros((3, 20, 20), bool), "b": np.zeros((3, 20, 20), bool)}
    >>> gt["a"][:, 2:8, 2:8] = True
    >>> gt["b"][:, 10:18, 10:18] = True
    >>> report = evaluate({"x": gt["b"], "y": gt["a"]}, gt)
    >>> dict(report.matching), report.jf_mean, report.protocol
    ({'a': 'y', 'b': 'x'}, 1.0, 'davis-unsupervised')
    >>> evaluate({"a": gt["a"]}, gt, protocol="davis-semi-supervised").jf_mean  # b: missed
    0.5
    """
    options = EvaluationOptions(protocol=protocol, objects=objects, bound_th=bound_th)
    rules = rules_of(options.protocol)
    if not gt:
        raise EvaluationError("no ground-truth objects given; pass at least one (T, H, W) mask")
    gt_seqs, shape = _sequences(gt, "gt", None)
    pred_seqs, shape = _sequences(pred, "pred", shape)
    assert shape is not None
    frames = scored_frames(options.protocol, int(shape[0]))
    void_use: VoidUse = "none"
    void_frames = None
    if void is not None:
        void_frames = _void_frames(void, shape)
        void_use = "applied" if rules.uses_void else "ignored"
        if not rules.uses_void:
            void_frames = None

    scored, excluded = scored_objects(gt_seqs, options.objects)
    if not scored and options.objects != "davis-frame0-labels":
        raise EvaluationError(
            f"no ground-truth object is present on frame 0, so objects={options.objects!r} "
            "leaves none to score; pass objects='all' to score every object"
        )
    disk = tolerance_disk(shape[1:], options.bound_th)
    pred_ids = list(pred_seqs)
    same_id = rules.matching == "same-id"
    pairs = [
        (p, g)
        for g, gid in enumerate(scored)
        for p, pid in enumerate(pred_ids)
        if not same_id or pid == gid
    ]
    scores = _Scores(pairs, len(pred_ids), len(scored), len(frames))
    for k, t in enumerate(frames):
        void_t = None if void_frames is None else void_frames[t]
        scores.add(
            k,
            [measure_frame(pred_seqs[pid][t], void_t) for pid in pred_ids],
            [measure_frame(gt_seqs[gid][t], void_t) for gid in scored],
            disk,
        )
    nonempty = scores.nonempty.tolist()

    per_object: dict[str, ObjectScore] = {}
    matching: dict[str, str] = {}
    if same_id:
        matching = pair_by_id(scored, pred_ids, nonempty, options.protocol)
        for g, gid in enumerate(scored):
            j, f = scores.pair(pred_ids.index(gid) if gid in matching else None, g)
            per_object[gid] = ObjectScore.from_frames(gid, matching.get(gid), j, f)
    else:
        rows: list[int | None] = list(range(counted_predictions(pred_ids, nonempty)))
        rows += [None] * (len(scored) - len(rows))  # empty predictions for the objects left
        j_all = np.zeros((len(rows), len(scored), len(frames)))
        f_all = np.zeros_like(j_all)
        for i in range(len(scored)):
            for k, row in enumerate(rows):
                j_all[k, i], f_all[k, i] = scores.pair(row, i)
        assigned = {scored[i]: k for k, i in assign_by_score(j_all, f_all)} if scored else {}
        for i, gid in enumerate(scored):
            k = assigned[gid]
            row = rows[k]
            pid = pred_ids[row] if row is not None else None
            if pid is not None:
                matching[gid] = pid
            per_object[gid] = ObjectScore.from_frames(gid, pid, j_all[k, i], f_all[k, i])

    return EvaluationReport(
        protocol=options.protocol,
        objects=options.objects,
        per_object=per_object,
        matching=matching,
        unmatched_gt=tuple(gid for gid in scored if gid not in matching),
        extra_pred=tuple(pid for pid in pred_ids if pid not in set(matching.values())),
        excluded_gt=excluded,
        frames=frames,
        void=void_use,
        bound_th=options.bound_th,
    )
