"""The one place where images and masks handed to the library are checked.

Every public function that takes an RGB frame, one mask or a stack of masks validates it here, so
the messages (expected versus actual shape, and how to fix it) are the same everywhere. The
functions never modify their input; they return it unchanged when it already has the right type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError, MaskSizeError

__all__ = ["as_mask", "as_mask_stack", "as_rgb_frames", "as_rgb_image", "checked_mask_stacks"]


def as_rgb_image(
    image: Any, *, name: str = "image_rgb", expected_wh: tuple[int, int] | None = None
) -> NDArray[np.uint8]:
    """Return ``image`` as an ``(H, W, 3)`` uint8 RGB array, or raise MaskError saying why.

    Parameters
    ----------
    image
        Array-like of shape ``(H, W, 3)`` and dtype uint8 (RGB order, as decoded by the library).
    name
        How the argument is called in error messages.
    expected_wh
        ``(width, height)`` the image must have (a [`MaskSizeError`][sam2_autotrack.MaskSizeError]
        otherwise), e.g. the size of the masks it goes with.

    Returns
    -------
    numpy.ndarray
        The image itself (no copy) when it is already a uint8 array.

    Raises
    ------
    MaskError
        Wrong number of dimensions or channels, or a dtype other than uint8.
    MaskSizeError
        The image is not ``expected_wh``.

    Examples
    --------
    >>> as_rgb_image(np.zeros((4, 6, 3), np.uint8)).shape
    (4, 6, 3)
    >>> as_rgb_image(np.zeros((4, 6), np.uint8))
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.MaskError: image_rgb must have shape (H, W, 3); got (4, 6) ...
    """
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3:
        raise MaskError(
            f"{name} must have shape (H, W, 3); got {array.shape} (pass an RGB frame, e.g. "
            "AutoTracker.first_frame(video) or sam2_autotrack.read_frame(video, 0))"
        )
    if array.dtype != np.uint8:
        raise MaskError(
            f"{name} must be uint8; got {array.dtype} (scale to 0..255 and cast with "
            "np.asarray(image, dtype=np.uint8))"
        )
    if expected_wh is not None and (array.shape[1], array.shape[0]) != tuple(expected_wh):
        raise MaskSizeError(
            f"{name} is {array.shape[1]}x{array.shape[0]} but {expected_wh[0]}x{expected_wh[1]} "
            "was expected; pass the frame the masks were computed on",
            expected_wh=(int(expected_wh[0]), int(expected_wh[1])),
            actual_wh=(int(array.shape[1]), int(array.shape[0])),
        )
    return array


def as_rgb_frames(frames: Any, *, name: str = "frames") -> NDArray[np.uint8]:
    """Return ``frames`` as a ``(T, H, W, 3)`` uint8 RGB array, or raise MaskError.

    Parameters
    ----------
    frames
        Array-like of ``(T, H, W, 3)`` uint8 RGB frames.
    name
        How the argument is called in error messages.

    Returns
    -------
    numpy.ndarray
        The frames (the input itself when it already is such an array; never modified).

    Raises
    ------
    MaskError
        Not a 4-D uint8 array with 3 channels.

    Examples
    --------
    >>> as_rgb_frames(np.zeros((2, 4, 6, 3), np.uint8)).shape
    (2, 4, 6, 3)
    """
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[3] != 3 or array.dtype != np.uint8:
        raise MaskError(
            f"{name} must be a (T, H, W, 3) uint8 RGB array; got shape {array.shape} and dtype "
            f"{array.dtype} (stack frames with np.stack and cast with np.asarray(..., np.uint8))"
        )
    return array


def as_mask(mask: Any, *, name: str = "mask", strict: bool = False) -> NDArray[np.bool_]:
    """Return one ``(H, W)`` mask as bool, or raise MaskError naming the shape.

    Parameters
    ----------
    mask
        Array-like of shape ``(H, W)``. Non-bool values are tested for non-zero, unless
        ``strict``.
    name
        How the argument is called in error messages.
    strict
        Accept only bool or 0/1 values (for masks read from files, where any other value means
        the file is not a mask).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool (the input itself when it already is one).

    Raises
    ------
    MaskError
        Not one non-empty 2-D array, or (``strict``) values other than 0 and 1.

    Examples
    --------
    >>> as_mask(np.eye(2, dtype=np.uint8)).dtype
    dtype('bool')
    >>> as_mask(np.zeros((1, 2, 2)))
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.MaskError: mask must be one non-empty 2-D (H, W) array; got shape ...
    """
    array = np.asarray(mask)
    if array.ndim != 2 or array.size == 0:
        raise MaskError(
            f"{name} must be one non-empty 2-D (H, W) array; got shape {array.shape} (select "
            "one mask of an (N, H, W) stack with masks[i])"
        )
    if array.dtype == np.bool_:
        return array
    if strict and not (np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all()):
        raise MaskError(
            f"{name} must be boolean (or 0/1); got dtype {array.dtype} with other values; pass "
            "an explicit comparison such as `image >= 128`"
        )
    return np.asarray(array != 0)


def as_mask_stack(
    masks: Any,
    *,
    name: str = "masks",
    axes: str = "(T, H, W)",
    expected_hw: tuple[int, int] | None = None,
) -> NDArray[np.bool_]:
    """Return ``masks`` as a 3-D bool array, or raise MaskError naming the shape.

    Parameters
    ----------
    masks
        Array-like of shape ``(T, H, W)`` (or ``(N, H, W)``); non-bool values are tested for
        non-zero.
    name
        How the argument is called in error messages.
    axes
        How the expected shape is written in error messages (``"(N, H, W)"`` for proposals).
    expected_hw
        ``(height, width)`` every mask must have (a MaskSizeError otherwise).

    Returns
    -------
    numpy.ndarray
        ``(T, H, W)`` bool (the input itself when it already is one; never modified).

    Raises
    ------
    MaskError
        ``masks`` is not 3-D.
    MaskSizeError
        The masks are not of ``expected_hw``.

    Examples
    --------
    >>> as_mask_stack(np.zeros((2, 3, 4), dtype=np.uint8)).dtype
    dtype('bool')
    """
    array = np.asarray(masks)
    if array.ndim != 3:
        raise MaskError(
            f"{name} must have shape {axes}; got shape {array.shape} — stack single masks with "
            "np.stack or add an axis with mask[None]"
        )
    if expected_hw is not None and array.shape[1:] != tuple(expected_hw):
        height, width = expected_hw
        raise MaskSizeError(
            f"{name} are {array.shape[2]}x{array.shape[1]} but the image is {width}x{height}; "
            "masks must be in the image's own pixel space",
            expected_wh=(int(width), int(height)),
            actual_wh=(int(array.shape[2]), int(array.shape[1])),
        )
    return array if array.dtype == np.bool_ else array != 0


def checked_mask_stacks(masks: Mapping[str, Any]) -> dict[str, NDArray[np.bool_]]:
    """Validate ``{object_id: (T, H, W)}`` masks: non-empty, every stack 3-D and the same shape.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W)}`` masks (non-bool values are tested for non-zero).

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{str(object_id): (T, H, W) bool}``, in the input's order.

    Raises
    ------
    MaskError
        No objects, a stack that is not 3-D, or stacks of different shapes.

    Examples
    --------
    >>> sorted(checked_mask_stacks({"a": np.zeros((1, 2, 2)), "b": np.ones((1, 2, 2))}))
    ['a', 'b']
    """
    if not masks:
        raise MaskError("masks is empty; pass {object_id: (T, H, W) bool array} with one object")
    stacks = {str(oid): as_mask_stack(m, name=f"masks[{oid!r}]") for oid, m in masks.items()}
    shapes = {s.shape for s in stacks.values()}
    if len(shapes) != 1:
        raise MaskError(
            f"every object's masks must have the same (T, H, W) shape; got {sorted(shapes)}"
        )
    return stacks
