"""The ``auto`` strategy's plan: which short windows of the clip to re-run per object.

[`plan_windows`][sam2_autotrack.backends.replicate.split.plan_windows] reads the per-frame
`FrameSignals` of the image-guided split
and returns the [`Window`][sam2_autotrack.backends.replicate.split.Window]s to re-run:

1. **Unsure frames.** An object is unsure on a mask frame when it shares a union component with
   another object (``merge``), when it is lost (area below ``vanish_ratio`` of its last area
   while alone) on a stretch of frames after which it comes back (``vanish``; its partners on
   the frame before it vanished — the occluder — are unsure with it), or when its colour purity
   falls below ``min_purity`` of its first frame's (``identity``; with its partners).
2. **Runs.** Unsure frames at most ``merge_gap`` mask frames apart form one run.
3. **Windows.** A run's window starts one mask frame before it — the last confident frame, where
   each re-run object's clicks are placed from its split mask — (or at frame 0, with the original
   clicks) and ends ``margin`` mask frames after it; overlapping windows are joined.
4. **Objects.** A window re-runs the objects unsure in it; with ``leave_one_out`` the largest of
   them that stays visible throughout is not re-run: it gets what the union leaves.
5. **Budget.** Each window costs its uploaded frames times its re-run objects; windows are kept
   from the most unsure (merge 1, vanish and identity 3 per object and frame) while the total
   stays within ``max_extra_frames`` times the union prediction's uploaded frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sam2_autotrack.backends.replicate.split.options import AutoOptions
from sam2_autotrack.backends.replicate.split.signals import FrameSignals
from sam2_autotrack.errors import MaskError

__all__ = ["Window", "plan_windows", "unsure_objects"]

_WEIGHTS = {"merge": 1, "vanish": 3, "identity": 3}


@dataclass(frozen=True)
class Window:
    """A stretch of mask frames re-run per object (objects numbered 1..K as in label maps).

    Parameters
    ----------
    first, last
        First and last mask frame of the window (inclusive). ``first`` is the frame the clicks
        are placed on: the confident frame before the unsure run, or frame 0.
    objects
        The objects unsure in the window.
    rerun
        The objects given one prediction each.
    leftover
        The object not re-run (it gets the union pixels the others leave), if any.
    reasons
        Why frames were unsure: a sorted subset of ``("identity", "merge", "vanish")``.
    score
        Unsureness (weighted object-frames) the window covers; the budget keeps high scores.
    """

    first: int
    last: int
    objects: tuple[int, ...]
    rerun: tuple[int, ...]
    leftover: int | None = None
    reasons: tuple[str, ...] = ()
    score: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.first <= self.last:
            raise MaskError(f"a window needs 0 <= first <= last; got {self.first}..{self.last}")
        if not self.rerun or not set(self.rerun) <= set(self.objects):
            raise MaskError(f"rerun {self.rerun} must be a non-empty subset of {self.objects}")

    def frames_uploaded(self, frame_interval: int = 1) -> int:
        """Source frames each of the window's predictions uploads.

        Parameters
        ----------
        frame_interval
            Source frames per mask frame.

        Returns
        -------
        int
            The frames one prediction of the window uploads.
        """
        return (self.last - self.first) * frame_interval + 1

    def cost(self, frame_interval: int = 1) -> int:
        """Frames uploaded by all of the window's predictions.

        Parameters
        ----------
        frame_interval
            Source frames per mask frame.

        Returns
        -------
        int
            ``frames_uploaded`` times the number of re-run objects.
        """
        return self.frames_uploaded(frame_interval) * len(self.rerun)

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and self.first <= index <= self.last


def unsure_objects(
    signals: Sequence[FrameSignals], options: AutoOptions
) -> tuple[list[dict[int, set[str]]], list[list[bool]]]:
    """Return, per mask frame, ``{object: reasons}`` of the unsure objects, and who is lost.

    The second value is ``lost[k - 1][t]``: whether object ``k`` is lost on frame ``t``.

    Parameters
    ----------
    signals
        One [`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals] per mask
        frame.
    options
        The thresholds.

    Returns
    -------
    tuple[list[dict[int, set[str]]], list[list[bool]]]
        Per frame, the unsure objects with their reasons (``"identity"``, ``"merge"``,
        ``"vanish"``); per object, whether it is lost on each frame.

    Raises
    ------
    MaskError
        Frames with different numbers of objects.

    Examples
    --------
    >>> frames = [FrameSignals(areas=(10, 10)), FrameSignals(areas=(10, 10), groups=((1, 2),))]
    >>> unsure_objects(frames, AutoOptions())[0]
    [{}, {1: {'merge'}, 2: {'merge'}}]
    """
    count = len(signals[0].areas) if signals else 0
    flags: list[dict[int, set[str]]] = [{} for _ in signals]
    lost = [[False] * len(signals) for _ in range(count)]
    ref_area = [0] * count
    ref_purity = [math.nan] * count

    def flag(t: int, label: int, reason: str) -> None:
        flags[t].setdefault(label, set()).add(reason)

    for t, frame in enumerate(signals):
        if len(frame.areas) != count:
            raise MaskError(f"frame {t} has {len(frame.areas)} objects, frame 0 has {count}")
        for label in range(1, count + 1):
            area = frame.areas[label - 1]
            partners = frame.partners(label)
            is_lost = ref_area[label - 1] > 0 and area < options.vanish_ratio * ref_area[label - 1]
            lost[label - 1][t] = is_lost
            if area > 0 and (not partners or ref_area[label - 1] == 0) and not is_lost:
                ref_area[label - 1] = area
            if partners:
                flag(t, label, "merge")
            purity = frame.purity_of(label)
            if area > 0 and math.isnan(ref_purity[label - 1]) and not math.isnan(purity):
                ref_purity[label - 1] = purity
            elif area > 0 and purity < options.min_purity * ref_purity[label - 1]:
                for who in (label, *partners):
                    flag(t, who, "identity")
    # vanish: a lost stretch the object comes back from; its occluder is unsure with it
    for label in range(1, count + 1):
        t = 0
        while t < len(signals):
            if not lost[label - 1][t]:
                t += 1
                continue
            end = t
            while end + 1 < len(signals) and lost[label - 1][end + 1]:
                end += 1
            if end + 1 < len(signals):
                occluders = signals[t - 1].partners(label) if t > 0 else ()
                for u in range(t, end + 1):
                    for who in (label, *occluders):
                        flag(u, who, "vanish")
            t = end + 1
    return flags, lost


def plan_windows(
    signals: Sequence[FrameSignals],
    options: AutoOptions,
    *,
    upload_frames: int,
    frame_interval: int = 1,
) -> tuple[Window, ...]:
    """Return the windows to re-run per object, in frame order (see the module docstring).

    Parameters
    ----------
    signals
        One [`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals] per mask frame of
        the union prediction.
    options
        The thresholds and the budget.
    upload_frames
        Frames the union prediction uploaded (the budget's unit).
    frame_interval
        Source frames per mask frame (``output_frame_interval``).

    Returns
    -------
    tuple[Window, ...]
        The windows, in frame order, not overlapping, within the budget (empty: nothing to
        re-run).

    Examples
    --------
    >>> apart = FrameSignals(areas=(50, 50))
    >>> merged = FrameSignals(areas=(50, 50), groups=((1, 2),))
    >>> frames = [apart] * 5 + [merged] * 3 + [apart] * 5
    >>> (window,) = plan_windows(frames, AutoOptions(), upload_frames=13)
    >>> window.first, window.last, window.objects, window.rerun, window.leftover
    (4, 8, (1, 2), (2,), 1)
    >>> plan_windows(frames, AutoOptions(max_extra_frames=0), upload_frames=13)
    ()
    """
    if not signals:
        return ()
    flags, lost = unsure_objects(signals, options)
    spans: list[list[int]] = []
    for t in (t for t, found in enumerate(flags) if found):
        first, last = max(0, t - 1), min(len(signals) - 1, t + options.margin)
        if spans and (t - spans[-1][2] - 1 <= options.merge_gap or first <= spans[-1][1]):
            spans[-1][1], spans[-1][2] = max(spans[-1][1], last), t
        else:
            spans.append([first, last, t])
    candidates = [_window(first, last, flags, lost, signals, options) for first, last, _ in spans]
    budget = options.max_extra_frames * upload_frames
    chosen: list[Window] = []
    spent = 0
    for window in sorted(
        (w for w in candidates if w is not None), key=lambda w: (-w.score, w.first)
    ):
        cost = window.cost(frame_interval)
        if spent + cost <= budget:
            chosen.append(window)
            spent += cost
    return tuple(sorted(chosen, key=lambda w: w.first))


def _window(
    first: int,
    last: int,
    flags: list[dict[int, set[str]]],
    lost: list[list[bool]],
    signals: Sequence[FrameSignals],
    options: AutoOptions,
) -> Window | None:
    objects: set[int] = set()
    reasons: set[str] = set()
    score = 0
    for t in range(first, last + 1):
        for label, why in flags[t].items():
            objects.add(label)
            reasons |= why
            score += max(_WEIGHTS[r] for r in why)
    # an object can only be re-run from a frame where it is visible (or from frame 0's clicks)
    clickable = [k for k in sorted(objects) if first == 0 or signals[first].areas[k - 1] > 0]
    leftover = None
    if options.leave_one_out and len(objects) >= 2:
        steady = [
            k
            for k in sorted(objects)
            if not any(lost[k - 1][first : last + 1])
            and all(signals[t].areas[k - 1] > 0 for t in range(first, last + 1))
        ]
        if steady:
            leftover = max(
                steady,
                key=lambda k: sum(signals[t].areas[k - 1] for t in range(first, last + 1)),
            )
    rerun = tuple(k for k in clickable if k != leftover)
    if not rerun:
        return None
    return Window(
        first=first,
        last=last,
        objects=tuple(sorted(objects)),
        rerun=rerun,
        leftover=leftover,
        reasons=tuple(sorted(reasons)),
        score=score,
    )
