"""Writing tracked masks out: true-alpha video, overlay preview, PNG sequences, COCO JSON.

Each writer takes plain data — a source video path, ``{object_id: masks}`` (a
[`MaskSequence`][sam2_autotrack.masks.MaskSequence], read one frame at a time, or a ``(T, H, W)``
bool stack) and the source-frame index of each mask frame — and writes atomically:

- [`write_alpha_video`][sam2_autotrack.export.write_alpha_video],
  [`write_alpha_videos`][sam2_autotrack.export.write_alpha_videos] (``alpha``): WebM VP9 or ProRes
  4444 with the masks as alpha.
- [`write_overlay_video`][sam2_autotrack.export.write_overlay_video] (``overlay``): H.264 preview
  drawn with an [`OverlayStyle`][sam2_autotrack.export.OverlayStyle].
- [`write_mask_sequences`][sam2_autotrack.export.write_mask_sequences],
  [`write_palette_pngs`][sam2_autotrack.export.write_palette_pngs] (``sequences``): PNG folders.
- [`write_coco_json`][sam2_autotrack.export.write_coco_json] (``coco``): COCO JSON with compressed
  RLE.

[`ExportOptions`][sam2_autotrack.ExportOptions] says which of them a run wants;
[`write_exports`][sam2_autotrack.export.write_exports] writes them all for anything shaped like a
tracking result ([`MaskedVideo`][sam2_autotrack.export.MaskedVideo]).
[`object_colors`][sam2_autotrack.export.object_colors] is the one palette every picture and video
uses. The video encoders' settings come from three quality presets (``presets``:
[`QUALITIES`][sam2_autotrack.export.QUALITIES], default
[`DEFAULT_QUALITY`][sam2_autotrack.export.DEFAULT_QUALITY], every ffmpeg setting in
[`ENCODER_SETTINGS`][sam2_autotrack.export.ENCODER_SETTINGS]); every video of one call is made in
one pass over the source with the encoders running in parallel (``encode``). This package never
imports [`sam2_autotrack.run`][sam2_autotrack.run].
"""

from sam2_autotrack.export.alpha import (
    ALPHA_CODECS,
    AlphaCodec,
    alpha_encoder,
    alpha_suffix,
    union_of,
    write_alpha_video,
    write_alpha_videos,
)
from sam2_autotrack.export.bundle import MaskedVideo, require_export_tools, write_exports
from sam2_autotrack.export.coco import write_coco_json
from sam2_autotrack.export.encode import ExportProgress
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.export.overlay import OverlayStyle, write_overlay_video
from sam2_autotrack.export.palette import davis_palette, object_colors
from sam2_autotrack.export.presets import (
    DEFAULT_QUALITY,
    ENCODER_SETTINGS,
    QUALITIES,
    Quality,
    encoder_settings,
)
from sam2_autotrack.export.sequences import write_mask_sequences, write_palette_pngs

__all__ = [
    "ALPHA_CODECS",
    "AlphaCodec",
    "DEFAULT_QUALITY",
    "ENCODER_SETTINGS",
    "ExportOptions",
    "ExportProgress",
    "MaskedVideo",
    "OverlayStyle",
    "QUALITIES",
    "Quality",
    "alpha_encoder",
    "alpha_suffix",
    "davis_palette",
    "encoder_settings",
    "object_colors",
    "require_export_tools",
    "union_of",
    "write_alpha_video",
    "write_alpha_videos",
    "write_coco_json",
    "write_exports",
    "write_mask_sequences",
    "write_overlay_video",
    "write_palette_pngs",
]
