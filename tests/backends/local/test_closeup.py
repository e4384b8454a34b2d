"""Close-up subjects: a head-and-shoulders person is one whole candidate (hair, face, suit)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.backends.local.closeup import closeup_subject, is_closeup_cut
from sam2_autotrack.backends.local.cues import subject_cues
from sam2_autotrack.backends.local.options import ProposalOptions

H, W = 144, 176
Part = tuple[NDArray[np.bool_], tuple[int, int, int]]


def _iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    return float(np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b)))


def _person(dx: int = 0) -> tuple[NDArray[np.bool_], list[Part]]:
    """Draw the man of a carphone-like shot: hair, face, shirt and suit, cut by the bottom."""
    yy, xx = np.mgrid[0:H, 0:W]
    head = ((xx - 88 - dx) / 24.0) ** 2 + ((yy - 48) / 30.0) ** 2 <= 1
    hair = head & (yy < 34)
    suit = (yy >= 80) & (np.abs(xx - 88) <= 30 + (yy - 80) * 0.9)
    shirt = suit & (np.abs(xx - 88) <= 8)
    neck = (yy >= 70) & (yy < 80) & (np.abs(xx - 88 - dx) <= 10)
    whole = head | suit | neck
    parts: list[Part] = [
        (suit & ~shirt, (25, 28, 38)),
        (shirt, (235, 235, 235)),
        (neck | (head & ~hair), (215, 165, 135)),
        (hair, (110, 60, 35)),
    ]
    return whole, parts


def _closeup_frames(count: int = 26) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Render a man in the back of a car, with his mask on frame 0.

    A striped seat on the left, a window on the right through which the scenery streams past
    (fast, unlike the camera); he only moves his head a little.
    """
    rng = np.random.default_rng(3)
    scenery = cv2.GaussianBlur((rng.random((H, 4 * W)) * 255).astype(np.uint8), (0, 0), 2.0)
    frames = np.empty((count, H, W, 3), np.uint8)
    truth = np.zeros((H, W), dtype=bool)
    for t in range(count):
        frame = np.empty((H, W, 3), np.uint8)
        frame[:] = (85, 85, 90)  # roof lining, door
        frame[30:120, :50] = (200, 200, 205)  # the seat with blue stripes
        for y in range(34, 120, 14):
            frame[y : y + 7, :50] = (40, 70, 150)
        view = scenery[:, 6 * t : 6 * t + 50]  # the window: scenery passing 6 px per frame
        frame[10:100, 126:176] = np.stack([view[10:100] // 2 + 90] * 3, axis=-1)
        whole, parts = _person(dx=round(2 * np.sin(t / 4)))
        for mask, colour in parts:
            frame[mask] = colour
        noise = rng.normal(0, 3, frame.shape)
        frames[t] = np.clip(frame + noise, 0, 255).astype(np.uint8)
        if t == 0:
            truth = whole
    return frames, truth


def test_closeup_subject_is_the_whole_person_not_a_part() -> None:
    frames, person = _closeup_frames(1)
    cut = closeup_subject(frames[0])
    assert cut is not None
    assert _iou(cut, person) > 0.85
    assert not cut[60, 150]  # not the window
    assert not cut[60, 20]  # not the seat


def test_subject_cues_propose_the_whole_person_through_a_moving_window() -> None:
    # without the close-up source the candidates are the moving window and the person's parts
    frames, person = _closeup_frames()
    opts = ProposalOptions()
    lab = np.asarray(cv2.cvtColor(frames[0], cv2.COLOR_RGB2LAB), np.uint8)
    _, candidates = subject_cues(frames[0], lab, frames[1:], opts)
    best = max(candidates, key=lambda c: _iou(c, person))
    assert _iou(best, person) > 0.85
    assert not best[10:80, 130:176].any()  # the scenery streaming past the window is not him


def test_closeup_subjects_can_be_switched_off() -> None:
    frames, person = _closeup_frames(1)
    lab = np.asarray(cv2.cvtColor(frames[0], cv2.COLOR_RGB2LAB), np.uint8)
    _, on = subject_cues(frames[0], lab, None, ProposalOptions())
    _, off = subject_cues(frames[0], lab, None, ProposalOptions(closeup_subjects=False))
    assert any(_iou(c, person) > 0.85 for c in on)
    assert not any(_iou(c, person) > 0.85 for c in off)


def test_closeup_subject_ignores_a_small_object_and_a_floor() -> None:
    small = np.full((120, 160, 3), (70, 110, 60), np.uint8)
    small[80:110, 70:90] = (220, 40, 40)  # 3 % of the frame: not a close-up
    assert closeup_subject(small) is None
    floor = np.full((120, 160, 3), (150, 160, 200), np.uint8)
    floor[60:] = (120, 80, 40)  # a floor reaching both sides
    assert closeup_subject(floor) is None


@pytest.mark.parametrize(
    ("rows", "cols", "expected"),
    [
        ((30, 100), (30, 90), True),  # head and shoulders standing on the bottom
        ((90, 100), (10, 150), False),  # thin band: too small
        ((30, 80), (30, 90), False),  # floating: does not reach the bottom
        ((4, 100), (55, 95), True),  # hair touching the top strip over a short run
        ((4, 100), (5, 155), False),  # runs along the top strip: a wall
        ((10, 100), (4, 90), False),  # runs along the left strip
    ],
)
def test_is_closeup_cut(rows: tuple[int, int], cols: tuple[int, int], expected: bool) -> None:
    mask = np.zeros((100, 160), dtype=bool)
    mask[rows[0] : rows[1], cols[0] : cols[1]] = True
    assert is_closeup_cut(mask, (4, 4)) is expected


def test_is_closeup_cut_area_limits() -> None:
    mask = np.zeros((100, 160), dtype=bool)
    mask[10:, 20:140] = True  # 67.5 % of the frame
    assert not is_closeup_cut(mask, (4, 4))
    assert is_closeup_cut(mask, (4, 4), max_area_fraction=0.7)
