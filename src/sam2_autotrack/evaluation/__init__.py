"""DAVIS J&F of predicted mask sequences against ground truth, under a named protocol.

The two protocols of davis2017-evaluation are reproduced exactly: ``"davis-unsupervised"`` (the
default: every frame, predictions matched to ground-truth objects by the Hungarian method on
(J + F) / 2, at most 20 predictions, void pixels ignored) and ``"davis-semi-supervised"``
(frames 1 .. T-2, prediction ``k`` compared with ground-truth object ``k``). A ground-truth object
with no prediction is compared with an empty mask, every ground-truth object given is scored
(late-entering ones included; ``objects=`` selects the official frame-0 label rule or frame-0
objects only), and figures over several clips are means over all objects
([`aggregate`][sam2_autotrack.evaluation.aggregate]).

Scoring goes frame by frame: each object's masks may be an array, a
[`MaskSequence`][sam2_autotrack.masks.MaskSequence] (a run's ``mask_sequence()``) or image files,
and only one frame of each is read at a time, so a long clip is never stacked in memory.

Modules: ``metrics`` (per-frame J and F), ``frames`` (the masks as the scoring reads them, one
frame at a time), ``protocols`` (frames and objects each protocol scores,
[`EvaluationOptions`][sam2_autotrack.evaluation.EvaluationOptions]), ``matching`` (which prediction
each object is compared with), ``report`` (per-object statistics, clip reports, the multi-clip
summary), ``clip`` ([`evaluate`][sam2_autotrack.evaluation.evaluate]), ``folders`` (mask folders on
disk) and ``stacks`` (J and F over whole ``(T, H, W)`` stacks already in memory).
"""

from sam2_autotrack.evaluation.clip import evaluate
from sam2_autotrack.evaluation.folders import evaluate_dirs, load_mask_sequences, load_void_masks
from sam2_autotrack.evaluation.matching import MAX_PRED_OBJECTS
from sam2_autotrack.evaluation.metrics import boundary_f, jaccard
from sam2_autotrack.evaluation.protocols import (
    OBJECTS_MODES,
    PROTOCOLS,
    EvaluationOptions,
    ObjectsMode,
    Protocol,
)
from sam2_autotrack.evaluation.report import (
    EvaluationReport,
    EvaluationSummary,
    ObjectScore,
    aggregate,
    frame_statistics,
)

__all__ = [
    "MAX_PRED_OBJECTS",
    "OBJECTS_MODES",
    "PROTOCOLS",
    "EvaluationOptions",
    "EvaluationReport",
    "EvaluationSummary",
    "ObjectScore",
    "ObjectsMode",
    "Protocol",
    "aggregate",
    "boundary_f",
    "evaluate",
    "evaluate_dirs",
    "frame_statistics",
    "jaccard",
    "load_mask_sequences",
    "load_void_masks",
]
