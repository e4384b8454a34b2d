"""The exception tree of sam2_autotrack.

Every error the library raises on purpose derives from
[`AutotrackError`][sam2_autotrack.AutotrackError], so a batch runner can catch one class. Each
message names the problem *and* the fix; the attributes carry the context (paths, prediction ids,
shapes) for programs.

::

    AutotrackError
    ├── ConfigError (also ValueError)          an option or setting is invalid
    ├── ClickError (also ValueError)           malformed click strings / click sets
    ├── VideoError                              video files
    │   ├── VideoNotFoundError (also FileNotFoundError)
    │   ├── NotAVideoError
    │   └── EmptyVideoError
    ├── MaskError (also ValueError)             mask images and arrays
    │   └── MaskSizeError
    ├── SelectionError                          nothing usable to track
    ├── BackendError                            a tracking backend failed
    │   ├── MissingTokenError                   no Replicate token
    │   ├── ReplicateAPIError                   HTTP-level failure talking to Replicate
    │   │   └── RateLimitError                  429s beyond the retry budget
    │   ├── PredictionError                     a prediction ended without output
    │   │   ├── PredictionFailedError
    │   │   ├── PredictionCanceledError
    │   │   ├── PredictionTimeoutError
    │   │   └── OutputsExpiredError             Replicate deleted the outputs (``data_removed``)
    │   └── DownloadError
    ├── FFmpegError                             ffmpeg missing or an encode failed
    │   └── FFmpegNotFoundError
    ├── ExportError                             writing results
    ├── MissingDependencyError (also ImportError) an optional extra is not installed
    ├── EvaluationError (also ValueError)       ground truth / prediction mismatch
    └── SyntheticClipError (also ValueError)    unknown synthetic clip / bad clip arrays
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AutotrackError",
    "BackendError",
    "ClickError",
    "ConfigError",
    "DownloadError",
    "EmptyVideoError",
    "EvaluationError",
    "ExportError",
    "FFmpegError",
    "FFmpegNotFoundError",
    "MaskError",
    "MaskSizeError",
    "MissingDependencyError",
    "MissingTokenError",
    "NotAVideoError",
    "OutputsExpiredError",
    "PredictionCanceledError",
    "PredictionError",
    "PredictionFailedError",
    "PredictionTimeoutError",
    "RateLimitError",
    "ReplicateAPIError",
    "SelectionError",
    "SyntheticClipError",
    "VideoError",
    "VideoNotFoundError",
]


class AutotrackError(Exception):
    """Base class of every error raised by sam2_autotrack."""


class ConfigError(AutotrackError, ValueError):
    """An option or setting is invalid (out of range, unknown choice, wrong type).

    Raised when the option is given — by an options object, a backend, the tracker or a CLI
    flag — before any work is done. The message names the option, what it got and what it takes.
    """


class ClickError(AutotrackError, ValueError):
    """A click, a click set or one of the four Replicate click strings is malformed."""


class VideoError(AutotrackError):
    """A video file cannot be used.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    path
        The offending file.
    """

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class VideoNotFoundError(VideoError, FileNotFoundError):
    """The video file does not exist."""


class NotAVideoError(VideoError):
    """The file exists but no video stream can be decoded from it."""


class EmptyVideoError(VideoError):
    """The file is a video container with zero decodable frames."""


class MaskError(AutotrackError, ValueError):
    """A mask image or mask array cannot be used."""


class MaskSizeError(MaskError):
    """A mask's size does not match the frame it belongs to.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    expected_wh, actual_wh
        ``(width, height)`` of the frame and of the mask.
    """

    def __init__(
        self, message: str, *, expected_wh: tuple[int, int], actual_wh: tuple[int, int]
    ) -> None:
        super().__init__(message)
        self.expected_wh = expected_wh
        self.actual_wh = actual_wh


class SelectionError(AutotrackError):
    """No proposal survived filtering, so there is nothing to seed or track."""


class BackendError(AutotrackError):
    """A tracking backend failed."""


class MissingTokenError(BackendError):
    """The Replicate backend was asked for but no API token is configured."""


class ReplicateAPIError(BackendError):
    """Replicate's HTTP API answered with an error we could not recover from.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    status_code
        The HTTP status, when there was a response.
    prediction_id
        The prediction concerned, when one is known.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, prediction_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.prediction_id = prediction_id


class RateLimitError(ReplicateAPIError):
    """Replicate kept answering 429 after every allowed retry."""


class PredictionError(BackendError):
    """A prediction ended without usable output.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    prediction_id
        Replicate's prediction id (look it up on replicate.com/p/<id>).
    status
        The prediction's final status.
    logs_tail
        The last lines of the prediction's logs, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        prediction_id: str | None = None,
        status: str | None = None,
        logs_tail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.prediction_id = prediction_id
        self.status = status
        self.logs_tail = logs_tail


class PredictionFailedError(PredictionError):
    """The prediction's status is ``failed``."""


class PredictionCanceledError(PredictionError):
    """The prediction was canceled (or ``aborted``) before it produced output."""


class PredictionTimeoutError(PredictionError):
    """The prediction did not finish within the configured timeout (it was canceled)."""


class OutputsExpiredError(PredictionError):
    """Replicate has deleted the prediction's outputs (they are kept for one hour)."""


class DownloadError(BackendError):
    """An output file could not be downloaded.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    url
        The URL that failed.
    prediction_id
        The prediction whose output it is, when known.
    """

    def __init__(
        self, message: str, *, url: str | None = None, prediction_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.prediction_id = prediction_id


class FFmpegError(AutotrackError):
    """An ffmpeg invocation failed.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    command
        The argument vector that was run.
    stderr_tail
        The last lines ffmpeg printed.
    """

    def __init__(
        self,
        message: str,
        *,
        command: list[str] | None = None,
        stderr_tail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.command = command
        self.stderr_tail = stderr_tail


class FFmpegNotFoundError(FFmpegError):
    """No usable ffmpeg executable was found."""


class ExportError(AutotrackError):
    """Results could not be written."""


class MissingDependencyError(AutotrackError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class EvaluationError(AutotrackError, ValueError):
    """Predictions and ground truth cannot be compared (shapes, frame counts, empty inputs)."""


class SyntheticClipError(AutotrackError, ValueError):
    """A synthetic clip was asked for by an unknown name, or built from unusable arrays."""
