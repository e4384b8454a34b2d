"""What a run paid for: the remote predictions it made, the frames they uploaded, their time.

A [`CostReport`][sam2_autotrack.backends.CostReport] lists one
[`PredictionCost`][sam2_autotrack.backends.PredictionCost] per remote prediction (its id, model,
purpose such as ``"proposals"``, ``"union"`` or ``"window 40-52 obj_2"``, frames uploaded and billed
predict time). Backends attach one to their [`MaskProposals`][sam2_autotrack.MaskProposals] and
[`ObjectTracks`][sam2_autotrack.ObjectTracks] (empty for the embedded engine), a
[`TrackResult`][sam2_autotrack.TrackResult] adds them up, the run manifest records it and the
command line prints [`CostReport.summary`][sam2_autotrack.backends.CostReport.summary] at the end of
a run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sam2_autotrack.errors import ConfigError

__all__ = ["CostReport", "PredictionCost"]


@dataclass(frozen=True)
class PredictionCost:
    """One remote prediction, as paid for.

    Parameters
    ----------
    prediction_id
        The provider's id (``https://replicate.com/p/<id>``).
    model
        The model it ran (``"meta/sam-2-video"``).
    purpose
        Why it was made: ``"proposals"``, ``"union"``, ``"object obj_2"``,
        ``"window 40-52 obj_2"`` (source frames, inclusive), ...
    frames_uploaded
        Video frames (or images) sent as its input.
    predict_time
        Billed seconds (``metrics.predict_time``), when reported.
    resumed
        An earlier run's prediction that was reused (not paid again).

    Examples
    --------
    >>> PredictionCost("p1", "meta/sam-2-video", "union", 120, 14.5).to_json()["frames_uploaded"]
    120
    """

    prediction_id: str
    model: str
    purpose: str
    frames_uploaded: int
    predict_time: float | None = None
    resumed: bool = False

    def __post_init__(self) -> None:
        for name in ("prediction_id", "model", "purpose"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"PredictionCost.{name} must be a non-empty string")
        frames = self.frames_uploaded
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise ConfigError(f"PredictionCost.frames_uploaded must be an int >= 0; got {frames!r}")
        seconds = self.predict_time
        if seconds is not None:
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ConfigError(f"PredictionCost.predict_time must be seconds; got {seconds!r}")
            if not math.isfinite(seconds) or seconds < 0:
                raise ConfigError(f"PredictionCost.predict_time must be >= 0; got {seconds!r}")
            object.__setattr__(self, "predict_time", float(seconds))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON record of the manifest.

        Returns
        -------
        dict[str, Any]
            ``prediction_id``, ``model``, ``purpose``, ``frames_uploaded``, ``predict_time`` and
            ``resumed``.
        """
        return {
            "prediction_id": self.prediction_id,
            "model": self.model,
            "purpose": self.purpose,
            "frames_uploaded": self.frames_uploaded,
            "predict_time": self.predict_time,
            "resumed": self.resumed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PredictionCost:
        """Rebuild a record written by `to_json`.

        Parameters
        ----------
        data
            The record (``predict_time`` and ``resumed`` may be missing).

        Returns
        -------
        PredictionCost
            The record, checked as a new one is.

        Raises
        ------
        ConfigError
            A field of the wrong type or range.
        """
        return cls(
            prediction_id=str(data["prediction_id"]),
            model=str(data["model"]),
            purpose=str(data["purpose"]),
            frames_uploaded=int(data["frames_uploaded"]),
            predict_time=None if data.get("predict_time") is None else float(data["predict_time"]),
            resumed=bool(data.get("resumed", False)),
        )


@dataclass(frozen=True)
class CostReport:
    """The remote predictions of a run, in the order they were made (empty: nothing remote).

    Parameters
    ----------
    predictions
        One [`PredictionCost`][sam2_autotrack.backends.PredictionCost] per prediction.

    Examples
    --------
    >>> report = CostReport((
    ...     PredictionCost("p1", "meta/sam-2", "proposals", 1, 2.0),
    ...     PredictionCost("p2", "meta/sam-2-video", "union", 60, 10.0),
    ...     PredictionCost("p3", "meta/sam-2-video", "window 40-52 obj_2", 13, 3.0),
    ... ))
    >>> report.prediction_count, report.frames_uploaded, report.predict_time
    (3, 74, 15.0)
    >>> report.summary()
    '3 predictions (proposals, union, 1 window), 74 frames uploaded, predict time 15.0 s'
    >>> CostReport.from_json(report.to_json()) == report
    True
    """

    predictions: tuple[PredictionCost, ...] = ()

    def __post_init__(self) -> None:
        items = tuple(self.predictions)
        for item in items:
            if not isinstance(item, PredictionCost):
                raise ConfigError(
                    f"CostReport.predictions must hold PredictionCost records; got "
                    f"{type(item).__name__}"
                )
        object.__setattr__(self, "predictions", items)

    @classmethod
    def of(cls, predictions: Iterable[PredictionCost]) -> CostReport:
        """Build a report from any iterable of records.

        Parameters
        ----------
        predictions
            [`PredictionCost`][sam2_autotrack.backends.PredictionCost] records, in order.

        Returns
        -------
        CostReport
            The report.

        Raises
        ------
        ConfigError
            An item that is not a ``PredictionCost``.
        """
        return cls(tuple(predictions))

    def __add__(self, other: CostReport) -> CostReport:
        if not isinstance(other, CostReport):
            return NotImplemented
        return CostReport(self.predictions + other.predictions)

    def __len__(self) -> int:
        return len(self.predictions)

    @property
    def prediction_count(self) -> int:
        """Number of predictions."""
        return len(self.predictions)

    @property
    def frames_uploaded(self) -> int:
        """Frames uploaded by all predictions together."""
        return sum(p.frames_uploaded for p in self.predictions)

    @property
    def predict_time(self) -> float | None:
        """Billed seconds of all predictions that reported one (``None``: none did)."""
        times = [p.predict_time for p in self.predictions if p.predict_time is not None]
        return float(sum(times)) if times else None

    def summary(self) -> str:
        """One line: predictions (by purpose), frames uploaded, predict time, resumed ones.

        Returns
        -------
        str
            ``"3 predictions (proposals, union, 1 window), 74 frames uploaded, predict time
            15.0 s"``, or ``"no remote predictions"``.
        """
        if not self.predictions:
            return "no remote predictions"
        kinds: dict[str, int] = {}
        for item in self.predictions:
            kind = item.purpose.split(" ", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        parts = [_kind_count(kind, n) for kind, n in kinds.items()]
        count = self.prediction_count
        text = (
            f"{count} prediction{'s' if count != 1 else ''} ({', '.join(parts)}), "
            f"{self.frames_uploaded} frames uploaded"
        )
        seconds = self.predict_time
        if seconds is not None:
            text += f", predict time {seconds:.1f} s"
        resumed = sum(p.resumed for p in self.predictions)
        if resumed:
            text += f" ({resumed} resumed, not paid again)"
        return text

    def to_json(self) -> dict[str, Any]:
        """Return the manifest's ``cost`` record: totals and one entry per prediction.

        Returns
        -------
        dict[str, Any]
            ``prediction_count``, ``frames_uploaded``, ``predict_time`` and ``predictions`` (each
            [`PredictionCost.to_json`][sam2_autotrack.backends.PredictionCost.to_json]).
        """
        return {
            "prediction_count": self.prediction_count,
            "frames_uploaded": self.frames_uploaded,
            "predict_time": self.predict_time,
            "predictions": [p.to_json() for p in self.predictions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> CostReport:
        """Rebuild a report written by `to_json` (``None``: an empty report).

        Parameters
        ----------
        data
            The manifest's ``cost`` record, or ``None`` (a run with no remote predictions).

        Returns
        -------
        CostReport
            The report; the totals are computed again from the predictions.

        Raises
        ------
        ConfigError
            A prediction record with a field of the wrong type or range.
        """
        if not data:
            return cls()
        return cls(tuple(PredictionCost.from_json(p) for p in data.get("predictions", ())))


def _kind_count(kind: str, n: int) -> str:
    """``"union"``, ``"1 window"``, ``"3 windows"``: how many predictions served one purpose."""
    if n == 1 and kind in ("proposals", "union", "track"):
        return kind
    return f"{n} {kind}{'s' if n > 1 and not kind.endswith('s') else ''}"
