"""sam2_autotrack: track objects through a video with no human clicks.

Frame 0 → automatic mask proposals → selection of the real objects → interior seed clicks →
tracking through the clip, with Replicate's hosted SAM 2 or an embedded CPU engine behind one
[Backend][sam2_autotrack.Backend] protocol. Start with [AutoTracker][sam2_autotrack.AutoTracker]::

    from sam2_autotrack import AutoTracker

    with AutoTracker() as tracker:
        result = tracker.track("input.mp4", "out/")

The top level holds what a user of the pipeline needs: the facade, its results, its options, the
click models and the error tree. Each concern has its own public subpackage for the rest:
``backends`` (and ``backends.local``, ``backends.replicate``), ``video``, ``masks``,
``selection``, ``seeds``, ``export``, ``run``, ``evaluation`` (DAVIS J&F), ``viz`` (pictures)
and ``testing`` (synthetic clips with ground truth, bundled sample videos).
"""

from sam2_autotrack.backends.base import Backend, MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.replicate.backend import ReplicateBackend
from sam2_autotrack.clicks import Click, ClickSet, ReplicateClickStrings
from sam2_autotrack.errors import (
    AutotrackError,
    BackendError,
    ClickError,
    ConfigError,
    DownloadError,
    EmptyVideoError,
    EvaluationError,
    ExportError,
    FFmpegError,
    FFmpegNotFoundError,
    MaskError,
    MaskSizeError,
    MissingDependencyError,
    MissingTokenError,
    NotAVideoError,
    OutputsExpiredError,
    PredictionCanceledError,
    PredictionError,
    PredictionFailedError,
    PredictionTimeoutError,
    RateLimitError,
    ReplicateAPIError,
    SelectionError,
    SyntheticClipError,
    VideoError,
    VideoNotFoundError,
)
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.masks.cleanup import MaskCleanup
from sam2_autotrack.masks.png import MaskResizedWarning
from sam2_autotrack.progress import StderrProgress
from sam2_autotrack.run.batch import BatchReport
from sam2_autotrack.run.exports import export_run
from sam2_autotrack.run.folder import load_run
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.decisions import ProposalDecision, Selection
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.tracker import AutoTracker
from sam2_autotrack.video.probe import VideoInfo, probe_video
from sam2_autotrack.video.reader import read_frame

__version__ = "0.2.0"

__all__ = [
    "AutoTracker",
    "AutotrackError",
    "Backend",
    "BackendError",
    "BatchReport",
    "Click",
    "ClickError",
    "ClickSet",
    "ConfigError",
    "DownloadError",
    "EmptyVideoError",
    "EvaluationError",
    "ExportError",
    "ExportOptions",
    "FFmpegError",
    "FFmpegNotFoundError",
    "LocalBackend",
    "MaskCleanup",
    "MaskError",
    "MaskProposals",
    "MaskResizedWarning",
    "MaskSizeError",
    "MissingDependencyError",
    "MissingTokenError",
    "NotAVideoError",
    "ObjectTracks",
    "OutputsExpiredError",
    "PredictionCanceledError",
    "PredictionError",
    "PredictionFailedError",
    "PredictionTimeoutError",
    "ProgressCallback",
    "ProposalDecision",
    "RateLimitError",
    "ReplicateAPIError",
    "ReplicateBackend",
    "ReplicateClickStrings",
    "SeedOptions",
    "Selection",
    "SelectionError",
    "SelectionOptions",
    "StderrProgress",
    "SyntheticClipError",
    "TrackResult",
    "VideoError",
    "VideoInfo",
    "VideoNotFoundError",
    "__version__",
    "export_run",
    "load_run",
    "probe_video",
    "read_frame",
]
