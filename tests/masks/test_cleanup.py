import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from scipy import ndimage

from sam2_autotrack import ConfigError, MaskError
from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    clean_mask_sequence,
    feather_alpha,
    fill_small_holes,
    hold_to_all_frames,
    largest_component,
    remove_small_components,
)

masks_2d = hnp.arrays(
    dtype=np.bool_,
    shape=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    elements=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True),
    st.integers(0, 10),
)
def test_hold_shows_the_last_mask_at_or_before_each_frame(
    raw_indices: list[int], extra: int
) -> None:
    indices = np.array(sorted(raw_indices))
    frame_count = int(indices[-1]) + 1 + extra
    masks = np.zeros((indices.size, 2, 3), dtype=bool)
    masks[np.arange(indices.size), 0, 0] = True
    masks[:, 1, :] = (np.arange(indices.size)[:, None] % 2) == 0
    before = masks.copy()
    held = hold_to_all_frames(masks, indices, frame_count)
    assert held.shape == (frame_count, 2, 3)
    for t in range(frame_count):
        earlier = np.flatnonzero(indices <= t)
        if earlier.size == 0:
            assert not held[t].any()
        else:
            assert np.array_equal(held[t], masks[earlier[-1]])
    assert np.array_equal(masks, before)


def test_hold_rejects_bad_indices() -> None:
    masks = np.zeros((2, 2, 2), dtype=bool)
    with pytest.raises(MaskError, match="strictly increasing"):
        hold_to_all_frames(masks, [3, 1], 5)
    with pytest.raises(MaskError, match="beyond"):
        hold_to_all_frames(masks, [0, 5], 5)
    with pytest.raises(MaskError, match="shape"):
        hold_to_all_frames(masks, [0], 5)


def test_fill_holes_fills_only_small_enclosed_holes() -> None:
    masks = np.zeros((2, 20, 20), dtype=bool)
    masks[0, 2:18, 2:18] = True
    masks[0, 5, 5] = False  # 1-px hole
    masks[0, 8:12, 8:12] = False  # 16-px hole
    masks[1, :, :10] = True
    masks[1, 0:3, 3:6] = False  # notch touching the border: background, not a hole
    before = masks.copy()
    filled = clean_mask_sequence(masks, fill_holes_px=4)
    assert filled[0, 5, 5]
    assert not filled[0, 8:12, 8:12].any()
    assert not filled[1, 0:3, 3:6].any()
    assert np.array_equal(
        clean_mask_sequence(masks, fill_holes_px=16)[0, 2:18, 2:18], np.ones((16, 16), bool)
    )
    assert np.array_equal(masks, before)


def test_min_component_removes_specks_per_frame() -> None:
    masks = np.zeros((2, 10, 10), dtype=bool)
    masks[0, 1:6, 1:6] = True
    masks[1, 1:6, 1:6] = False
    masks[1, 3, 3] = True  # a speck where frame 0 has a big region: frames are independent
    masks[0, 8, 8] = masks[0, 9, 9] = True  # diagonal pair: one 8-connected 2-px region
    cleaned = clean_mask_sequence(masks, min_component_px=2)
    assert cleaned[0, 1:6, 1:6].all()
    assert cleaned[0, 8, 8]
    assert cleaned[0, 9, 9]
    assert not cleaned[1].any()
    assert not clean_mask_sequence(masks, min_component_px=3)[0, 8, 8]


def test_cleanup_model_is_frozen_and_validated() -> None:
    options = MaskCleanup(fill_holes_px=3)
    with pytest.raises(ConfigError):
        options.fill_holes_px = 4  # type: ignore[misc]
    with pytest.raises(ConfigError):
        MaskCleanup(min_component_px=-1)
    with pytest.raises(ConfigError):
        MaskCleanup(bogus=1)  # type: ignore[call-arg]
    assert MaskCleanup().is_noop
    assert not options.is_noop


@settings(max_examples=60, deadline=None)
@given(masks_2d, st.sampled_from([0.5, 1.0, 2.5, 6.0]))
def test_feathered_alpha_thresholds_back_to_the_mask(
    mask: NDArray[np.bool_], radius: float
) -> None:
    before = mask.copy()
    alpha = feather_alpha(mask, radius_px=radius)
    assert alpha.dtype == np.uint8
    assert alpha.shape == mask.shape
    assert np.array_equal(alpha >= 128, mask)
    assert np.array_equal(mask, before)


def test_feather_is_a_soft_ramp_and_zero_is_hard() -> None:
    mask = np.zeros((1, 30), dtype=bool)
    mask[0, 15:] = True
    hard = feather_alpha(mask, radius_px=0)
    assert set(np.unique(hard).tolist()) == {0, 255}
    soft = feather_alpha(mask, radius_px=4)[0].astype(int)
    assert np.all(np.diff(soft) >= 0)
    assert soft[0] == 0
    assert soft[-1] == 255
    assert 5 <= int(np.count_nonzero((soft > 0) & (soft < 255))) <= 9
    with pytest.raises(MaskError, match="per frame"):
        feather_alpha(np.zeros((2, 3, 3), bool), radius_px=1)


# -- the one hole and speck rule -------------------------------------------------------------------

H, W = 240, 320


def disc(cx: int, cy: int, r: int) -> NDArray[np.bool_]:
    canvas = np.zeros((H, W), dtype=np.uint8)
    cv2.circle(canvas, (cx, cy), r, 1, thickness=-1)
    return canvas.astype(bool)


def box(x0: int, y0: int, x1: int, y1: int) -> NDArray[np.bool_]:
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def test_fill_small_holes_keeps_large_holes_and_open_notches() -> None:
    ring = disc(160, 120, 60) & ~disc(160, 120, 30)  # a 2800 px hole
    ring[118:121, 118:121] = False  # plus a 9 px pinhole in the ring body
    filled = fill_small_holes(ring, max_hole_px=100)
    assert filled[119, 119]
    assert not filled[120, 160]
    notch = box(0, 50, 100, 150)
    notch[90:110, 0:30] = False  # open to the image edge: not a hole
    assert np.array_equal(fill_small_holes(notch, max_hole_px=10_000), notch)


def test_remove_small_components_keeps_exactly_the_large_ones() -> None:
    mask = disc(100, 100, 20) | box(250, 50, 255, 55)
    cleaned = remove_small_components(mask, min_px=26)
    assert np.array_equal(cleaned, disc(100, 100, 20))
    assert np.array_equal(remove_small_components(mask, min_px=25), mask)


@settings(max_examples=60, deadline=None)
@given(masks_2d)
def test_largest_component_is_the_biggest_8_connected_region(mask: NDArray[np.bool_]) -> None:
    before = mask.copy()
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    piece = largest_component(mask)
    assert np.array_equal(mask, before)
    if count == 0:
        assert piece is None
        return
    assert piece is not None
    sizes = np.bincount(labels.ravel())[1:]
    assert int(piece.sum()) == int(sizes.max())
    assert len(np.unique(labels[piece])) == 1  # one region, whole
    assert not (piece & ~mask).any()
    share = float(sizes.max()) / float(mask.sum())
    assert largest_component(mask, min_share=share) is not None
    assert largest_component(mask, min_share=share + 1e-6) is None


def test_holes_up_to_n_pixels_are_filled_and_specks_below_n_removed() -> None:
    mask = box(10, 10, 60, 60)
    mask[20:23, 20:23] = False  # a 9 px hole
    assert fill_small_holes(mask, max_hole_px=9)[21, 21]
    assert not fill_small_holes(mask, max_hole_px=8)[21, 21]
    assert fill_small_holes(mask)[21, 21]  # None: every hole
    speck = box(100, 100, 103, 103)  # 9 px
    assert remove_small_components(mask | speck, min_px=9)[101, 101]
    assert not remove_small_components(mask | speck, min_px=10)[101, 101]


def _reference(mask: NDArray[np.bool_], max_hole_px: int, min_px: int) -> NDArray[np.bool_]:
    """Apply the definitions the slow way with SciPy: holes, then specks."""
    labels, count = ndimage.label(~mask)  # 4-connected background regions
    out = mask.copy()
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
    for k in range(1, count + 1):
        region = labels == k
        if k not in border and region.sum() <= max_hole_px:
            out |= region
    labels, count = ndimage.label(out, structure=np.ones((3, 3)))  # 8-connected regions
    for k in range(1, count + 1):
        if (labels == k).sum() < min_px:
            out[labels == k] = False
    return out


@settings(max_examples=60, deadline=None)
@given(masks_2d, st.integers(0, 20), st.integers(0, 20))
def test_one_rule_matches_its_definition(mask: NDArray[np.bool_], hole: int, speck: int) -> None:
    filled = fill_small_holes(mask, max_hole_px=hole)
    both = remove_small_components(filled, min_px=speck)
    assert np.array_equal(both, _reference(mask, hole, speck))
    stacked = clean_mask_sequence(mask[None], fill_holes_px=hole, min_component_px=speck)
    assert np.array_equal(stacked[0], both)
