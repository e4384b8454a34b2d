"""Which frames and which ground-truth objects each evaluation protocol scores.

Two protocols follow davis2017-evaluation (``davisvideochallenge/davis2017-evaluation`` at
``ac7c43f``) exactly:

``"davis-unsupervised"`` (the default)
    Every frame is scored, the first and the last included. The predicted objects carry no
    ground-truth ids, so they are assigned to the ground-truth objects by the Hungarian method on
    the mean of (J + F) / 2 (see `sam2_autotrack.evaluation.matching`); at most 20 predicted
    objects are accepted. Void pixels, when given, are ignored by J and F.

``"davis-semi-supervised"``
    Frames ``1 .. T-2`` are scored: frame 0 holds the reference masks given to the method, and the
    last frame is left out for historical reasons (davis2017-evaluation issue #10); at least three
    frames are needed. Each prediction is compared with the ground-truth object of the same id,
    and every non-empty prediction must have one. The official code passes no void mask to this
    protocol, so void pixels count as background here too.

In both protocols a ground-truth object without a prediction is compared with an empty mask
(frames where the object is absent then score 1), and the scores are averaged over objects.

Which ground-truth objects are scored is a separate choice, ``objects``:

``"all"`` (the default)
    Every object given, whether or not it is visible on frame 0: late-entering objects count.
``"davis-frame0-labels"``
    The official code's rule, for exact parity: the mapping order gives the DAVIS labels
    ``1..N`` and the labels ``1 .. max(label present on frame 0)`` are scored. An object empty on
    frame 0 is scored when a later-listed object is present there; objects listed after the last
    one present on frame 0 are dropped. Pass unused labels as all-empty masks to reproduce the
    official "phantom" objects.
``"present_at_start"``
    Only objects non-empty on frame 0 (what a tracker seeded on frame 0 can know). Not a DAVIS
    convention; reports name it.

**Where the official code differs, and how to reproduce it exactly.** davis2017-evaluation
(``davis.py``, ``get_all_masks``) scores the labels ``1 .. max(label on frame 0)`` of the
annotation PNGs, not every object: an object whose label is higher than every label present on
frame 0 is silently left out, and an unused label below that maximum is scored as an all-empty
"phantom" object (J = F = 1 against an empty prediction). The library scores every object given
instead (``objects="all"``), which is what DAVIS means for its own data, where every object is
labelled on frame 0. To get the official figures to the last digit from DAVIS label maps, pass
``gt = {label: label_map == label for label in 1 .. max label}`` and the predictions the same way,
both in label order (unused labels as empty masks), ``void = label_map == 255``, and
``objects="davis-frame0-labels"``. The one remaining difference is the decay above 256 scored
frames, where the official uint8 indices wrap (see `sam2_autotrack.evaluation.report`); the
official code also stops (``sys.exit``) where the library raises
[`EvaluationError`][sam2_autotrack.EvaluationError].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import Field

from sam2_autotrack._options import Options
from sam2_autotrack.errors import EvaluationError

__all__ = [
    "OBJECTS_MODES",
    "PROTOCOLS",
    "EvaluationOptions",
    "ObjectsMode",
    "Protocol",
    "ProtocolRules",
    "rules_of",
    "scored_frames",
    "scored_objects",
]

Protocol = Literal["davis-unsupervised", "davis-semi-supervised"]
"""The DAVIS 2017 protocols: unsupervised (the default) or semi-supervised."""
ObjectsMode = Literal["all", "davis-frame0-labels", "present_at_start"]
"""Which ground-truth objects are scored (``"all"`` by default)."""
PROTOCOLS: tuple[Protocol, ...] = get_args(Protocol)
"""Every protocol name, for choices and validation."""
OBJECTS_MODES: tuple[ObjectsMode, ...] = get_args(ObjectsMode)
"""Every objects mode, for choices and validation."""


class EvaluationOptions(Options):
    """How a clip is scored: the protocol, the ground-truth objects, the boundary tolerance.

    Attributes
    ----------
    protocol
        ``"davis-unsupervised"`` (default) or ``"davis-semi-supervised"``; see the module notes.
    objects
        ``"all"`` (default), ``"davis-frame0-labels"`` or ``"present_at_start"``.
    bound_th
        Boundary tolerance of F as a fraction of the image diagonal (DAVIS: 0.008, i.e. 8 px at
        854×480); a value ``>= 1`` is a number of pixels.

    Examples
    --------
    >>> EvaluationOptions().protocol
    'davis-unsupervised'
    >>> EvaluationOptions(protocol="davis")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid EvaluationOptions: protocol='davis': must be ...
    """

    protocol: Protocol = "davis-unsupervised"
    objects: ObjectsMode = "all"
    bound_th: float = Field(default=0.008, gt=0, allow_inf_nan=False)


@dataclass(frozen=True)
class ProtocolRules:
    """What a protocol does, as data.

    Parameters
    ----------
    name
        The protocol.
    skips_first_and_last_frame
        Score frames ``1 .. T-2`` only.
    uses_void
        Void pixels are taken out of J and F.
    matching
        ``"hungarian"``: predictions assigned on (J + F) / 2; ``"same-id"``: prediction ``k`` is
        compared with ground-truth object ``k``.
    max_pred_objects
        Most predicted objects accepted (``None``: no limit).
    """

    name: Protocol
    skips_first_and_last_frame: bool
    uses_void: bool
    matching: Literal["hungarian", "same-id"]
    max_pred_objects: int | None


_RULES: dict[str, ProtocolRules] = {
    "davis-unsupervised": ProtocolRules("davis-unsupervised", False, True, "hungarian", 20),
    "davis-semi-supervised": ProtocolRules("davis-semi-supervised", True, False, "same-id", None),
}


def rules_of(protocol: Protocol) -> ProtocolRules:
    """Return the rules of ``protocol``.

    Examples
    --------
    >>> rules_of("davis-semi-supervised").skips_first_and_last_frame
    True
    """
    return _RULES[protocol]


def scored_frames(protocol: Protocol, frame_count: int) -> tuple[int, ...]:
    """Return the indices of the frames ``protocol`` scores in a clip of ``frame_count`` frames.

    Raises
    ------
    EvaluationError
        No frame, or fewer than 3 frames for the semi-supervised protocol.

    Examples
    --------
    >>> scored_frames("davis-unsupervised", 4), scored_frames("davis-semi-supervised", 4)
    ((0, 1, 2, 3), (1, 2))
    """
    if frame_count < 1:
        raise EvaluationError("the sequences have no frames (T = 0); pass at least one frame")
    if not rules_of(protocol).skips_first_and_last_frame:
        return tuple(range(frame_count))
    if frame_count < 3:
        raise EvaluationError(
            f"{protocol} scores frames 1 .. T-2 and needs at least 3 frames; got {frame_count} "
            "(use protocol='davis-unsupervised', which scores every frame)"
        )
    return tuple(range(1, frame_count - 1))


def scored_objects(
    gt: Mapping[str, Any], objects: ObjectsMode
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split the ground-truth ids into the scored ones and the excluded ones, in mapping order.

    Parameters
    ----------
    gt
        ``{gt_id: (T, H, W) bool}`` (an array, or any sequence of ``(H, W)`` masks such as a
        [`MaskSequence`][sam2_autotrack.masks.MaskSequence]); frame 0 decides for the modes other
        than ``"all"`` (only frame 0 is read).
    objects
        See the module notes.

    Returns
    -------
    tuple
        ``(scored_ids, excluded_ids)``.

    Examples
    --------
    >>> import numpy as np
    >>> late = np.zeros((2, 4, 4), bool); late[1] = True
    >>> start = np.ones((2, 4, 4), bool)
    >>> gt = {"late": late, "start": start, "last": late}
    >>> scored_objects(gt, "all")
    (('late', 'start', 'last'), ())
    >>> scored_objects(gt, "davis-frame0-labels")
    (('late', 'start'), ('last',))
    >>> scored_objects(gt, "present_at_start")
    (('start',), ('late', 'last'))
    """
    ids = tuple(gt)
    if objects == "all":
        return ids, ()
    on_frame0 = [bool(seq[0].any()) for seq in gt.values()]
    if objects == "present_at_start":
        keep = on_frame0
    else:  # davis-frame0-labels: labels 1 .. max(label on frame 0)
        count = max((i + 1 for i, present in enumerate(on_frame0) if present), default=0)
        keep = [i < count for i in range(len(ids))]
    return (
        tuple(gid for gid, k in zip(ids, keep, strict=True) if k),
        tuple(gid for gid, k in zip(ids, keep, strict=True) if not k),
    )
