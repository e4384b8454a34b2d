"""Hand-annotated boxes of the main subject of each bundled real clip, and scoring against them.

``tests/data/real_subjects.json`` holds, for ``bigbuckbunny``, ``carphone`` and ``bikes`` (the
clips `sample_video` returns), the main subject as a person sees it — the
bunny, the man, the white vehicle of bikes' first shot — as tight boxes at 4-5 frames spread over
the time it is visible, plus the shots of each clip (bikes has five hard cuts). Boxes are
``[x0, y0, x1, y1]`` in pixels of the frame as [`read_frame`][sam2_autotrack.read_frame] returns it,
with exclusive ends (``x1 - x0`` is the width); see the file's ``box_convention``.

`subject_match` scores tracked masks against a subject: the box of each tracked object's
mask against the hand box, frame by frame.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError

__all__ = [
    "REAL_SUBJECTS_PATH",
    "Box",
    "RealClipTruth",
    "SubjectMatch",
    "SubjectTruth",
    "box_iou",
    "load_real_subjects",
    "mask_box",
    "subject_match",
]

Box = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` with exclusive ends."""

REAL_SUBJECTS_PATH = Path(__file__).resolve().parents[3] / "tests" / "data" / "real_subjects.json"
"""Where the annotation file lives in a source checkout."""


@dataclass(frozen=True)
class SubjectTruth:
    """One annotated subject.

    Parameters
    ----------
    label
        Short name (``"bunny"``).
    description
        What is and is not included, as a person sees it.
    visible
        ``(start, stop)``: the frames where the subject is visible (``stop`` exclusive).
    boxes
        ``{frame_index: (x0, y0, x1, y1)}``, frames in increasing order.
    """

    label: str
    description: str
    visible: tuple[int, int]
    boxes: Mapping[int, Box]


@dataclass(frozen=True)
class RealClipTruth:
    """The annotations of one real clip.

    Parameters
    ----------
    name
        Sample name for [`sample_video`][sam2_autotrack.testing.sample_video] (``"bikes"``).
    video
        File name of the video.
    resolution_wh
        ``(width, height)`` of the frames the boxes refer to.
    frame_count
        Number of frames of the video.
    shots
        ``((start, stop), ...)``: the shots, in order, covering every frame.
    subject
        The main subject.
    secondary
        Other annotated subjects (may be empty).
    notes
        Free-text remarks of the annotator.
    """

    name: str
    video: str
    resolution_wh: tuple[int, int]
    frame_count: int
    shots: tuple[tuple[int, int], ...]
    subject: SubjectTruth
    secondary: tuple[SubjectTruth, ...] = ()
    notes: str = ""

    @property
    def scene_cuts(self) -> tuple[int, ...]:
        """First frame of every shot after the first (where a hard cut lands)."""
        return tuple(start for start, _ in self.shots[1:])


def _box(value: Any, where: str, size_wh: tuple[int, int]) -> Box:
    if not (isinstance(value, list | tuple) and len(value) == 4):
        raise EvaluationError(f"{where}: a box is [x0, y0, x1, y1]; got {value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise EvaluationError(f"{where}: box coordinates are whole pixels; got {value!r}")
    x0, y0, x1, y1 = (int(v) for v in value)
    width, height = size_wh
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise EvaluationError(
            f"{where}: box {value} must satisfy 0 <= x0 < x1 <= {width} and "
            f"0 <= y0 < y1 <= {height} (exclusive ends)"
        )
    return (x0, y0, x1, y1)


def _span(value: Any, where: str, frame_count: int) -> tuple[int, int]:
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise EvaluationError(f"{where}: a frame range is [start, stop]; got {value!r}")
    start, stop = int(value[0]), int(value[1])
    if not 0 <= start < stop <= frame_count:
        raise EvaluationError(
            f"{where}: range {value} must satisfy 0 <= start < stop <= {frame_count}"
        )
    return (start, stop)


def _subject(
    raw: Mapping[str, Any], where: str, frame_count: int, size_wh: tuple[int, int]
) -> SubjectTruth:
    visible = _span(raw.get("visible"), f"{where}.visible", frame_count)
    boxes: dict[int, Box] = {}
    for key, value in raw.get("boxes", {}).items():
        frame = int(key)
        if not visible[0] <= frame < visible[1]:
            raise EvaluationError(
                f"{where}: frame {frame} is outside the frames {list(visible)} where the subject "
                "is visible"
            )
        boxes[frame] = _box(value, f"{where}.boxes[{key}]", size_wh)
    if len(boxes) < 4:
        raise EvaluationError(f"{where}: annotate at least 4 frames; got {len(boxes)}")
    return SubjectTruth(
        label=str(raw["label"]),
        description=str(raw["description"]),
        visible=visible,
        boxes=dict(sorted(boxes.items())),
    )


def load_real_subjects(path: str | Path | None = None) -> dict[str, RealClipTruth]:
    """Read and validate the real-clip annotations.

    Parameters
    ----------
    path
        The JSON file; default `REAL_SUBJECTS_PATH` (in a source checkout).

    Returns
    -------
    dict
        ``{sample_name: RealClipTruth}``.

    Raises
    ------
    EvaluationError
        The file is missing, or a box lies outside the frame, has ``x0 >= x1`` or ``y0 >= y1``,
        refers to a frame past the end or outside the subject's visible range, a subject has
        fewer than 4 annotated frames, or the shots do not tile the clip.

    Examples
    --------
    >>> truth = load_real_subjects()
    >>> truth["bikes"].scene_cuts[0], truth["bigbuckbunny"].subject.label
    (30, 'bunny')
    """
    file = Path(path) if path is not None else REAL_SUBJECTS_PATH
    if not file.is_file():
        raise EvaluationError(
            f"no real-clip annotations at {file}; pass the path of real_subjects.json"
        )
    data = json.loads(file.read_text(encoding="utf-8"))
    out: dict[str, RealClipTruth] = {}
    for name, raw in data["clips"].items():
        where = f"{file.name}: {name}"
        width, height = (int(v) for v in raw["resolution_wh"])
        frame_count = int(raw["frame_count"])
        shots = tuple(
            _span(s, f"{where}.shots", frame_count) for s in raw.get("shots", [[0, frame_count]])
        )
        if (
            shots[0][0] != 0
            or shots[-1][1] != frame_count
            or any(a[1] != b[0] for a, b in itertools.pairwise(shots))
        ):
            raise EvaluationError(f"{where}: shots {list(shots)} must tile 0..{frame_count}")
        declared_cuts = tuple(int(c) for c in raw.get("scene_cuts", []))
        if declared_cuts != tuple(start for start, _ in shots[1:]):
            raise EvaluationError(
                f"{where}: scene_cuts {list(declared_cuts)} disagree with the shots {list(shots)}"
            )
        size = (width, height)
        out[name] = RealClipTruth(
            name=name,
            video=str(raw["video"]),
            resolution_wh=size,
            frame_count=frame_count,
            shots=shots,
            subject=_subject(raw["subject"], f"{where}.subject", frame_count, size),
            secondary=tuple(
                _subject(s, f"{where}.secondary[{i}]", frame_count, size)
                for i, s in enumerate(raw.get("secondary", []))
            ),
            notes=str(raw.get("notes", "")),
        )
    return out


# --------------------------------------------------------------------------------------------------
# Scoring tracked masks against a subject's boxes
# --------------------------------------------------------------------------------------------------


def mask_box(mask: NDArray[np.bool_]) -> Box | None:
    """Return the tight box ``(x0, y0, x1, y1)`` (exclusive ends) of a mask, ``None`` if empty.

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[2:5, 3:9] = True
    >>> mask_box(m)
    (3, 2, 9, 5)
    """
    rows = np.flatnonzero(np.asarray(mask).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(np.asarray(mask).any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def box_iou(a: Box | None, b: Box | None) -> float:
    """Return the intersection over union of two boxes (0.0 when either is ``None``).

    Examples
    --------
    >>> box_iou((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    """
    if a is None or b is None:
        return 0.0
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


@dataclass(frozen=True)
class SubjectMatch:
    """How well tracked objects cover an annotated subject.

    Parameters
    ----------
    object_id
        The tracked object whose worst per-frame box IoU is highest, or ``None`` with no object.
    ious
        ``{frame: IoU}`` of that object's mask box against the hand box.
    matched
        Whether that object reaches ``threshold`` at every annotated frame.
    others
        Tracked objects other than the matched one (all of them when nothing matched).
    """

    object_id: str | None
    ious: Mapping[int, float]
    matched: bool
    others: tuple[str, ...]

    @property
    def min_iou(self) -> float:
        """Worst per-frame IoU of the best object (0 with no object)."""
        return min(self.ious.values(), default=0.0)


def subject_match(
    masks: Mapping[str, Sequence[NDArray[np.bool_]] | NDArray[np.bool_]],
    subject: SubjectTruth,
    *,
    frame_indices: NDArray[np.int64] | None = None,
    threshold: float = 0.5,
) -> SubjectMatch:
    """Find the tracked object that follows ``subject``: box IoU >= ``threshold`` at every frame.

    Parameters
    ----------
    masks
        ``{object_id: (F, H, W) bool}`` tracked masks (arrays or
        [`MaskSequence`][sam2_autotrack.masks.MaskSequence] s, read frame by frame).
    subject
        The annotated subject.
    frame_indices
        Source frame of each mask frame (default ``0..F-1``); annotated frames without a mask
        frame count as IoU 0.
    threshold
        Per-frame box IoU an object must reach at every annotated frame.

    Returns
    -------
    SubjectMatch
        The best object (highest worst-frame IoU), its IoUs, and whether it matches.

    Examples
    --------
    >>> m = np.zeros((3, 8, 8), bool); m[:, 2:6, 2:6] = True
    >>> s = SubjectTruth("sq", "", (0, 3), {0: (2, 2, 6, 6), 2: (2, 2, 6, 7)})
    >>> r = subject_match({"obj_1": m}, s)
    >>> r.matched, r.object_id, r.min_iou
    (True, 'obj_1', 0.8)
    """
    best: tuple[float, str | None, dict[int, float]] = (-1.0, None, {})
    for object_id, seq in masks.items():
        index = (
            {int(f): k for k, f in enumerate(frame_indices)}
            if frame_indices is not None
            else {k: k for k in range(len(seq))}
        )
        # frame by frame: a MaskSequence is never decoded whole
        ious = {
            frame: (box_iou(mask_box(seq[index[frame]]), box) if frame in index else 0.0)
            for frame, box in subject.boxes.items()
        }
        worst = min(ious.values(), default=0.0)
        if worst > best[0]:
            best = (worst, object_id, ious)
    worst, best_id, best_ious = best
    matched = best_id is not None and worst >= threshold
    others = tuple(oid for oid in masks if not (matched and oid == best_id))
    return SubjectMatch(object_id=best_id, ious=best_ious, matched=matched, others=others)
