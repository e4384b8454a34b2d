"""Motion relative to the camera, measured with dense optical flow (DIS) from frame 0.

`camera_residual_flow`
    The flow from frame 0 to one later frame minus a similarity fit of the camera motion: a
    per-pixel residual *vector*, used by the superpixel merge and the candidates' motion
    contrast.
[`residual_motion`][sam2_autotrack.backends.local.residual_motion]
    The flow from frame 0 to several later frames minus a homography fit of the camera motion,
    normalised by the noise of each fit: a per-pixel *motion evidence* (how many noise levels a
    pixel moves unlike the camera,
    [`MotionEvidence`][sam2_autotrack.backends.local.MotionEvidence]). Small offsets catch fast
    movers before the flow loses them, large ones catch slow movers.

`fit_affine_motion`
    A least-squares affine model of one region's flow (the tracker's leak control, the
    proposals' test of whether a part moves with the rest of its blob).

Everything is deterministic (seeded RANSAC).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MotionEvidence",
    "affine_motion_at",
    "camera_residual_flow",
    "fit_affine_motion",
    "residual_motion",
]


def camera_residual_flow(
    first: NDArray[np.uint8], later: NDArray[np.uint8]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Return per-pixel flow ``first → later`` minus the camera motion, and where it is trusted.

    DIS optical flow forward and backward; a pixel is trusted where the two agree (it is not
    occluded in ``later``) and lands inside the frame. The camera motion is a similarity
    (rotation, scale, translation) fitted with seeded RANSAC to a grid of trusted samples.

    Parameters
    ----------
    first, later
        ``(h, w, 3)`` uint8 RGB frames of the same size.

    Returns
    -------
    tuple
        ``(residual, valid)``: ``(h, w, 2)`` float32 flow minus the camera's, in pixels, and
        ``(h, w)`` bool trusted pixels.
    """
    g0 = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    g1 = cv2.cvtColor(later, cv2.COLOR_RGB2GRAY)
    dis = cv2.DISOpticalFlow.create(cv2.DISOpticalFlow_PRESET_MEDIUM)
    fwd = np.asarray(dis.calc(g0, g1, np.zeros((*g0.shape, 2), np.float32)), np.float32)
    bwd = np.asarray(dis.calc(g1, g0, np.zeros((*g0.shape, 2), np.float32)), np.float32)
    h, w = g0.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = xs + fwd[..., 0]
    map_y = ys + fwd[..., 1]
    back = cv2.remap(bwd, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = np.hypot(fwd[..., 0] + back[..., 0], fwd[..., 1] + back[..., 1])
    speed = np.hypot(fwd[..., 0], fwd[..., 1])
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    valid = inside & (err < 0.75 + 0.1 * speed)
    step = max(2, min(h, w) // 60)
    grid = np.zeros_like(valid)
    grid[::step, ::step] = True
    sample = valid & grid
    src = np.stack([xs[sample], ys[sample]], axis=1)
    dst = src + fwd[sample]
    residual = fwd.copy()
    if len(src) >= 6:
        cv2.setRNGSeed(0)
        model, _ = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0, maxIters=2000, confidence=0.995
        )
        if model is not None:
            pred_x = model[0, 0] * xs + model[0, 1] * ys + model[0, 2] - xs
            pred_y = model[1, 0] * xs + model[1, 1] * ys + model[1, 2] - ys
            residual[..., 0] -= pred_x.astype(np.float32)
            residual[..., 1] -= pred_y.astype(np.float32)
    return residual, valid


@dataclass(frozen=True)
class MotionEvidence:
    """Per-pixel motion relative to the camera, at a working resolution.

    Attributes
    ----------
    evidence
        ``(h, w)`` float32: how many noise levels each frame-0 pixel moves unlike the camera
        (the second largest of the offsets' trusted measurements, half the only one when a
        single offset was trusted, 0 when none was).
    speed
        ``(h, w)`` float32: the residual displacement (working pixels) at the offset where the
        evidence is highest.
    offsets
        The frame offsets that were measured.
    """

    evidence: NDArray[np.float32]
    speed: NDArray[np.float32]
    offsets: tuple[int, ...]


def _camera_fit(
    flow: NDArray[np.float32], valid: NDArray[np.bool_], step: int
) -> NDArray[np.float64] | None:
    """Homography of the dominant (camera) motion from a grid of trusted flow samples."""
    h, w = valid.shape
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    keep = valid[ys, xs]
    if np.count_nonzero(keep) < 12:
        return None
    src = np.stack([xs[keep], ys[keep]], axis=1).astype(np.float32)
    dst = src + flow[ys[keep], xs[keep]]
    cv2.setRNGSeed(0)
    model, _ = cv2.findHomography(src, dst, cv2.RANSAC, 1.0, maxIters=2000, confidence=0.995)
    if model is None:
        return None
    return np.asarray(model, dtype=np.float64)


def residual_motion(
    frames: NDArray[np.uint8],
    *,
    offsets: tuple[int, ...] = (1, 2, 4, 8, 16, 24),
    work_max_side: int = 320,
    min_noise: float = 0.5,
) -> MotionEvidence | None:
    """Motion of every frame-0 pixel relative to the camera (see the module docstring).

    Parameters
    ----------
    frames
        ``(T, H, W, 3)`` uint8 RGB frames of one shot, frame 0 first (cut them with
        [`first_cut`][sam2_autotrack.video.first_cut]).
    offsets
        Frame offsets ``k`` at which the flow ``0 → k`` is measured (those ``< T`` are used).
    work_max_side
        Longest side of the working resolution.
    min_noise
        Floor (working pixels) of the noise level that normalises the residual of each offset.

    Returns
    -------
    MotionEvidence or None
        ``None`` when fewer than two frames are given.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = cv2.GaussianBlur((rng.random((60, 80)) * 255).astype(np.uint8), (5, 5), 0)
    >>> patch = cv2.GaussianBlur((rng.random((20, 20)) * 255).astype(np.uint8), (3, 3), 0)
    >>> frames = np.stack([base] * 6)
    >>> for k in range(6):                     # a textured patch moving 2 px per frame
    ...     frames[k, 20:40, 20 + 2 * k:40 + 2 * k] = patch
    >>> motion = residual_motion(np.repeat(frames[..., None], 3, axis=3))
    >>> bool(motion.evidence[30, 30] > 2), bool(motion.evidence[5, 70] < 1)
    (True, True)
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) < 2:
        return None
    height, width = frames.shape[1:3]
    scale = min(1.0, work_max_side / max(height, width))
    wh = (max(8, round(width * scale)), max(8, round(height * scale)))

    def gray(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        small = cv2.resize(frame, wh, interpolation=cv2.INTER_AREA) if scale < 1 else frame
        return np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), dtype=np.uint8)

    g0 = gray(frames[0])
    h, w = g0.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([xs, ys], axis=-1)
    dis = cv2.DISOpticalFlow.create(cv2.DISOpticalFlow_PRESET_MEDIUM)
    per_offset: list[tuple[int, NDArray[np.float32], NDArray[np.float32]]] = []
    step = max(2, min(h, w) // 40)
    for k in offsets:
        if k >= len(frames):
            break
        gk = gray(frames[k])
        fwd = np.asarray(dis.calc(g0, gk, np.zeros((h, w, 2), np.float32)), np.float32)
        bwd = np.asarray(dis.calc(gk, g0, np.zeros((h, w, 2), np.float32)), np.float32)
        map_x = xs + fwd[..., 0]
        map_y = ys + fwd[..., 1]
        back = cv2.remap(bwd, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        err = np.hypot(fwd[..., 0] + back[..., 0], fwd[..., 1] + back[..., 1])
        mag = np.hypot(fwd[..., 0], fwd[..., 1])
        inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
        valid = inside & (err < 0.75 + 0.1 * mag)
        model = _camera_fit(fwd, valid, step)
        if model is None:
            continue
        camera = cv2.perspectiveTransform(grid.reshape(-1, 1, 2), model).reshape(h, w, 2) - grid
        residual = np.hypot(fwd[..., 0] - camera[..., 0], fwd[..., 1] - camera[..., 1])
        trusted = residual[valid]
        # noise of the fit: the median residual of the trusted pixels (most are background)
        noise = max(min_noise, 1.4826 * float(np.median(trusted)) if len(trusted) else min_noise)
        ev = np.where(valid, residual / noise, np.nan).astype(np.float32)
        per_offset.append((k, ev, residual.astype(np.float32)))
    if not per_offset:
        return None
    # One offset alone can be fooled (a flow failure that passes the check), and a mover's flow
    # fails the check at some offsets (then it says nothing, it does not say "static"): the
    # evidence is the second largest of the trusted measurements (half the only one when there
    # is a single one).
    stack = np.stack([ev for _, ev, _ in per_offset])
    residuals = np.stack([res for _, _, res in per_offset])
    filled = np.where(np.isnan(stack), -1.0, stack)
    order = np.argsort(-filled, axis=0)
    trusted_count = np.count_nonzero(~np.isnan(stack), axis=0)
    second = np.take_along_axis(filled, order[1:2], axis=0)[0] if len(stack) > 1 else filled[0]
    first_best = np.take_along_axis(filled, order[:1], axis=0)[0]
    evidence = np.where(trusted_count >= 2, second, 0.5 * np.maximum(first_best, 0.0))
    evidence = np.maximum(evidence, 0.0).astype(np.float32)
    pick = order[1:2] if len(stack) > 1 else order[:1]
    speed = np.take_along_axis(residuals, pick, axis=0)[0].astype(np.float32)
    used = [k for k, _, _ in per_offset]
    return MotionEvidence(evidence=evidence, speed=speed, offsets=tuple(used))


def fit_affine_motion(
    xs: NDArray[np.intp],
    ys: NDArray[np.intp],
    flow: NDArray[np.float32],
    tolerance: float | None = None,
) -> NDArray[np.float64]:
    """Least-squares affine model ``flow ≈ [x, y, 1] @ model`` of a region's motion, ``(3, 2)``.

    Fit on at most 4000 of the region's pixels (``xs``, ``ys``); with a ``tolerance``, refit
    without the pixels that deviate by more than ``2 × tolerance`` (a few leaked or badly-flowed
    pixels must not bend the model).

    Examples
    --------
    >>> import numpy as np
    >>> ys, xs = np.nonzero(np.ones((10, 10), bool))
    >>> flow = np.zeros((10, 10, 2), np.float32); flow[..., 0] = 3.0
    >>> np.round(fit_affine_motion(xs, ys, flow)[2], 3).tolist()
    [3.0, 0.0]
    """
    step = max(1, len(xs) // 4000)
    px, py = xs[::step], ys[::step]
    design = _design(px, py)
    target = flow[py, px].astype(np.float64)
    model = np.asarray(np.linalg.lstsq(design, target, rcond=None)[0], dtype=np.float64)
    if tolerance is None:
        return model
    residual = np.hypot(*(design @ model - target).T)
    inliers = residual <= 2.0 * tolerance
    if 10 <= np.count_nonzero(inliers) < len(px):
        model = np.asarray(
            np.linalg.lstsq(design[inliers], target[inliers], rcond=None)[0], dtype=np.float64
        )
    return model


def affine_motion_at(
    model: NDArray[np.float64], xs: NDArray[np.intp], ys: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Return the ``(n, 2)`` motion an affine ``model`` (`fit_affine_motion`) gives pixels.

    Examples
    --------
    >>> import numpy as np
    >>> model = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, -1.0]])   # a shift by (3, -1)
    >>> affine_motion_at(model, np.array([0, 5]), np.array([2, 7])).tolist()
    [[3.0, -1.0], [3.0, -1.0]]
    """
    motion: NDArray[np.float64] = _design(xs, ys) @ model
    return motion


def _design(xs: NDArray[np.intp], ys: NDArray[np.intp]) -> NDArray[np.float64]:
    """Rows ``[x, y, 1]`` of the affine motion model."""
    return np.stack([xs, ys, np.ones(len(xs))], axis=1).astype(np.float64)
