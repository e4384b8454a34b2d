"""Per-pixel features of the working image that the proposal generator measures regions with.

`texture_features` (Lab means and spreads over a window, so a striped object reads as one
texture), `edge_strength` (their gradient magnitude: high on outlines, low inside
textures) and `colour_bins` (a coarse Lab colour per pixel, for the colour-repeat term).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.options import ProposalOptions

__all__ = [
    "MIN_EDGE_REF",
    "REPEAT_BIN_COUNT",
    "colour_bins",
    "edge_strength",
    "texture_features",
]

MIN_EDGE_REF = 20.0
"""Floor of the reference edge strength (Sobel of Lab), for flat images."""

REPEAT_BIN_COUNT = 10 * 16 * 16
"""Number of coarse colour bins of `colour_bins` (10 lightness × 16 × 16 chroma)."""


def colour_bins(lab_image: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Coarse colour bin of every pixel of an 8-bit Lab image (L by 10 %, a and b by 8)."""
    lab = lab_image.astype(np.int64)
    q_l = np.clip(lab[..., 0] * 10 // 256, 0, 9)
    q_a = np.clip((lab[..., 1] - 64) // 8, 0, 15)
    q_b = np.clip((lab[..., 2] - 64) // 8, 0, 15)
    bins: NDArray[np.int64] = (q_l * 16 + q_a) * 16 + q_b
    return bins


def texture_features(lab_image: NDArray[np.uint8], opts: ProposalOptions) -> NDArray[np.float32]:
    """Per-pixel Lab means and standard deviations over a window: texture-smoothed colour."""
    lab = lab_image.astype(np.float32)
    size = max(3, round(opts.texture_window * max(lab_image.shape[:2])) | 1)
    mean = cv2.blur(lab, (size, size))
    sq = cv2.blur(lab * lab, (size, size))
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    return np.concatenate([mean, opts.texture_weight * std], axis=2)


def edge_strength(features: NDArray[np.float32]) -> NDArray[np.float32]:
    """Gradient magnitude of the texture features (high on object outlines, low in textures)."""
    grad = np.zeros(features.shape[:2], np.float32)
    for c in range(features.shape[2]):
        gx = cv2.Sobel(features[..., c], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(features[..., c], cv2.CV_32F, 0, 1, ksize=3)
        grad += gx * gx + gy * gy
    return np.sqrt(grad)
