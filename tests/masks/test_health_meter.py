"""Every object's track health measured frame by frame, and its JSON record."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks import (
    HealthIssue,
    HealthMeter,
    MaskSequence,
    health_from_json,
    health_to_json,
    measure_health,
    track_health,
)


def _pair(count: int = 12, size: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Return ``a`` spreading over ``b`` from frame 6 on (a leak) and ``b`` being eaten."""
    a = np.zeros((count, size, size), dtype=bool)
    b = np.zeros_like(a)
    a[:, 20:40, 10:30] = True
    b[:, 20:40, 32:52] = True
    for t in range(6, count):
        grow = 4 * (t - 5)
        a[t, 20:40, 30 : 32 + grow] = True
        b[t, 20:40, 32 : 32 + grow] = False
    return a, b


def test_meter_agrees_with_track_health_and_names_the_neighbour() -> None:
    a, b = _pair()
    meter = HealthMeter(["a", "b"])
    for t in range(len(a)):
        meter.add(np.stack([a[t], b[t]]))
    verdicts = meter.judge()
    # the same stretches as the whole-stack judge; the leak names the object it goes into
    whole = track_health(a, others=[b])
    assert [(i.kind, i.start, i.stop) for i in verdicts["a"].issues] == [
        (i.kind, i.start, i.stop) for i in whole.issues
    ]
    leak = next(i for i in verdicts["a"].issues if i.kind == "leak")
    assert leak.detail == "grows into b as it shrinks"
    assert "other object #0" in next(i for i in whole.issues if i.kind == "leak").detail


def test_measure_health_reads_sequences_and_subsamples_big_frames() -> None:
    count = 10
    big = np.zeros((count, 960, 1280), dtype=bool)
    big[:, 100:300, 100:300] = True
    gone = big.copy()
    gone[4:] = False
    sequences = {"kept": MaskSequence.from_array(big), "gone": MaskSequence.from_array(gone)}
    verdicts = measure_health(sequences)
    assert verdicts["kept"].ok
    assert [(i.kind, i.start, i.stop) for i in verdicts["gone"].issues] == [("lost", 4, 10)]
    # judged on masks subsampled to 480 px on the longest side (every 3rd pixel here)
    assert verdicts["kept"].areas[0] == 66 * 66  # rows/columns 102, 105, ..., 297
    assert measure_health(sequences, max_side=2000)["kept"].areas[0] == 200 * 200


def test_a_one_frame_swell_is_reported_at_its_frame() -> None:
    masks = np.zeros((12, 40, 40), dtype=bool)
    masks[:, 10:20, 10:20] = True
    masks[7:, 0:40, 0:40] = True
    (issue,) = measure_health({"a": masks})["a"].issues
    assert (issue.kind, issue.start, issue.stop) == ("drift", 6, 8)
    assert issue.detail == "area x16.0 within 1 frame, 100 -> 1600 px"


def test_measure_health_refuses_ragged_tracks() -> None:
    with pytest.raises(MaskError, match="same number of frames"):
        measure_health({"a": np.zeros((3, 4, 4), bool), "b": np.zeros((2, 4, 4), bool)})
    with pytest.raises(MaskError, match="max_side"):
        HealthMeter(["a"], max_side=0)


def test_json_record_round_trips_and_refuses_garbage() -> None:
    a, b = _pair()
    verdicts = measure_health({"a": a, "b": b})
    record = health_to_json(verdicts)
    assert record["a"]  # the leak
    assert all(set(i) == {"kind", "start", "stop", "detail"} for v in record.values() for i in v)
    restored = health_from_json(record)
    assert restored == {oid: v.issues for oid, v in verdicts.items()}
    assert health_to_json(restored) == record
    # extra keys (the manifest's source frames) are ignored
    lost = {"kind": "lost", "start": 2, "stop": 9, "detail": "empty", "frames": [4, 16]}
    assert health_from_json({"x": [lost]}) == {"x": (HealthIssue("lost", 2, 9, "empty"),)}
    for bad in (
        [],
        {"x": "lost"},
        {"x": [{"kind": "lost"}]},
        {"x": [{**lost, "kind": "wobble"}]},
        {"x": [{**lost, "stop": 2}]},
    ):
        with pytest.raises(MaskError, match="health"):
            health_from_json(bad)
