"""The per-family report of ``benchmarks/calibrate_objectness.py``: AUC and what 0.5 keeps."""

from __future__ import annotations

import math

import numpy as np

from bench_scripts import load_benchmark
from sam2_autotrack.selection import OBJECTNESS_FEATURES

calibrate = load_benchmark("calibrate_objectness")


def test_auc_counts_how_often_an_object_outscores_a_non_object() -> None:
    labels = np.array([1.0, 1.0, 0.0, 0.0])
    assert calibrate.auc(np.array([0.9, 0.8, 0.1, 0.2]), labels) == 1.0
    assert calibrate.auc(np.array([0.1, 0.2, 0.9, 0.8]), labels) == 0.0
    assert calibrate.auc(np.full(4, 0.5), labels) == 0.5
    assert math.isnan(calibrate.auc(np.array([0.3, 0.4]), np.array([1.0, 1.0])))


def test_the_family_table_separates_a_family_whose_scores_do_not_tell_objects() -> None:
    score = OBJECTNESS_FEATURES.index("model_score")
    rows = np.zeros((8, len(OBJECTNESS_FEATURES)))
    rows[:, 0] = 1.0
    # 'easy': objects score high; 'hard': objects and non-objects score alike
    rows[:, score] = [0.9, 0.8, 0.1, 0.2, 0.5, 0.4, 0.5, 0.4]
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=np.float64)
    groups = np.array(["easy"] * 4 + ["hard"] * 4)
    weights = np.zeros(len(OBJECTNESS_FEATURES))
    weights[0], weights[score] = -3.0, 6.0  # kept from a score of 0.5 on
    lines = calibrate.by_family(rows, labels, groups, {"w": weights})
    assert len(lines) == 3
    easy, hard = lines[1].split(), lines[2].split()
    assert easy[:4] == ["easy", "4", "2", "1.000"]
    assert hard[:4] == ["hard", "4", "2", "0.500"]
    # 'easy' keeps its 2 objects and no non-object; 'hard' keeps one of each
    assert easy[5:7] == ["1.000", "2/0"]
    assert hard[5:7] == ["0.500", "1/1"]


def test_cache_keys_name_their_family() -> None:
    assert calibrate.family_of("walls_floor_11") == "walls_floor"
    assert calibrate.family_of("suite_touching_102") == "suite"
