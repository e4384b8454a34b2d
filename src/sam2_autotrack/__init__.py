"""sam2_autotrack: track objects through a video with no human clicks.

Frame 0 → automatic mask proposals → selection of the real objects → interior seed clicks →
tracking through the clip, with Replicate's hosted SAM 2 or an embedded CPU engine behind one
:class:`Backend` protocol. Start with :class:`AutoTracker`::

    from sam2_autotrack import AutoTracker

    result = AutoTracker().track("input.mp4", "out/")
"""

from sam2_autotrack.backends.base import (
    Backend,
    MaskProposals,
    ObjectTracks,
    ProgressCallback,
)
from sam2_autotrack.backends.local.backend import (
    LocalBackend,
)
from sam2_autotrack.backends.local.propagation import (
    TrackerOptions,
)
from sam2_autotrack.backends.local.proposals import (
    ProposalOptions,
)
from sam2_autotrack.backends.replicate.backend import (
    ReplicateBackend,
)
from sam2_autotrack.backends.replicate.client import (
    ReplicateClient,
)
from sam2_autotrack.backends.replicate.models import (
    SAM2_IMAGE_MODEL,
    SAM2_IMAGE_VERSION,
    SAM2_VIDEO_MODEL,
    SAM2_VIDEO_VERSION,
)
from sam2_autotrack.backends.replicate.predictions import (
    PredictionResult,
)
from sam2_autotrack.backends.replicate.union_split import (
    split_union,
)
from sam2_autotrack.backends.replicate.upload import (
    PreparedVideo,
    prepare_upload,
)
from sam2_autotrack.clicks import (
    Click,
    ClickSet,
    ReplicateClickStrings,
)
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
from sam2_autotrack.evaluation import (
    EvaluationReport,
    ObjectScore,
    boundary_f,
    evaluate,
    evaluate_dirs,
    jaccard,
    load_mask_sequences,
)
from sam2_autotrack.export.alpha import (
    AlphaCodec,
    union_of,
    write_alpha_video,
)
from sam2_autotrack.export.coco import (
    write_coco_json,
)
from sam2_autotrack.export.overlay import (
    write_overlay_video,
)
from sam2_autotrack.export.palette import davis_palette
from sam2_autotrack.export.sequences import (
    write_mask_sequences,
    write_palette_pngs,
)
from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    clean_mask_sequence,
    feather_alpha,
    hold_to_all_frames,
)
from sam2_autotrack.masks.png import (
    MaskResizedWarning,
    decode_mask,
    encode_mask_png,
    write_mask_png,
)
from sam2_autotrack.masks.rle import (
    decode_rle,
    encode_rle,
)
from sam2_autotrack.progress import (
    StderrProgress,
)
from sam2_autotrack.run.batch import (
    BatchItem,
    BatchReport,
)
from sam2_autotrack.run.result import (
    TrackResult,
)
from sam2_autotrack.seeds.build import (
    clicks_from_selection,
)
from sam2_autotrack.seeds.interior import (
    Seeds,
    find_seeds,
    seed_points,
)
from sam2_autotrack.seeds.negatives import (
    negative_points,
)
from sam2_autotrack.selection.select import (
    ProposalDecision,
    Selection,
    SelectionOptions,
    fill_small_holes,
    mask_iou_matrix,
    remove_small_components,
    select_objects,
    touches_borders,
)
from sam2_autotrack.testing.clip import (
    SyntheticClip,
    SyntheticClipFiles,
)
from sam2_autotrack.testing.samples import (
    SAMPLE_VIDEOS,
    sample_video,
)
from sam2_autotrack.testing.suite import (
    SYNTHETIC_SUITE,
    make_clip,
)
from sam2_autotrack.tracker import (
    AutoTracker,
)
from sam2_autotrack.video.ffmpeg import (
    find_ffmpeg,
)
from sam2_autotrack.video.probe import (
    VideoInfo,
    count_frames,
    probe_video,
)
from sam2_autotrack.video.reader import (
    iter_frames,
    read_frame,
)

__version__ = "0.1.0"

__all__ = [
    "AlphaCodec",
    "AutoTracker",
    "AutotrackError",
    "Backend",
    "BackendError",
    "BatchItem",
    "BatchReport",
    "Click",
    "ClickError",
    "ClickSet",
    "ConfigError",
    "DownloadError",
    "EmptyVideoError",
    "EvaluationError",
    "EvaluationReport",
    "ExportError",
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
    "ObjectScore",
    "ObjectTracks",
    "OutputsExpiredError",
    "PredictionCanceledError",
    "PredictionError",
    "PredictionFailedError",
    "PredictionResult",
    "PredictionTimeoutError",
    "PreparedVideo",
    "ProgressCallback",
    "ProposalDecision",
    "ProposalOptions",
    "RateLimitError",
    "ReplicateAPIError",
    "ReplicateBackend",
    "ReplicateClickStrings",
    "ReplicateClient",
    "SAM2_IMAGE_MODEL",
    "SAM2_IMAGE_VERSION",
    "SAM2_VIDEO_MODEL",
    "SAM2_VIDEO_VERSION",
    "SAMPLE_VIDEOS",
    "SYNTHETIC_SUITE",
    "Seeds",
    "Selection",
    "SelectionError",
    "SelectionOptions",
    "StderrProgress",
    "SyntheticClip",
    "SyntheticClipError",
    "SyntheticClipFiles",
    "TrackResult",
    "TrackerOptions",
    "VideoError",
    "VideoInfo",
    "VideoNotFoundError",
    "__version__",
    "boundary_f",
    "clean_mask_sequence",
    "clicks_from_selection",
    "count_frames",
    "davis_palette",
    "decode_mask",
    "decode_rle",
    "encode_mask_png",
    "encode_rle",
    "evaluate",
    "evaluate_dirs",
    "feather_alpha",
    "fill_small_holes",
    "find_ffmpeg",
    "find_seeds",
    "hold_to_all_frames",
    "iter_frames",
    "jaccard",
    "load_mask_sequences",
    "make_clip",
    "mask_iou_matrix",
    "negative_points",
    "prepare_upload",
    "probe_video",
    "read_frame",
    "remove_small_components",
    "sample_video",
    "seed_points",
    "select_objects",
    "split_union",
    "touches_borders",
    "union_of",
    "write_alpha_video",
    "write_coco_json",
    "write_mask_png",
    "write_mask_sequences",
    "write_overlay_video",
    "write_palette_pngs",
]
