"""Boosted trees evaluated with numpy (`backends/local/trees.py`): routing, JSON, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sam2_autotrack.backends.local.trees import TreeEnsemble, load_ensemble


def _depth_two() -> TreeEnsemble:
    # tree 0: x0 > 1 ? (x1 > 5 ? 4 : 3) : (x1 > 2 ? 2 : 1); tree 1 never splits (all left)
    return TreeEnsemble(
        features=("a", "b"),
        bias=-1.0,
        split_feature=np.array([[0, 1, 1], [0, 0, 0]]),
        split_threshold=np.array([[1.0, 2.0, 5.0], [math.inf, math.inf, math.inf]]),
        leaf_value=np.array([[1.0, 2.0, 3.0, 4.0], [0.5, -9.0, -9.0, -9.0]]),
        note="hand-made",
    )


def test_samples_follow_their_branches_and_the_trees_add_up() -> None:
    model = _depth_two()
    x = np.array([[0.0, 0.0], [0.0, 3.0], [2.0, 4.0], [2.0, 6.0], [1.0, 2.0]])
    # bias -1, tree 1 always its left-most leaf 0.5
    assert model.decision(x).tolist() == [0.5, 1.5, 2.5, 3.5, 0.5]
    assert model.depth == 2
    assert len(model) == 2
    p = model.probability(x)
    assert p == pytest.approx(1 / (1 + np.exp(-model.decision(x))))


def test_the_linear_term_adds_to_the_trees() -> None:
    base = _depth_two()
    model = TreeEnsemble(
        features=base.features,
        bias=base.bias,
        split_feature=base.split_feature,
        split_threshold=base.split_threshold,
        leaf_value=base.leaf_value,
        linear=np.array([0.5, -1.0]),
    )
    x = np.array([[0.0, 0.0], [2.0, 6.0]])
    assert model.decision(x).tolist() == [0.5, 3.5 + 1.0 - 6.0]
    assert (
        TreeEnsemble.from_json(model.to_json()).decision(x).tolist() == model.decision(x).tolist()
    )
    with pytest.raises(ValueError, match=r"linear must have shape \(2,\)"):
        TreeEnsemble(
            base.features,
            0.0,
            base.split_feature,
            base.split_threshold,
            base.leaf_value,
            linear=np.zeros(3),
        )


def test_a_missing_value_goes_left() -> None:
    model = _depth_two()
    assert model.decision(np.array([[np.nan, np.nan]])).tolist() == [0.5]


def test_json_round_trip_keeps_every_prediction_and_the_infinite_thresholds() -> None:
    model = _depth_two()
    again = TreeEnsemble.from_json(model.to_json())
    x = np.random.default_rng(0).normal(0, 4, size=(200, 2))
    assert again.decision(x) == pytest.approx(model.decision(x))
    assert np.isinf(again.split_threshold[1]).all()
    assert again.features == ("a", "b")
    assert again.note == "hand-made"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split_threshold": np.zeros((2, 2))}, r"split_threshold must have shape \(2, 3\)"),
        ({"leaf_value": np.zeros((2, 3))}, r"leaf_value must have shape \(2, 4\)"),
        ({"split_feature": np.array([[0, 1, 2], [0, 0, 0]])}, "the model has 2 features"),
        ({"split_feature": np.zeros(3, np.int64)}, "must be 2-D"),
    ],
)
def test_malformed_models_are_refused_with_the_expected_shape(
    kwargs: dict[str, np.ndarray], message: str
) -> None:
    base = _depth_two()
    fields = {
        "features": base.features,
        "bias": base.bias,
        "split_feature": base.split_feature,
        "split_threshold": base.split_threshold,
        "leaf_value": base.leaf_value,
    }
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        TreeEnsemble(**fields)  # type: ignore[arg-type]


def test_inputs_of_the_wrong_width_are_refused() -> None:
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\); got \(4, 3\)"):
        _depth_two().decision(np.zeros((4, 3)))


def test_documents_of_another_format_are_refused() -> None:
    with pytest.raises(ValueError, match="format 1"):
        TreeEnsemble.from_json('{"format": 7}')
    with pytest.raises(ValueError, match="not a tree-ensemble JSON"):
        TreeEnsemble.from_json("{")


def test_a_model_the_package_does_not_ship_is_named_in_the_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"no_such_model\.json"):
        load_ensemble("no_such_model.json")
