import numpy as np
import pytest

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.evaluation import MAX_PRED_OBJECTS
from sam2_autotrack.evaluation.matching import assign_by_score, counted_predictions, pair_by_id


def test_assignment_maximises_the_summed_mean_of_j_and_f() -> None:
    # (J+F)/2 per pair: row 0 → [0.5, 0.45], row 1 → [0.6, 0.1]; J alone would prefer row 0 for
    # column 0 (0.8 > 0.6) and total 0.8 + 0.4; on (J+F)/2 the best total is 0.45 + 0.6
    j = np.array([[[0.8], [0.4]], [[0.6], [0.2]]])
    f = np.array([[[0.2], [0.5]], [[0.6], [0.0]]])
    assert assign_by_score(j, j) == [(0, 0), (1, 1)]
    assert assign_by_score(j, f) == [(0, 1), (1, 0)]


def test_assignment_uses_the_mean_over_frames_and_keeps_zero_pairs() -> None:
    j = np.zeros((3, 2, 4))
    f = np.zeros((3, 2, 4))
    j[2, 0] = [1, 1, 0, 0]  # row 2 is the only one scoring on column 0
    pairs = assign_by_score(j, f)
    assert (2, 0) in pairs
    assert len(pairs) == 2  # column 1 still gets a row though every score is 0
    assert [r for r, _ in pairs] == sorted(r for r, _ in pairs)  # rows ascending
    with pytest.raises(ValueError, match="pad"):
        assign_by_score(np.zeros((1, 2, 1)), np.zeros((1, 2, 1)))


def test_the_limit_counts_up_to_the_last_non_empty_prediction() -> None:
    ids = [f"p{i}" for i in range(30)]
    assert MAX_PRED_OBJECTS == 20
    assert counted_predictions(ids, [False] * 30) == 0
    assert counted_predictions(ids, [i == 19 for i in range(30)]) == 20
    with pytest.raises(EvaluationError, match=r"at most 20 predicted objects; got 21 .*'p20'"):
        counted_predictions(ids, [i == 20 for i in range(30)])


def test_pair_by_id() -> None:
    assert pair_by_id(["a", "b"], ["b", "a"], [True, True], "p") == {"a": "a", "b": "b"}
    assert pair_by_id(["a", "b"], ["z"], [False], "p") == {}  # empty stray ids are never read
    with pytest.raises(EvaluationError, match=r"\['z'\] match no scored ground-truth object"):
        pair_by_id(["a", "b"], ["z", "a"], [True, True], "davis-semi-supervised")
