"""Telling the tracker what to track: points, boxes, proposal numbers and text prompts.

[`Prompts`][sam2_autotrack.prompts.Prompts] says what the user wants (``AutoTracker.track(video,
prompts=...)``, or the ``--point``, ``--negative-point``, ``--box``, ``--pick`` and ``--prompt``
flags); objects from prompts replace the automatic choice.
[`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts] matches them to the mask proposals (with
a GrabCut cut-out for a box no proposal fits) into
[`PromptedObjects`][sam2_autotrack.prompts.PromptedObjects], which
[`clicks_from_prompts`][sam2_autotrack.prompts.clicks_from_prompts] seeds like selected objects.
Text prompts go through a [`Detector`][sam2_autotrack.prompts.Detector] (Grounding DINO on
Replicate: [`GroundingDinoDetector`][sam2_autotrack.backends.replicate.GroundingDinoDetector]);
[`map_label`][sam2_autotrack.prompts.map_label] maps its labels back to the query items.
[`MatchOptions`][sam2_autotrack.prompts.MatchOptions] holds the matching thresholds.
"""

from sam2_autotrack.prompts.detector import Detection, Detector
from sam2_autotrack.prompts.match import (
    box_iou,
    mask_boxes,
    point_candidates,
    rank_for_box,
    suppress_overlaps,
)
from sam2_autotrack.prompts.model import BoxPrompt, PointGroup, PointPrompt, Prompts
from sam2_autotrack.prompts.objects import MaskSource, PromptedObject, PromptedObjects, PromptKind
from sam2_autotrack.prompts.options import MatchOptions
from sam2_autotrack.prompts.parse import parse_box, parse_picks, parse_point
from sam2_autotrack.prompts.record import PROMPTS_NAME, write_prompt_stage
from sam2_autotrack.prompts.resolve import resolve_prompts
from sam2_autotrack.prompts.seeding import clicks_from_prompts
from sam2_autotrack.prompts.text import map_label, object_name, split_query, words

__all__ = [
    "PROMPTS_NAME",
    "BoxPrompt",
    "Detection",
    "Detector",
    "MaskSource",
    "MatchOptions",
    "PointGroup",
    "PointPrompt",
    "PromptKind",
    "PromptedObject",
    "PromptedObjects",
    "Prompts",
    "box_iou",
    "clicks_from_prompts",
    "map_label",
    "mask_boxes",
    "object_name",
    "parse_box",
    "parse_picks",
    "parse_point",
    "point_candidates",
    "rank_for_box",
    "resolve_prompts",
    "split_query",
    "suppress_overlaps",
    "words",
    "write_prompt_stage",
]
