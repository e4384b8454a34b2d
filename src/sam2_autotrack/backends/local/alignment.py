"""Camera-compensated frame differencing: what differs from frame 0 once the camera is taken out.

`camera_homographies`
    The camera's homography from frame 0 to every later frame, fitted to the optical flow with
    seeded RANSAC, each offset starting from the previous one's fit so a fast pan stays within
    reach.
`aligned_difference`
    Every later frame is warped onto frame 0 with that homography, a smooth gain removes
    lighting drift, and the colour difference, damped on strong edges (where a sub-pixel misfit
    shows), is normalised by its noise level. A low quantile over the offsets keeps what
    differs at most of them: pixels of frame 0 that a moving object leaves or that move
    themselves. `motion_segments.motion_map` and `difference_segments` read it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["aligned_difference", "camera_homographies"]


def _gradient(image: NDArray[np.float32]) -> NDArray[np.float32]:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3) / 8
    g = gx * gx + gy * gy
    return np.sqrt(g.sum(axis=2) if g.ndim == 3 else g).astype(np.float32)


def _nan_quantile(stack: NDArray[np.float32], q: float) -> NDArray[np.float32]:
    ordered = np.sort(stack, axis=0)  # NaN sort last
    count = np.count_nonzero(~np.isnan(stack), axis=0)
    index = np.clip(np.floor(q * (count - 1)).astype(np.int64), 0, stack.shape[0] - 1)
    picked = np.take_along_axis(ordered, index[None], axis=0)[0]
    return np.where(count > 0, picked, 0.0).astype(np.float32)


def _gain(
    g0: NDArray[np.uint8], warped: NDArray[np.uint8], valid: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """Smooth gain (log-linear in x and y) taking ``warped``'s lighting to ``g0``'s."""
    h, w = g0.shape
    ys, xs = np.mgrid[0:h:4, 0:w:4]
    keep = valid[ys, xs]
    if keep.sum() < 10:
        return np.ones((h, w), np.float32)
    ratio = np.log(g0[ys, xs].astype(np.float64) + 8) - np.log(
        warped[ys, xs].astype(np.float64) + 8
    )
    ratio = ratio[keep]
    design = np.stack([np.ones(int(keep.sum())), xs[keep] / w - 0.5, ys[keep] / h - 0.5], 1)
    inliers = np.ones(len(ratio), bool)
    coef = np.zeros(3)
    for _ in range(3):  # robust: refit on the pixels within 3 MADs
        if inliers.sum() < 10:
            break
        coef = np.linalg.lstsq(design[inliers], ratio[inliers], rcond=None)[0]
        residual = ratio - design @ coef
        mad = 1.4826 * float(np.median(np.abs(residual[inliers]))) + 1e-3
        inliers = np.abs(residual) < 3 * mad
    gain_x = np.exp(coef[1] * (np.arange(w) / w - 0.5))
    gain_y = np.exp(coef[0] + coef[2] * (np.arange(h) / h - 0.5))
    gain: NDArray[np.float32] = (gain_y[:, None] * gain_x[None, :]).astype(np.float32)
    return gain


def camera_homographies(
    grays: list[NDArray[np.uint8]], offsets: list[int]
) -> dict[int, NDArray[np.float64]]:
    """Homography frame 0 → frame ``k`` of the camera for each offset ``k`` (see the module notes).

    DIS flow between frame 0 and frame ``k`` pre-warped with the previous offset's homography,
    RANSAC on a grid of samples. Offsets whose fit fails are left out.
    """
    h, w = grays[0].shape
    dis = cv2.DISOpticalFlow.create(cv2.DISOpticalFlow_PRESET_FAST)
    step = max(2, min(h, w) // 40)
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([gx, gy], -1).reshape(-1, 1, 2)
    out: dict[int, NDArray[np.float64]] = {}
    previous = np.eye(3)
    for k in sorted(offsets):
        mapped = cv2.perspectiveTransform(grid, previous).reshape(h, w, 2)
        pre = cv2.remap(
            grays[k],
            mapped[..., 0],
            mapped[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        none = np.zeros((h, w, 2), np.float32)
        flow = np.asarray(dis.calc(grays[0], np.asarray(pre, np.uint8), none), np.float32)
        mid = (src + flow[ys.ravel(), xs.ravel()]).reshape(-1, 1, 2).astype(np.float64)
        dst = cv2.perspectiveTransform(mid, previous).reshape(-1, 2).astype(np.float32)
        inside = (dst[:, 0] >= 0) & (dst[:, 0] <= w - 1) & (dst[:, 1] >= 0) & (dst[:, 1] <= h - 1)
        if inside.sum() < 12:
            continue
        cv2.setRNGSeed(0)
        fit, _ = cv2.findHomography(
            src[inside], dst[inside], cv2.RANSAC, 1.0, maxIters=2000, confidence=0.995
        )
        if fit is not None:
            out[k] = np.asarray(fit, np.float64)
            previous = out[k]
    return out


def aligned_difference(
    frames: NDArray[np.uint8],
    *,
    first_offset: int = 4,
    offset_step: int = 2,
    quantile: float = 0.35,
    edge_damping: float = 0.7,
) -> NDArray[np.float32]:
    """Camera-compensated difference of frame 0 to the later frames, in noise levels.

    Parameters
    ----------
    frames
        ``(T, h, w, 3)`` uint8 RGB frames of one shot, frame 0 first.
    first_offset, offset_step
        The later frames compared: ``first_offset, first_offset + offset_step, ...`` (every
        frame when the shot is shorter than ``first_offset``).
    quantile
        Quantile over the offsets of each pixel's difference.
    edge_damping
        The difference is divided by ``1 + edge_damping * gradient`` (a sub-pixel misfit of
        the camera shows on strong edges).

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` float32, 0 with fewer than two frames.
    """
    count = len(frames)
    h, w = frames.shape[1:3]
    if count < 2:
        return np.zeros((h, w), np.float32)
    grays = [np.asarray(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), np.uint8) for f in frames]
    offsets = list(range(first_offset, count, offset_step)) or list(range(1, count))
    homographies = camera_homographies(grays, offsets)
    f0 = frames[0].astype(np.float32)
    g0 = _gradient(f0)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([xs, ys], -1).reshape(-1, 1, 2)
    stack = []
    medians = []
    for k, fit in sorted(homographies.items()):
        mapped = cv2.perspectiveTransform(grid, fit).reshape(h, w, 2)
        mx, my = mapped[..., 0], mapped[..., 1]
        inside = (mx >= 1) & (mx <= w - 2) & (my >= 1) & (my <= h - 2)
        warped = cv2.remap(frames[k], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        gain = _gain(grays[0], np.asarray(cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)), inside)
        warped_f = warped.astype(np.float32) * gain[..., None]
        damping = 1.0 + edge_damping * np.minimum(g0, _gradient(warped_f))
        diff = np.linalg.norm(f0 - warped_f, axis=2) / damping
        if inside.any():
            medians.append(float(np.median(diff[inside])))
        diff[~inside] = np.nan
        stack.append(diff.astype(np.float32))
    if not stack:
        return np.zeros((h, w), np.float32)
    sigma = 1.4826 * float(np.median(medians)) + 0.5 if medians else 1.0
    return _nan_quantile((np.stack(stack) / sigma).astype(np.float32), quantile)
