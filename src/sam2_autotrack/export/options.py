"""`ExportOptions`: which files a run writes besides its masks, and how the masks are cleaned."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationInfo, field_validator

from sam2_autotrack._options import Options
from sam2_autotrack.export.alpha import AlphaCodec, alpha_encoder
from sam2_autotrack.export.overlay import OverlayStyle
from sam2_autotrack.export.presets import DEFAULT_QUALITY, Quality, encoder_name
from sam2_autotrack.masks.cleanup import MaskCleanup

__all__ = ["ExportOptions"]


class ExportOptions(Options):
    """The exports of a run, checked when built (before any tracking).

    Every export is written under the output folder: ``alpha/union.<ext>`` (and
    ``alpha/<object_id>.<ext>`` with ``per_object``), ``overlay.mp4``, ``coco.json`` and
    ``palette/frame_00000.png``... The per-object mask PNGs (``masks/<object_id>/``) are always
    written with a run folder; they are not an export.

    Attributes
    ----------
    alpha
        True-alpha video codecs: ``"webm"`` (VP9 with alpha) and/or ``"prores"`` (ProRes 4444).
        A single string is accepted (``alpha="webm"`` is ``alpha=("webm",)``); repeats are dropped.
        An unknown codec is refused here, never after tracking.
    per_object
        Also one alpha video per object (needs ``alpha``).
    clear_hidden
        Alpha videos carry black where their alpha hides the picture (outside the box around
        the visible pixels, grown by 8 pixels): invisible, and it makes encodes faster and files
        smaller (see [`write_alpha_video`][sam2_autotrack.export.write_alpha_video]). ``False``
        keeps the source picture everywhere, for tools that ignore the alpha.
    overlay
        An H.264 preview with a colour per object (``overlay.mp4``).
    overlay_style
        How the preview draws the objects ([`OverlayStyle`][sam2_autotrack.export.OverlayStyle]).
    coco
        COCO JSON with an RLE per object per mask frame (``coco.json``).
    palette
        One indexed DAVIS-style PNG per mask frame (``palette/``).
    cleanup
        Hole filling, speck removal and edge feathering, the same for every export (the run's
        ``masks/`` PNGs stay as tracked). Nested, not flattened:
        ``cleanup=MaskCleanup(feather_px=2)`` or ``cleanup={"feather_px": 2}``.
    quality
        Encoder preset of the video exports: ``"draft"`` (realtime VP9, the fast ProRes encoder,
        ultrafast H.264), ``"good"`` (the default: realtime VP9 at a slower speed setting, within
        half a dB of ``"best"`` at several times its speed) or ``"best"`` (smallest files,
        slowest). Every setting is in one table,
        [`sam2_autotrack.export.presets.ENCODER_SETTINGS`][sam2_autotrack.export.ENCODER_SETTINGS].
    ffmpeg
        The ffmpeg executable for the video exports, or ``None`` to find one.

    Examples
    --------
    >>> options = ExportOptions(alpha="webm", overlay=True)
    >>> options.alpha, options.wants_files
    (('webm',), True)
    >>> options.encoders, options.quality
    (('libvpx-vp9', 'libx264'), 'good')
    >>> ExportOptions(alpha="prores", quality="best").encoders
    ('prores_ks',)
    >>> ExportOptions(alpha="gif")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid ExportOptions: alpha.0='gif': must be 'webm' or ...
    """

    alpha: tuple[AlphaCodec, ...] = ()
    per_object: bool = False
    clear_hidden: bool = True
    overlay: bool = False
    overlay_style: OverlayStyle = OverlayStyle()
    coco: bool = False
    palette: bool = False
    cleanup: MaskCleanup = MaskCleanup()
    quality: Quality = DEFAULT_QUALITY
    ffmpeg: Path | None = None

    @field_validator("alpha", mode="before")
    @classmethod
    def _codecs_as_tuple(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
            return tuple(dict.fromkeys(value))  # drop repeats, keep the order
        return value

    @field_validator("per_object")
    @classmethod
    def _per_object_needs_alpha(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("alpha") == ():  # absent when alpha itself is invalid
            raise ValueError(
                "writes one alpha video per object, but alpha is empty; add alpha=('webm',) "
                "(or 'prores') or drop per_object"
            )
        return value

    @property
    def wants_files(self) -> bool:
        """``True`` when at least one export is asked for."""
        return bool(self.alpha or self.overlay or self.coco or self.palette)

    @property
    def encoders(self) -> tuple[str, ...]:
        """The ffmpeg encoders these exports need (empty when no video is asked for)."""
        names = [alpha_encoder(codec, self.quality) for codec in self.alpha]
        if self.overlay:
            names.append(encoder_name("overlay", self.quality))
        return tuple(names)
