"""Boosted decision trees evaluated with numpy: the model behind the learned proposal score.

A `TreeEnsemble` is a sum of complete binary trees of one depth over named features, plus a
linear term and a bias: the sum is a log-odds, its sigmoid a probability (a linear model with a
few shrunken trees on top keeps the linear model's behaviour where the trees have seen little).
Every tree is stored in heap order
(node ``k`` has children ``2k + 1`` and ``2k + 2``); at a node a sample goes right when its
feature is above the node's threshold and left otherwise (a NaN goes left, a node that does not
split has an infinite threshold). The learning rate is folded into the leaf values. Models are
fitted outside the library (``benchmarks/calibrate_proposals.py``) and shipped as JSON
(`TreeEnsemble.to_json`, `load_ensemble`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TreeEnsemble", "load_ensemble"]

_FORMAT = 1
_BIG = 1e300  # stands for an infinite threshold in JSON


@dataclass(frozen=True)
class TreeEnsemble:
    """Complete binary trees of one depth, summed into a log-odds.

    Attributes
    ----------
    features
        Names of the ``F`` input columns, in order.
    bias
        Log-odds before any tree.
    split_feature
        ``(T, 2**depth - 1)`` int64 column index tested at each inner node.
    split_threshold
        ``(T, 2**depth - 1)`` float64: above it goes right.
    leaf_value
        ``(T, 2**depth)`` float64 log-odds each leaf adds.
    linear
        ``(F,)`` float64 weights of the linear term (``None``: no linear term).
    note
        How the model was fitted (free text).

    Raises
    ------
    ValueError
        When the arrays' shapes disagree (the message names expected and actual) or a split
        names a column that does not exist.

    Examples
    --------
    >>> import numpy as np
    >>> stump = TreeEnsemble(("x",), 0.0, np.array([[0]]), np.array([[0.5]]),
    ...                      np.array([[-2.0, 2.0]]))
    >>> stump.decision(np.array([[0.2], [0.9]])).tolist()
    [-2.0, 2.0]
    """

    features: tuple[str, ...]
    bias: float
    split_feature: NDArray[np.int64]
    split_threshold: NDArray[np.float64]
    leaf_value: NDArray[np.float64]
    linear: NDArray[np.float64] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        feature = np.asarray(self.split_feature, dtype=np.int64)
        threshold = np.asarray(self.split_threshold, dtype=np.float64)
        leaf = np.asarray(self.leaf_value, dtype=np.float64)
        if feature.ndim != 2 or leaf.ndim != 2:
            raise ValueError(
                "split_feature and leaf_value must be 2-D (trees, nodes); got "
                f"{feature.shape} and {leaf.shape}"
            )
        trees, inner = feature.shape
        if threshold.shape != feature.shape:
            raise ValueError(
                f"split_threshold must have shape {feature.shape} like split_feature; "
                f"got {threshold.shape}"
            )
        if leaf.shape != (trees, inner + 1) or (inner + 1) & inner:
            raise ValueError(
                f"leaf_value must have shape ({trees}, {inner + 1}) for complete trees of "
                f"{inner} inner nodes; got {leaf.shape}"
            )
        if feature.size and (feature.min() < 0 or feature.max() >= len(self.features)):
            raise ValueError(
                f"split_feature holds column {int(feature.max())} or {int(feature.min())}; "
                f"the model has {len(self.features)} features"
            )
        if self.linear is not None:
            linear = np.asarray(self.linear, dtype=np.float64)
            if linear.shape != (len(self.features),):
                raise ValueError(
                    f"linear must have shape ({len(self.features)},), one weight per feature; "
                    f"got {linear.shape}"
                )
            object.__setattr__(self, "linear", linear)
        object.__setattr__(self, "split_feature", feature)
        object.__setattr__(self, "split_threshold", threshold)
        object.__setattr__(self, "leaf_value", leaf)

    @property
    def depth(self) -> int:
        """Depth of every tree (0 for a model of no trees)."""
        return int(self.leaf_value.shape[1]).bit_length() - 1

    def __len__(self) -> int:
        """Return the number of trees."""
        return int(self.leaf_value.shape[0])

    def decision(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log-odds of every row of ``x``.

        Parameters
        ----------
        x
            ``(n, F)`` values of `features`, in order.

        Returns
        -------
        numpy.ndarray
            ``(n,)`` float64.

        Raises
        ------
        ValueError
            When ``x`` is not ``(n, F)``.
        """
        values = np.asarray(x, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.features):
            raise ValueError(f"x must have shape (n, {len(self.features)}); got {values.shape}")
        n, trees = len(values), len(self)
        base = np.full(n, self.bias)
        if self.linear is not None:
            base = base + values @ self.linear
        if trees == 0:
            return base
        columns = np.arange(trees)
        node = np.zeros((n, trees), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.split_feature[columns, node]
            above = (
                np.take_along_axis(values, feature, axis=1) > self.split_threshold[columns, node]
            )
            node = 2 * node + 1 + above
        leaf = node - (self.leaf_value.shape[1] - 1)
        out: NDArray[np.float64] = base + self.leaf_value[columns, leaf].sum(axis=1)
        return out

    def probability(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``sigmoid(decision(x))``, in ``(0, 1)``; see `decision`."""
        z = np.clip(self.decision(x), -50.0, 50.0)
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def to_json(self) -> str:
        """Serialise to the JSON that `load_ensemble` reads."""
        threshold = np.where(np.isfinite(self.split_threshold), self.split_threshold, _BIG)
        return json.dumps(
            {
                "format": _FORMAT,
                "note": self.note,
                "features": list(self.features),
                "bias": self.bias,
                "linear": None if self.linear is None else [float(v) for v in self.linear],
                "split_feature": self.split_feature.tolist(),
                "split_threshold": [[float(f"{v:.6g}") for v in row] for row in threshold],
                "leaf_value": [[float(f"{v:.6g}") for v in row] for row in self.leaf_value],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TreeEnsemble:
        """Read a model written by `to_json`.

        Parameters
        ----------
        text
            The JSON document.

        Returns
        -------
        TreeEnsemble
            The model.

        Raises
        ------
        ValueError
            When the document is not a model of this format.
        """
        try:
            data: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a tree-ensemble JSON document: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(
                f"a tree-ensemble document must have format {_FORMAT}; got "
                f"{data.get('format') if isinstance(data, dict) else type(data).__name__}"
            )
        threshold = np.asarray(data["split_threshold"], dtype=np.float64).reshape(
            len(data["split_feature"]), -1
        )
        return cls(
            features=tuple(str(f) for f in data["features"]),
            bias=float(data["bias"]),
            split_feature=np.asarray(data["split_feature"], dtype=np.int64).reshape(
                threshold.shape
            ),
            split_threshold=np.where(threshold >= _BIG, math.inf, threshold),
            leaf_value=np.asarray(data["leaf_value"], dtype=np.float64).reshape(
                threshold.shape[0], -1
            ),
            linear=None
            if data.get("linear") is None
            else np.asarray(data["linear"], dtype=np.float64),
            note=str(data.get("note", "")),
        )


def load_ensemble(name: str) -> TreeEnsemble:
    """Load a model shipped in this package's ``models`` folder.

    Parameters
    ----------
    name
        File name, e.g. ``"proposal_trees.json"``.

    Returns
    -------
    TreeEnsemble
        The model.

    Raises
    ------
    FileNotFoundError
        When the package has no such model.
    """
    resource = resources.files("sam2_autotrack.backends.local").joinpath("models").joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(
            f"no model {name!r} in sam2_autotrack/backends/local/models (reinstall the package)"
        )
    return TreeEnsemble.from_json(resource.read_text(encoding="utf-8"))
