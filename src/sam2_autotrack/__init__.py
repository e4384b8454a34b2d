"""sam2_autotrack: track objects through a video with no human clicks.

Frame 0 → automatic mask proposals → selection → interior seed clicks → video tracking, with
Replicate's hosted SAM 2 or an embedded CPU engine behind one :class:`Backend` protocol.
"""

from ._backend import Backend, MaskProposals, ObjectTracks, ProgressCallback
from ._clicks import Click, ClickSet, ReplicateClickStrings
from ._errors import (
    AutotrackError,
    BackendError,
    ClickError,
    DownloadError,
    EmptyVideoError,
    EvaluationError,
    ExportError,
    FFmpegError,
    FFmpegNotFoundError,
    MaskError,
    MaskSizeError,
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
    VideoError,
    VideoNotFoundError,
)

__version__ = "0.1.0"

__all__ = [
    "AutotrackError",
    "Backend",
    "BackendError",
    "Click",
    "ClickError",
    "ClickSet",
    "DownloadError",
    "EmptyVideoError",
    "EvaluationError",
    "ExportError",
    "FFmpegError",
    "FFmpegNotFoundError",
    "MaskError",
    "MaskProposals",
    "MaskSizeError",
    "MissingTokenError",
    "NotAVideoError",
    "ObjectTracks",
    "OutputsExpiredError",
    "PredictionCanceledError",
    "PredictionError",
    "PredictionFailedError",
    "PredictionTimeoutError",
    "ProgressCallback",
    "RateLimitError",
    "ReplicateAPIError",
    "ReplicateClickStrings",
    "SelectionError",
    "VideoError",
    "VideoNotFoundError",
    "__version__",
]
