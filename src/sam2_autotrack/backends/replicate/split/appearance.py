"""Per-object colour models: how well each object's pixels look like that object.

[`ColourModels`][sam2_autotrack.backends.replicate.split.ColourModels] keeps one smoothed RGB
histogram per object, fit on the first frame's split.
[`ColourModels.purity`][sam2_autotrack.backends.replicate.split.ColourModels.purity] asks, for every
pixel an object was given, which object's colour explains the pixel best; an object's *purity* is
the fraction of its pixels that its own model wins. A split that hands one object's pixels to
another shows up as a purity drop of the receiving object, which is one of the signals of the
``auto`` strategy's identity confidence (`windows`). Purity is measured relative to the first
frame's (two objects of similar colours never reach 1.0 there either).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_rgb_image

__all__ = ["ColourModels"]

_BINS = 16
_SMOOTH_BINS = 0.8


def _bin_index(image: NDArray[np.uint8], bins: int) -> NDArray[np.int64]:
    q = image.astype(np.int64) * bins >> 8
    index: NDArray[np.int64] = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    return index


class ColourModels:
    """One smoothed 3-D colour histogram per object (labels ``1..K`` of a label map).

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame the models are fit on.
    labels
        ``(H, W)`` integer label map of that frame: 0 background, ``k`` object ``k``.
    count
        Number of objects ``K``.
    bins
        Histogram bins per channel.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((4, 6, 3), np.uint8); image[:, 3:] = (200, 30, 30)
    >>> labels = np.zeros((4, 6), np.int32); labels[:, :3] = 1; labels[:, 3:] = 2
    >>> models = ColourModels(image, labels, 2)
    >>> models.purity(image, labels).tolist()
    [1.0, 1.0]
    >>> swapped = np.where(labels > 0, 3 - labels, 0)
    >>> models.purity(image, swapped).tolist()
    [0.0, 0.0]
    """

    def __init__(
        self,
        image_rgb: NDArray[np.uint8],
        labels: NDArray[np.integer],
        count: int,
        bins: int = _BINS,
    ) -> None:
        image = as_rgb_image(image_rgb)
        label_map = np.asarray(labels)
        if label_map.shape != image.shape[:2]:
            raise MaskError(
                f"labels have shape {label_map.shape} but the image is {image.shape[:2]}; pass "
                "the label map of this frame"
            )
        self.count = int(count)
        self.bins = int(bins)
        index = _bin_index(image, self.bins)
        size = self.bins**3
        models = np.empty((self.count, size), dtype=np.float64)
        for k in range(self.count):
            counts = np.bincount(index[label_map == k + 1], minlength=size).astype(np.float64)
            counts = gaussian_filter(
                counts.reshape(self.bins, self.bins, self.bins), sigma=_SMOOTH_BINS, mode="nearest"
            ).ravel()
            counts += 1e-3 * max(1.0, float(counts.sum())) / size
            models[k] = counts / counts.sum()
        self._models = models

    def purity(
        self, image_rgb: NDArray[np.uint8], labels: NDArray[np.integer]
    ) -> NDArray[np.float64]:
        """Return ``(K,)``: per object, the fraction of its pixels its own colour model wins.

        An object without pixels gets ``nan``.

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB frame.
        labels
            ``(H, W)`` label map of the frame (0 background, ``k`` object ``k``).

        Returns
        -------
        numpy.ndarray
            ``(K,)`` float64 purities in 0..1.

        Raises
        ------
        MaskError
            A label map of another size than the image.
        """
        image = as_rgb_image(image_rgb)
        label_map = np.asarray(labels)
        if label_map.shape != image.shape[:2]:
            raise MaskError(
                f"labels have shape {label_map.shape} but the image is {image.shape[:2]}; pass "
                "the label map of this frame"
            )
        inside = label_map > 0
        owners = label_map[inside].astype(np.int64) - 1
        index = _bin_index(image[inside], self.bins)
        best = np.argmax(self._models[:, index], axis=0)
        counts = np.bincount(owners, minlength=self.count).astype(np.float64)
        wins = np.bincount(
            owners, weights=(best == owners).astype(np.float64), minlength=self.count
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            purity: NDArray[np.float64] = np.where(counts > 0, wins / counts, np.nan)
        return purity
