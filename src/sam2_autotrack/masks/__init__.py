"""Masks as arrays and files: validation, cleanup, track health, and the PNG and RLE codecs.

- ``validate``: THE check of frames, masks and mask stacks handed to the library
  ([`as_rgb_image`][sam2_autotrack.masks.as_rgb_image], [`as_mask`][sam2_autotrack.masks.as_mask],
  [`as_mask_stack`][sam2_autotrack.masks.as_mask_stack]), one message style everywhere.
- ``cleanup``: THE hole and speck rules
  ([`fill_small_holes`][sam2_autotrack.masks.fill_small_holes]: 4-connected background regions not
  touching the frame border, up to N px;
  [`remove_small_components`][sam2_autotrack.masks.remove_small_components]: 8-connected regions
  below N px; [`largest_component`][sam2_autotrack.masks.largest_component]: the largest
  8-connected region), used by the exports, the selection and the embedded engine;
  [`MaskCleanup`][sam2_autotrack.MaskCleanup] applies them the same way to every export; holding
  masks of a frame interval over every source frame.
- ``series``: per-object series measured frame by frame
  ([`TrackMeter`][sam2_autotrack.masks.TrackMeter]) and the events of an area curve
  ([`area_jumps`][sam2_autotrack.masks.area_jumps],
  [`area_drifts`][sam2_autotrack.masks.area_drifts]).
- ``health``: [`track_health`][sam2_autotrack.masks.track_health], the stretches of a track not to
  trust (lost, drift, leak, jump).
- ``health_meter``: every object's track health measured frame by frame
  ([`HealthMeter`][sam2_autotrack.masks.HealthMeter],
  [`measure_health`][sam2_autotrack.masks.measure_health]) and its JSON record
  (`health_to_json`, `health_from_json`).
- ``png``: decoding any mask image ([`decode_mask`][sam2_autotrack.masks.decode_mask]) and writing
  white-on-black PNGs.
- ``rle``: pycocotools-compatible compressed RLE.
- ``store``: [`MaskSequence`][sam2_autotrack.masks.MaskSequence], one object's masks through a
  video, each frame compressed (a few kilobytes), so tracks of long videos fit in memory.
- ``store_file``: the mask index file (``.msq``) a run folder keeps beside its PNGs —
  [`write_mask_file`][sam2_autotrack.masks.write_mask_file], and
  [`open_mask_file`][sam2_autotrack.masks.open_mask_file], a sequence that reads frames on demand.
- ``union``: [`UnionSequence`][sam2_autotrack.masks.UnionSequence], the union of several objects'
  masks, computed per frame.
"""

from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    clean_mask_sequence,
    feather_alpha,
    fill_small_holes,
    hold_indices,
    hold_to_all_frames,
    largest_component,
    remove_small_components,
)
from sam2_autotrack.masks.health import (
    HealthIssue,
    HealthOptions,
    TrackHealth,
    judge_track,
    track_health,
)
from sam2_autotrack.masks.health_meter import (
    HealthMeter,
    health_from_json,
    health_to_json,
    judge_tracks,
    measure_health,
)
from sam2_autotrack.masks.png import (
    MaskResizedWarning,
    decode_mask,
    encode_mask_png,
    write_mask_png,
)
from sam2_autotrack.masks.rle import decode_rle, encode_rle
from sam2_autotrack.masks.series import (
    AreaDrift,
    TrackMeter,
    TrackSeries,
    area_drifts,
    area_jumps,
)
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.store_file import MASK_FILE_SUFFIX, open_mask_file, write_mask_file
from sam2_autotrack.masks.union import UnionSequence
from sam2_autotrack.masks.validate import (
    as_mask,
    as_mask_stack,
    as_rgb_frames,
    as_rgb_image,
    checked_mask_stacks,
)

__all__ = [
    "AreaDrift",
    "HealthIssue",
    "HealthMeter",
    "HealthOptions",
    "MASK_FILE_SUFFIX",
    "MaskCleanup",
    "MaskResizedWarning",
    "MaskSequence",
    "TrackHealth",
    "TrackMeter",
    "TrackSeries",
    "UnionSequence",
    "area_drifts",
    "area_jumps",
    "as_mask",
    "as_mask_stack",
    "as_rgb_frames",
    "as_rgb_image",
    "checked_mask_stacks",
    "clean_mask_sequence",
    "decode_mask",
    "decode_rle",
    "encode_mask_png",
    "encode_rle",
    "feather_alpha",
    "fill_small_holes",
    "health_from_json",
    "health_to_json",
    "hold_indices",
    "hold_to_all_frames",
    "judge_track",
    "judge_tracks",
    "largest_component",
    "measure_health",
    "open_mask_file",
    "remove_small_components",
    "track_health",
    "write_mask_file",
    "write_mask_png",
]
