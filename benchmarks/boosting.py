"""Gradient boosting of complete depth-``d`` trees, logistic loss (for the calibration scripts).

Targets may be soft (an IoU in ``[0, 1]``): the loss is the cross-entropy, each round fits a
tree to the gradient with Newton leaf values (``-G / (H + l2)``), searching thresholds among
per-feature quantiles (histogram split finding). The result is a
`sam2_autotrack.backends.local.trees.TreeEnsemble` with the learning rate folded into the leaves.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.trees import TreeEnsemble

__all__ = ["fit_trees"]


def _bin(x: NDArray[np.float64], bins: int) -> tuple[NDArray[np.int64], list[NDArray[np.float64]]]:
    """Per-feature quantile edges and every value's bin (``x <= edges[b]`` for the first b)."""
    edges = []
    codes = np.empty(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        column = x[:, j]
        cut = np.unique(np.quantile(column, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        edges.append(cut)
        codes[:, j] = np.searchsorted(cut, column, side="left")
    return codes, edges


def fit_trees(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    features: tuple[str, ...],
    *,
    rounds: int = 300,
    depth: int = 3,
    learning_rate: float = 0.1,
    bins: int = 32,
    l2: float = 1.0,
    min_leaf: int = 20,
    note: str = "",
) -> TreeEnsemble:
    """Fit boosted trees mapping ``x`` (n, F) to the probability ``y`` (n,) in ``[0, 1]``."""
    n = len(x)
    codes, edges = _bin(x, bins)
    mean = float(np.clip(y.mean(), 1e-4, 1 - 1e-4))
    bias = math.log(mean / (1 - mean))
    score = np.full(n, bias)
    inner = 2**depth - 1
    split_feature = np.zeros((rounds, inner), dtype=np.int64)
    split_threshold = np.full((rounds, inner), math.inf)
    leaf_value = np.zeros((rounds, inner + 1))
    for t in range(rounds):
        p = 1.0 / (1.0 + np.exp(-score))
        g = p - y
        h = np.maximum(p * (1.0 - p), 1e-6)
        node = np.zeros(n, dtype=np.int64)
        for k in range(inner):
            rows = np.flatnonzero(node == k)
            best = _best_split(codes[rows], g[rows], h[rows], l2, min_leaf, bins)
            if best is not None:
                j, b = best
                split_feature[t, k] = j
                split_threshold[t, k] = float(edges[j][b])
                right = rows[codes[rows, j] > b]
            else:
                right = rows[:0]
            node[rows] = 2 * k + 1
            node[right] = 2 * k + 2
        leaves = node - inner
        g_sum = np.bincount(leaves, weights=g, minlength=inner + 1)
        h_sum = np.bincount(leaves, weights=h, minlength=inner + 1)
        leaf_value[t] = -learning_rate * g_sum / (h_sum + l2)
        score += leaf_value[t, leaves]
    return TreeEnsemble(
        features=features,
        bias=bias,
        split_feature=split_feature,
        split_threshold=split_threshold,
        leaf_value=leaf_value,
        note=note,
    )


def _best_split(
    codes: NDArray[np.int64],
    g: NDArray[np.float64],
    h: NDArray[np.float64],
    l2: float,
    min_leaf: int,
    bins: int,
) -> tuple[int, int] | None:
    """``(feature, bin)`` of the best split of these rows (left: code <= bin), or None."""
    if len(g) < 2 * min_leaf:
        return None
    total_g, total_h, total_n = g.sum(), h.sum(), len(g)
    parent = total_g * total_g / (total_h + l2)
    best: tuple[float, int, int] | None = None
    for j in range(codes.shape[1]):
        c = codes[:, j]
        cg = np.cumsum(np.bincount(c, weights=g, minlength=bins))[:-1]
        ch = np.cumsum(np.bincount(c, weights=h, minlength=bins))[:-1]
        cn = np.cumsum(np.bincount(c, minlength=bins))[:-1]
        ok = (cn >= min_leaf) & (total_n - cn >= min_leaf)
        if not ok.any():
            continue
        gain = cg**2 / (ch + l2) + (total_g - cg) ** 2 / (total_h - ch + l2) - parent
        gain = np.where(ok, gain, -np.inf)
        b = int(np.argmax(gain))
        if gain[b] > 1e-9 and (best is None or gain[b] > best[0]):
            best = (float(gain[b]), j, b)
    return None if best is None else (best[1], best[2])
