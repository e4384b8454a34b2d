"""The picture every viz helper returns: an RGB array Jupyter shows and ``save`` writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.errors import ExportError
from sam2_autotrack.masks.validate import as_rgb_image

__all__ = ["Figure"]

_WRITE_FORMATS = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".webp": ".webp"}


class Figure:
    r"""A rendered picture: an RGB array that Jupyter shows and `save` writes.

    Parameters
    ----------
    image
        ``(H, W, 3)`` uint8 RGB pixels (copied; the figure never aliases caller arrays).
    title
        A short description, used by ``repr``.
    text
        The text lines drawn in the picture's legend (handy for tests and alt text).

    Examples
    --------
    >>> import numpy as np
    >>> fig = Figure(np.zeros((4, 6, 3), np.uint8), title="black")
    >>> fig.image.shape, fig.to_png()[:4]
    ((4, 6, 3), b'\x89PNG')
    """

    def __init__(
        self, image: NDArray[np.uint8], *, title: str = "", text: Sequence[str] = ()
    ) -> None:
        self.image: NDArray[np.uint8] = as_rgb_image(image, name="a figure's image").copy()
        self.title = title
        self.text: tuple[str, ...] = tuple(text)

    def __repr__(self) -> str:
        height, width = self.image.shape[:2]
        return f"Figure({self.title!r}, {width}x{height})"

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the picture."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))

    def to_png(self) -> bytes:
        """Return the picture encoded as PNG bytes.

        Returns
        -------
        bytes
            The PNG file's contents.
        """
        return _encode(self.image, ".png")

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``path`` (``.png``, ``.jpg`` or ``.webp``) atomically.

        Parameters
        ----------
        path
            The destination; its extension chooses the format (its folder is created).

        Returns
        -------
        Path
            The written file.

        Raises
        ------
        ExportError
            The extension is not one of ``.png``, ``.jpg``, ``.jpeg``, ``.webp``.
        """
        path = Path(path)
        extension = _WRITE_FORMATS.get(path.suffix.lower())
        if extension is None:
            raise ExportError(
                f"cannot save a figure as {path.suffix or 'a file without extension'!r}; "
                f"use one of {', '.join(sorted(_WRITE_FORMATS))}"
            )
        data = _encode(self.image, extension)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        return path


def _encode(image_rgb: NDArray[np.uint8], extension: str) -> bytes:
    ok, buffer = cv2.imencode(extension, cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV always encodes these formats
        raise ExportError(f"OpenCV could not encode the figure as {extension}; try '.png'")
    return bytes(buffer.tobytes())
