"""Which prediction each ground-truth object is compared with.

Unsupervised protocol (davis2017-evaluation ``_evaluate_unsupervised``):

* the predictions are the rows, in the order given; rows after the last prediction that is
  non-empty on a scored frame are not counted (a DAVIS label map cannot hold them), and more than
  [`MAX_PRED_OBJECTS`][sam2_autotrack.evaluation.MAX_PRED_OBJECTS] counted rows are refused, as the
  official evaluator stops there;
* when there are fewer rows than ground-truth objects, empty predictions are appended;
* every (row, ground-truth object) pair gets the score ``(mean J + mean F) / 2`` over the scored
  frames, and ``scipy.optimize.linear_sum_assignment`` picks the assignment with the highest
  total. There is no overlap threshold: a pair that never overlaps is kept; predictions left over
  cost nothing.

Semi-supervised protocol: prediction ``k`` is compared with ground-truth object ``k`` (same id),
an object without a prediction with an empty mask; a non-empty prediction whose id is not a scored
ground-truth object is refused, as the official evaluator stops there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from sam2_autotrack.errors import EvaluationError

__all__ = ["MAX_PRED_OBJECTS", "assign_by_score", "counted_predictions", "pair_by_id"]

MAX_PRED_OBJECTS = 20
"""Most predicted objects the DAVIS unsupervised protocol accepts (highest label id 20)."""


def counted_predictions(pred_ids: Sequence[str], nonempty: Sequence[bool]) -> int:
    """Count the prediction rows of the unsupervised protocol and check the 20-object limit.

    Parameters
    ----------
    pred_ids
        Prediction ids in the order given (the DAVIS label ``k`` is position ``k``).
    nonempty
        For each, whether it has a pixel on a scored frame.

    Returns
    -------
    int
        Position of the last non-empty prediction (the highest label a DAVIS result PNG would
        hold); 0 when every prediction is empty.

    Raises
    ------
    EvaluationError
        More than [`MAX_PRED_OBJECTS`][sam2_autotrack.evaluation.MAX_PRED_OBJECTS] rows are counted.

    Examples
    --------
    >>> counted_predictions(["a", "b", "c"], [True, False, False])
    1
    """
    count = max((i + 1 for i, full in enumerate(nonempty) if full), default=0)
    if count > MAX_PRED_OBJECTS:
        raise EvaluationError(
            f"the DAVIS unsupervised protocol scores at most {MAX_PRED_OBJECTS} predicted objects; "
            f"got {count} (the last non-empty one, {pred_ids[count - 1]!r}, is number {count}); "
            f"keep the {MAX_PRED_OBJECTS} most confident (e.g. SelectionOptions(max_objects="
            f"{MAX_PRED_OBJECTS})) and pass them first"
        )
    return count


def assign_by_score(
    j_frames: NDArray[np.float64], f_frames: NDArray[np.float64]
) -> list[tuple[int, int]]:
    """Assign one row to every ground-truth column, maximising the summed (J + F) / 2.

    Parameters
    ----------
    j_frames, f_frames
        ``(rows, gt_objects, frames)`` per-frame J and F of every pair, with ``rows >=
        gt_objects`` (pad with empty predictions first).

    Returns
    -------
    list
        ``(row, column)`` pairs, one per column, rows ascending (the official output order).

    Examples
    --------
    >>> import numpy as np
    >>> j = np.array([[[0.9], [0.8]], [[0.6], [0.0]]])  # row 0 is best for column 0 alone...
    >>> assign_by_score(j, j)  # ...but the total is higher with row 1 on column 0
    [(0, 1), (1, 0)]
    """
    rows, cols = j_frames.shape[:2]
    if rows < cols:
        raise ValueError(f"{rows} rows for {cols} columns; pad the predictions first")
    score = (np.mean(j_frames, axis=2) + np.mean(f_frames, axis=2)) / 2
    row_ind, col_ind = linear_sum_assignment(-score)
    return [(int(r), int(c)) for r, c in zip(row_ind, col_ind, strict=True)]


def pair_by_id(
    gt_ids: Sequence[str], pred_ids: Sequence[str], nonempty: Sequence[bool], protocol: str
) -> dict[str, str]:
    """Pair each ground-truth object with the prediction of the same id (semi-supervised).

    Parameters
    ----------
    gt_ids
        The scored ground-truth ids.
    pred_ids
        The prediction ids.
    nonempty
        For each prediction, whether it has a pixel on a scored frame.
    protocol
        Named in the error message.

    Returns
    -------
    dict
        ``{gt_id: pred_id}`` for the ground-truth objects that have a prediction.

    Raises
    ------
    EvaluationError
        A non-empty prediction has an id that is no scored ground-truth object.

    Examples
    --------
    >>> pair_by_id(["a", "b"], ["b", "x"], [True, False], "davis-semi-supervised")
    {'b': 'b'}
    """
    scored = set(gt_ids)
    stray = [
        pid for pid, full in zip(pred_ids, nonempty, strict=True) if full and pid not in scored
    ]
    if stray:
        raise EvaluationError(
            f"{protocol} compares each prediction with the ground-truth object of the same id, "
            f"but predictions {stray} match no scored ground-truth object (scored: "
            f"{list(gt_ids)}); name the predictions after the ground-truth objects, or use "
            "protocol='davis-unsupervised', which matches them"
        )
    return {gid: gid for gid in gt_ids if gid in set(pred_ids)}
