"""The cost report: one record per remote prediction, totals, one summary line, JSON."""

from __future__ import annotations

import pytest

from sam2_autotrack import ConfigError
from sam2_autotrack.backends import CostReport, PredictionCost


def _cost(purpose: str, frames: int, seconds: float | None = 1.0, **kw: object) -> PredictionCost:
    return PredictionCost(f"id-{purpose}", "meta/sam-2-video", purpose, frames, seconds, **kw)  # type: ignore[arg-type]


def test_totals_and_summary() -> None:
    report = CostReport(
        (
            PredictionCost("p0", "meta/sam-2", "proposals", 1, 2.0),
            _cost("union", 120, 12.0),
            _cost("window 40-52 obj_2", 13, 1.3),
            _cost("window 80-90 obj_1", 11, None, resumed=True),
        )
    )
    assert report.prediction_count == len(report) == 4
    assert report.frames_uploaded == 145
    assert report.predict_time == pytest.approx(15.3)  # the unknown one is left out
    assert report.summary() == (
        "4 predictions (proposals, union, 2 windows), 145 frames uploaded, predict time 15.3 s "
        "(1 resumed, not paid again)"
    )
    separate = CostReport((_cost("object a", 10), _cost("object b", 10)))
    assert separate.summary().startswith("2 predictions (2 objects), 20 frames uploaded")
    assert CostReport().summary() == "no remote predictions"
    assert CostReport().predict_time is None
    assert CostReport((_cost("union", 5, None),)).summary() == (
        "1 prediction (union), 5 frames uploaded"
    )


def test_reports_add_up_in_order_and_round_trip_through_json() -> None:
    first = CostReport((PredictionCost("p0", "meta/sam-2", "proposals", 1, 2.0),))
    second = CostReport((_cost("union", 40),))
    both = first + second
    assert [p.purpose for p in both.predictions] == ["proposals", "union"]
    data = both.to_json()
    assert data["prediction_count"] == 2
    assert data["frames_uploaded"] == 41
    assert data["predictions"][1]["purpose"] == "union"
    assert CostReport.from_json(data) == both
    assert CostReport.from_json(None) == CostReport()
    assert CostReport.of(iter(both.predictions)) == both


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frames_uploaded": -1}, "frames_uploaded"),
        ({"frames_uploaded": 2.5}, "frames_uploaded"),
        ({"predict_time": float("nan")}, "predict_time"),
        ({"predict_time": -1.0}, "predict_time"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_invalid_records_are_refused(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "prediction_id": "p",
        "model": "m",
        "purpose": "union",
        "frames_uploaded": 3,
        "predict_time": 1.0,
    }
    with pytest.raises(ConfigError, match=message):
        PredictionCost(**{**base, **fields})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="PredictionCost records"):
        CostReport(("not a record",))  # type: ignore[arg-type]
