"""Score one clip: predicted objects against ground-truth objects under a DAVIS protocol.

:func:`evaluate` validates the settings, picks the scored frames and objects
(:mod:`~sam2_autotrack.evaluation.protocols`), measures every object once and every needed pair
frame by frame (:mod:`~sam2_autotrack.evaluation.metrics`), decides which prediction each object is
compared with (:mod:`~sam2_autotrack.evaluation.matching`) and returns an
:class:`~sam2_autotrack.evaluation.report.EvaluationReport` naming the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError
from sam2_autotrack.evaluation.matching import assign_by_score, counted_predictions, pair_by_id
from sam2_autotrack.evaluation.metrics import (
    SequenceGeometry,
    pair_per_frame,
    prepare_sequence,
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
) -> tuple[dict[str, NDArray[np.bool_]], tuple[int, ...] | None]:
    out: dict[str, NDArray[np.bool_]] = {}
    for object_id, value in masks.items():
        try:
            array = as_mask_stack(value, name=f"{side}[{object_id!r}]")
        except MaskError as exc:
            raise EvaluationError(f"{exc} (a (T, H, W) mask sequence per object)") from exc
        if shape is None:
            shape = array.shape
        elif array.shape != shape:
            raise EvaluationError(
                f"{side}[{object_id!r}] has shape {array.shape} but the other sequences have "
                f"shape {shape}; give every prediction and ground-truth sequence the same "
                "(T, H, W): same frames, same size"
            )
        key = str(object_id)
        if key in out:
            raise EvaluationError(
                f"{side} has two objects with the id {key!r}; make the ids unique"
            )
        out[key] = array
    return out, shape


def _void_frames(void: Any, shape: tuple[int, ...], frames: slice) -> NDArray[np.bool_]:
    try:
        array = as_mask_stack(void, name="void")
    except MaskError as exc:
        raise EvaluationError(f"{exc} (void is one (T, H, W) mask for the whole clip)") from exc
    if array.shape != shape:
        raise EvaluationError(
            f"void has shape {array.shape} but the masks have shape {shape}; pass one void mask "
            "per frame, the size of the masks"
        )
    return array[frames]


def evaluate(
    pred: Mapping[str, NDArray[np.bool_]],
    gt: Mapping[str, NDArray[np.bool_]],
    *,
    protocol: Protocol = "davis-unsupervised",
    objects: ObjectsMode = "all",
    void: NDArray[np.bool_] | None = None,
    bound_th: float = 0.008,
) -> EvaluationReport:
    """Score predicted objects against ground-truth objects with DAVIS J&F.

    Parameters
    ----------
    pred
        ``{pred_id: (T, H, W) bool}`` predicted mask sequences (may be empty). Their order is the
        order of the DAVIS labels (it matters for the 20-object limit and for ties).
    gt
        ``{gt_id: (T, H, W) bool}`` ground-truth sequences, same shape as the predictions.
    protocol
        ``"davis-unsupervised"`` (default: every frame, Hungarian matching on (J + F) / 2, at
        most 20 predictions, void applied) or ``"davis-semi-supervised"`` (frames 1 .. T-2,
        prediction ``k`` compared with ground-truth object ``k``, void not used). See
        :mod:`sam2_autotrack.evaluation.protocols`.
    objects
        ``"all"`` (default: every ground-truth object given, late-entering ones included),
        ``"davis-frame0-labels"`` (the official code's ``1 .. max(label on frame 0)`` rule, the
        mapping order being the label order; a clip with no object on frame 0 then gives an
        empty report, which contributes no object to :func:`aggregate`, as in the official
        code) or ``"present_at_start"`` (objects visible on frame 0 only; not a DAVIS
        convention).
    void
        Optional ``(T, H, W)`` bool mask of pixels to ignore (DAVIS label 255).
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
    window = slice(frames[0], frames[-1] + 1)  # the scored frames are consecutive
    void_use: VoidUse = "none"
    void_frames = None
    if void is not None:
        void_frames = _void_frames(void, shape, window)
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
    gts = {
        gid: prepare_sequence(gt_seqs[gid][window], void=void_frames, name=f"gt[{gid!r}]")
        for gid in scored
    }
    preds = {
        pid: prepare_sequence(seq[window], void=void_frames, name=f"pred[{pid!r}]")
        for pid, seq in pred_seqs.items()
    }
    pred_ids = list(preds)
    nonempty = [not preds[pid].is_empty for pid in pred_ids]

    per_object: dict[str, ObjectScore] = {}
    matching: dict[str, str] = {}
    if rules.matching == "same-id":
        matching = pair_by_id(scored, pred_ids, nonempty, options.protocol)
        for gid in scored:
            other = preds[gid] if gid in preds else _empty_like(gts[gid])
            j, f = pair_per_frame(other, gts[gid], disk)
            per_object[gid] = ObjectScore.from_frames(gid, matching.get(gid), j, f)
    else:
        rows = pred_ids[: counted_predictions(pred_ids, nonempty)]
        row_seqs = [preds[pid] for pid in rows]
        if len(rows) < len(scored):
            row_seqs += [_empty_like(gts[scored[0]])] * (len(scored) - len(rows))
        j_all = np.zeros((len(row_seqs), len(scored), len(frames)))
        f_all = np.zeros_like(j_all)
        for i, gid in enumerate(scored):
            for k, seq in enumerate(row_seqs):
                j_all[k, i], f_all[k, i] = pair_per_frame(seq, gts[gid], disk)
        assigned = {scored[i]: k for k, i in assign_by_score(j_all, f_all)} if scored else {}
        for i, gid in enumerate(scored):
            k = assigned[gid]
            pid = rows[k] if k < len(rows) else None
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


def _empty_like(like: SequenceGeometry) -> SequenceGeometry:
    return prepare_sequence(np.zeros_like(like.masks))
