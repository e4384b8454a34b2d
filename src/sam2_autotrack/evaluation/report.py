"""Scores of one object, one clip (`EvaluationReport`) and many clips (`aggregate`).

The statistics are DAVIS's (davis2017-evaluation ``utils.db_statistics``), per ground-truth object
over the scored frames:

* **mean** of the per-frame values;
* **recall**: the fraction of frames scoring strictly above 0.5;
* **decay**: mean of the first quarter minus mean of the last quarter. The bins are cut at
  ``round_half_up(linspace(1, n, 5)) - 1`` with inclusive ends, so neighbouring bins share a frame
  (n = 100 → cuts 0, 25, 50, 74, 99; n = 1 → decay 0). The official code casts the cuts to uint8,
  which wraps above 256 scored frames and makes its decay NaN or meaningless there; this library
  computes the intended value at every length.

Clip and benchmark figures are means over **objects**, as DAVIS computes them (over all objects of
all sequences, never a mean of per-clip means), and ``J&F = (J + F) / 2``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.evaluation.protocols import ObjectsMode, Protocol

__all__ = [
    "EvaluationReport",
    "EvaluationSummary",
    "ObjectScore",
    "VoidUse",
    "aggregate",
    "frame_statistics",
]

VoidUse = Literal["none", "applied", "ignored"]
_STATS = ("j_mean", "f_mean", "j_recall", "f_recall", "j_decay", "f_decay")


def frame_statistics(values: Sequence[float] | NDArray[np.float64]) -> tuple[float, float, float]:
    """Return the DAVIS ``(mean, recall, decay)`` of one object's per-frame J or F values.

    Parameters
    ----------
    values
        Per-frame J or F values of one object, in 0..1.

    Returns
    -------
    tuple[float, float, float]
        The mean; the recall (share of frames above 0.5); the decay (mean of the first quarter
        of the frames minus that of the last quarter).

    Raises
    ------
    EvaluationError
        ``values`` is empty or not 1-D.

    Examples
    --------
    >>> frame_statistics([1.0, 1.0, 0.4, 0.0])  # decay: mean(1, 1) - mean(0.4, 0)
    (0.6, 0.5, 0.8)
    >>> frame_statistics([0.7])
    (0.7, 1.0, 0.0)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise EvaluationError(f"per-frame values must be a non-empty 1-D array; got {v.shape}")
    cuts = [math.floor(x + 1e-10 + 0.5) - 1 for x in np.linspace(1, v.size, 5).tolist()]
    decay = float(np.mean(v[cuts[0] : cuts[1] + 1]) - np.mean(v[cuts[3] : cuts[4] + 1]))
    return float(np.mean(v)), float(np.mean(v > 0.5)), decay


def _read_only(values: Any) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ObjectScore:
    """The scores of one ground-truth object over the scored frames.

    Parameters
    ----------
    gt_id
        Ground-truth object id.
    pred_id
        The prediction it was compared with, or ``None`` when it was compared with an empty mask
        (no prediction left for it): frames where the object is absent then score 1.
    j_mean, f_mean
        Means over the scored frames of J and of F.
    j_recall, f_recall
        Fractions of scored frames where J (F) is above 0.5.
    j_decay, f_decay
        First-quarter mean minus last-quarter mean (see the module notes).
    j_per_frame, f_per_frame
        Read-only ``(T,)`` float64 per-frame values over the scored frames.
    """

    gt_id: str
    pred_id: str | None
    j_mean: float
    f_mean: float
    j_recall: float
    f_recall: float
    j_decay: float
    f_decay: float
    j_per_frame: NDArray[np.float64]
    f_per_frame: NDArray[np.float64]

    @classmethod
    def from_frames(
        cls,
        gt_id: str,
        pred_id: str | None,
        j_per_frame: Sequence[float] | NDArray[np.float64],
        f_per_frame: Sequence[float] | NDArray[np.float64],
    ) -> ObjectScore:
        """Build the score from the per-frame values (copied, then made read-only).

        Parameters
        ----------
        gt_id
            The ground-truth object's id.
        pred_id
            The matched prediction's id, or ``None`` when none was matched.
        j_per_frame, f_per_frame
            Per-frame region similarity J and boundary accuracy F, in 0..1.

        Returns
        -------
        ObjectScore
            Mean, recall and decay of J and F (see
            [`frame_statistics`][sam2_autotrack.evaluation.frame_statistics]).

        Raises
        ------
        EvaluationError
            Empty or non-1-D per-frame values.

        Examples
        --------
        >>> s = ObjectScore.from_frames("a", None, [1.0, 0.0], [1.0, 0.5])
        >>> s.jf_mean, s.j_decay, s.f_recall
        (0.625, 1.0, 0.5)
        """
        j, f = _read_only(j_per_frame), _read_only(f_per_frame)
        j_mean, j_recall, j_decay = frame_statistics(j)
        f_mean, f_recall, f_decay = frame_statistics(f)
        return cls(gt_id, pred_id, j_mean, f_mean, j_recall, f_recall, j_decay, f_decay, j, f)

    @property
    def jf_mean(self) -> float:
        """``(J + F) / 2``."""
        return (self.j_mean + self.f_mean) / 2.0

    def to_dict(self) -> dict[str, Any]:
        """Return the scores as JSON-ready values (per-frame arrays become lists).

        Returns
        -------
        dict[str, Any]
            The ids, the J and F statistics and the per-frame values.
        """
        return {
            "gt_id": self.gt_id,
            "pred_id": self.pred_id,
            **{name: getattr(self, name) for name in _STATS},
            "jf_mean": self.jf_mean,
            "j_per_frame": [float(v) for v in self.j_per_frame],
            "f_per_frame": [float(v) for v in self.f_per_frame],
        }


def _mean_over(scores: Sequence[ObjectScore], name: str) -> float:
    if not scores:
        return math.nan  # no scored object (as DAVIS: the mean of nothing)
    return float(np.mean([getattr(s, name) for s in scores]))


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


class _ObjectMeans:
    """Means over objects, shared by the clip report and the multi-clip summary."""

    def _scores(self) -> Sequence[ObjectScore]:
        raise NotImplementedError

    @property
    def j_mean(self) -> float:
        """Mean J over the scored objects."""
        return _mean_over(self._scores(), "j_mean")

    @property
    def f_mean(self) -> float:
        """Mean F over the scored objects."""
        return _mean_over(self._scores(), "f_mean")

    @property
    def jf_mean(self) -> float:
        """``(J + F) / 2`` of the means over objects (DAVIS's J&F-Mean)."""
        return (self.j_mean + self.f_mean) / 2.0

    @property
    def j_recall(self) -> float:
        """Mean J recall over the scored objects."""
        return _mean_over(self._scores(), "j_recall")

    @property
    def f_recall(self) -> float:
        """Mean F recall over the scored objects."""
        return _mean_over(self._scores(), "f_recall")

    @property
    def j_decay(self) -> float:
        """Mean J decay over the scored objects."""
        return _mean_over(self._scores(), "j_decay")

    @property
    def f_decay(self) -> float:
        """Mean F decay over the scored objects."""
        return _mean_over(self._scores(), "f_decay")

    def _means(self) -> dict[str, float | None]:
        """Return the means for JSON (``None`` when no object was scored)."""
        names = ("jf_mean", "j_mean", "f_mean", "j_recall", "f_recall", "j_decay", "f_decay")
        return {name: _json_number(getattr(self, name)) for name in names}


def _table(rows: list[tuple[str, ...]], left: int) -> list[str]:
    """Lay out rows (header first, totals last) with the first ``left`` columns left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(r: tuple[str, ...]) -> str:
        cells = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(rows[0]), rule, *(line(r) for r in rows[1:-1]), rule, line(rows[-1])]


def _figures(source: ObjectScore | _ObjectMeans) -> tuple[str, ...]:
    return tuple(
        f"{getattr(source, name):.3f}"
        for name in ("j_mean", "f_mean", "jf_mean", "j_recall", "f_recall", "j_decay", "f_decay")
    )


_HEADER = ("J", "F", "J&F", "J-rec", "F-rec", "J-dec", "F-dec")


@dataclass(frozen=True)
class EvaluationReport(_ObjectMeans):
    """J&F of one clip's predicted objects against its ground truth, under a named protocol.

    The means (``j_mean``, ``f_mean``, ``jf_mean``, recalls, decays) are over the scored
    ground-truth objects; they are NaN (``None`` in
    [`to_dict`][sam2_autotrack.evaluation.EvaluationReport.to_dict]) in the one case where no object
    is scored, ``objects="davis-frame0-labels"`` on a clip with no object on frame 0.

    Parameters
    ----------
    protocol
        The protocol that produced the figures.
    objects
        Which ground-truth objects were scored (``"all"``, ``"davis-frame0-labels"`` or
        ``"present_at_start"``).
    per_object
        ``{gt_id: ObjectScore}`` for every scored ground-truth object, in the order given.
    matching
        ``{gt_id: pred_id}``: the prediction each object was compared with (kept even when the
        two never overlap).
    unmatched_gt
        Scored objects compared with an empty mask (no prediction for them).
    extra_pred
        Predictions compared with no ground-truth object (they do not lower any figure).
    excluded_gt
        Ground-truth objects not scored (by the ``objects`` mode).
    frames
        Indices of the scored frames.
    void
        ``"applied"``: void pixels were taken out of J and F; ``"ignored"``: void was given but
        the protocol does not use it (semi-supervised); ``"none"``: no void given.
    bound_th
        Boundary tolerance of F.
    """

    protocol: Protocol
    objects: ObjectsMode
    per_object: Mapping[str, ObjectScore]
    matching: Mapping[str, str]
    unmatched_gt: tuple[str, ...]
    extra_pred: tuple[str, ...]
    excluded_gt: tuple[str, ...]
    frames: tuple[int, ...]
    void: VoidUse = "none"
    bound_th: float = 0.008

    def _scores(self) -> Sequence[ObjectScore]:
        return list(self.per_object.values())

    @property
    def frame_count(self) -> int:
        """Number of scored frames."""
        return len(self.frames)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values.

        Returns
        -------
        dict[str, Any]
            The protocol, the objects' scores (each as
            [`ObjectScore.to_dict`][sam2_autotrack.evaluation.ObjectScore.to_dict]), their means
            and the matching; no NaN (``json.dumps(..., allow_nan=False)`` works).

        Examples
        --------
        >>> import json, numpy as np
        >>> from sam2_autotrack.evaluation import evaluate
        >>> gt = {"a": np.ones((2, 8, 8), bool)}
        >>> d = evaluate({"p": np.ones((2, 8, 8), bool)}, gt).to_dict()
        >>> d["protocol"], d["jf_mean"], d["matching"]
        ('davis-unsupervised', 1.0, {'a': 'p'})
        >>> _ = json.dumps(d, allow_nan=False)
        """
        return {
            "protocol": self.protocol,
            "objects": self.objects,
            **self._means(),
            "object_count": len(self.per_object),
            "frame_count": self.frame_count,
            "frames": list(self.frames),
            "void": self.void,
            "bound_th": self.bound_th,
            "matching": dict(self.matching),
            "unmatched_gt": list(self.unmatched_gt),
            "extra_pred": list(self.extra_pred),
            "excluded_gt": list(self.excluded_gt),
            "per_object": {gid: score.to_dict() for gid, score in self.per_object.items()},
        }

    def __str__(self) -> str:
        """Render a table (one row per scored object, then the means) and the protocol."""
        rows: list[tuple[str, ...]] = [("object", "pred", *_HEADER)]
        for gid, score in self.per_object.items():
            rows.append(
                (gid, score.pred_id if score.pred_id is not None else "-", *_figures(score))
            )
        rows.append((f"mean of {len(self.per_object)}", "", *_figures(self)))
        out = _table(rows, left=2)
        first, last = self.frames[0], self.frames[-1]
        out.append(
            f"protocol: {self.protocol}   objects: {self.objects}   "
            f"frames: {self.frame_count} ({first}..{last})   void: {self.void}"
        )
        for label, ids, note in (
            ("unmatched gt", self.unmatched_gt, " (scored against an empty mask)"),
            ("extra pred", self.extra_pred, ""),
            ("excluded gt", self.excluded_gt, f" (not scored with objects={self.objects!r})"),
        ):
            if ids:
                out.append(f"{label}: {', '.join(ids)}{note}")
        return "\n".join(out)


@dataclass(frozen=True)
class EvaluationSummary(_ObjectMeans):
    """Figures over many clips, averaged over all their scored objects, as DAVIS does.

    Parameters
    ----------
    protocol, objects, bound_th
        Shared by every clip.
    clips
        ``{clip_name: EvaluationReport}``.
    """

    protocol: Protocol
    objects: ObjectsMode
    bound_th: float
    clips: Mapping[str, EvaluationReport]

    def _scores(self) -> Sequence[ObjectScore]:
        return [s for report in self.clips.values() for s in report.per_object.values()]

    @property
    def object_count(self) -> int:
        """Number of scored objects over all clips."""
        return len(self._scores())

    def to_dict(self) -> dict[str, Any]:
        """Return the summary (and every clip's report) as JSON-ready values.

        Returns
        -------
        dict[str, Any]
            The protocol, the object count, the means over every object, and each clip's
            [`EvaluationReport.to_dict`][sam2_autotrack.evaluation.EvaluationReport.to_dict].

        Examples
        --------
        >>> import numpy as np
        >>> from sam2_autotrack.evaluation import evaluate
        >>> gt = {"a": np.ones((2, 8, 8), bool)}
        >>> d = aggregate({"c": evaluate(gt, gt)}).to_dict()
        >>> d["protocol"], d["object_count"], d["jf_mean"]
        ('davis-unsupervised', 1, 1.0)
        """
        return {
            "protocol": self.protocol,
            "objects": self.objects,
            "bound_th": self.bound_th,
            **self._means(),
            "object_count": self.object_count,
            "clip_count": len(self.clips),
            "clips": {name: report.to_dict() for name, report in self.clips.items()},
        }

    def __str__(self) -> str:
        """Render one row per clip (its object means) and the means over all objects."""
        rows: list[tuple[str, ...]] = [("clip", "objects", *_HEADER)]
        for name, report in self.clips.items():
            rows.append((name, str(len(report.per_object)), *_figures(report)))
        rows.append(("all objects", str(self.object_count), *_figures(self)))
        out = _table(rows, left=1)
        out.append(
            f"protocol: {self.protocol}   objects: {self.objects}   "
            f"averaged over {self.object_count} objects of {len(self.clips)} clips"
        )
        return "\n".join(out)


def aggregate(
    reports: Mapping[str, EvaluationReport] | Sequence[EvaluationReport],
) -> EvaluationSummary:
    """Combine clip reports into benchmark figures: means over all objects of all clips.

    Parameters
    ----------
    reports
        ``{clip_name: report}``, or a sequence of reports (named ``clip_0``, ``clip_1``, ...).

    Returns
    -------
    EvaluationSummary
        Each object counts once, whichever clip it is in (a clip with many objects weighs more
        than one with few).

    Raises
    ------
    EvaluationError
        No report, or reports made under different protocols, object modes or tolerances.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.evaluation import evaluate
    >>> one = {"a": np.ones((2, 8, 8), bool)}
    >>> three = {k: np.zeros((2, 8, 8), bool) for k in "abc"}
    >>> for k, seq in zip("abc", three.values()):
    ...     seq[:, 0:2, "abc".index(k) * 3 : "abc".index(k) * 3 + 2] = True
    >>> reports = {"s1": evaluate(one, one), "s2": evaluate({"p": three["a"]}, three)}
    >>> aggregate(reports).jf_mean  # (1 + 1 + 0 + 0) / 4, not (1 + 1/3) / 2
    0.5
    """
    named = (
        dict(reports)
        if isinstance(reports, Mapping)
        else {f"clip_{i}": r for i, r in enumerate(reports)}
    )
    if not named:
        raise EvaluationError("no reports to aggregate; pass at least one EvaluationReport")
    first = next(iter(named.values()))
    for name, report in named.items():
        setting = (report.protocol, report.objects, report.bound_th)
        if setting != (first.protocol, first.objects, first.bound_th):
            raise EvaluationError(
                f"report {name!r} was made with protocol={report.protocol!r}, "
                f"objects={report.objects!r}, bound_th={report.bound_th!r} but the first with "
                f"protocol={first.protocol!r}, objects={first.objects!r}, "
                f"bound_th={first.bound_th!r}; evaluate every clip with the same settings"
            )
    return EvaluationSummary(first.protocol, first.objects, first.bound_th, named)
