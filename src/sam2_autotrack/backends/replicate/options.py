"""The settings of the Replicate client and backend, one frozen options object per concern.

In the spirit of httpx's ``Timeout`` and ``Limits``:
[`Timeouts`][sam2_autotrack.backends.replicate.Timeouts],
[`Retries`][sam2_autotrack.backends.replicate.Retries] and
[`Limits`][sam2_autotrack.backends.replicate.Limits] configure
[`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient];
[`ImageModelInputs`][sam2_autotrack.backends.replicate.ImageModelInputs],
[`VideoModelInputs`][sam2_autotrack.backends.replicate.VideoModelInputs] and
[`UploadOptions`][sam2_autotrack.backends.replicate.UploadOptions] configure what
[`ReplicateBackend`][sam2_autotrack.backends.replicate.ReplicateBackend] sends. Each is validated
when it is built (a bad value raises [`ConfigError`][sam2_autotrack.ConfigError] naming the option)
and is accepted as a plain dict wherever it is a parameter.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt, ValidationInfo, field_validator

from sam2_autotrack._options import Options

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "TOKEN_ENV",
    "ImageModelInputs",
    "Limits",
    "Retries",
    "Timeouts",
    "UploadOptions",
    "VideoModelInputs",
]

DEFAULT_BASE_URL = "https://api.replicate.com"
"""Replicate's API, used unless ``base_url=`` or ``REPLICATE_BASE_URL`` says otherwise."""
TOKEN_ENV = "REPLICATE_API_TOKEN"
"""Where the API token is read from when ``api_token=`` is not given."""
BASE_URL_ENV = "REPLICATE_BASE_URL"
"""Where the API root is read from when ``base_url=`` is not given."""


def _seconds(default: float) -> Any:
    """Return the field of a positive, finite number of seconds."""
    return Field(default=default, gt=0, allow_inf_nan=False)


class Timeouts(Options):
    """How long each step may take, in seconds (wall clock unless said otherwise).

    Attributes
    ----------
    connect, read, write, pool
        httpx's per-operation timeouts: establishing a connection, waiting for *each* chunk of a
        response, sending each chunk of a request, waiting for a free connection. They bound a
        silent peer, not a slow one: a server that drips one byte every few seconds never trips
        them, which is what the wall-clock deadlines below are for.
    request
        Wall-clock deadline of one API request (create, read, list), answer body included.
    upload
        Wall-clock deadline of one file upload through the Files API.
    download
        Wall-clock deadline of downloading one output file.
    cancel
        Wall-clock deadline of a best-effort cancel (sent on timeouts and Ctrl-C).
    prediction
        Deadline of a whole [`run`][sam2_autotrack.backends.replicate.ReplicateClient.run]:
        upload, create, wait and downloads. When it passes while the prediction runs, the
        prediction is canceled; after it succeeded, its id stays in the journal and a re-run
        downloads the outputs (within the hour Replicate keeps them). ``None``: no bound on the
        whole run (each request is still bounded).

    Examples
    --------
    >>> Timeouts(prediction=600).prediction
    600.0
    >>> Timeouts(read=0)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid Timeouts: read=0: must be greater than 0
    """

    connect: float = _seconds(10.0)
    read: float = _seconds(30.0)
    write: float = _seconds(30.0)
    pool: float = _seconds(10.0)
    request: float = _seconds(60.0)
    upload: float = _seconds(600.0)
    download: float = _seconds(300.0)
    cancel: float = _seconds(5.0)
    prediction: float | None = Field(default=1800.0, gt=0, allow_inf_nan=False)


class Retries(Options):
    """When and how long to retry: 429, 5xx and connection errors, with backoff and jitter.

    Attributes
    ----------
    max_retries
        Retries of one request after a 429, a 5xx or a network error (then it fails).
    backoff_base, max_backoff
        Without a hint from the server, retry ``k`` waits ``backoff_base * 2**k`` seconds times a
        random jitter in ``[0.5, 1]``, at most ``max_backoff``.
    max_retry_after
        Largest wait the server may ask for (``Retry-After`` on 429/503/504, or Replicate's
        "resets in ~Ns"); a longer ask is cut to this. No wait ever outlasts the deadlines of
        [`Timeouts`][sam2_autotrack.backends.replicate.Timeouts]: the request fails instead.

    Examples
    --------
    >>> Retries(max_retries=0).max_retries
    0
    """

    max_retries: StrictInt = Field(default=5, ge=0)
    backoff_base: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    max_backoff: float = Field(default=60.0, ge=0, allow_inf_nan=False)
    max_retry_after: float = Field(default=60.0, ge=0, allow_inf_nan=False)


class Limits(Options):
    """Concurrency, sizes and polling pace.

    Attributes
    ----------
    download_concurrency
        Output files downloaded at once.
    max_download_bytes
        Largest output file accepted (bigger ones fail before or while streaming).
    poll_interval, max_poll_interval
        First and largest pause between status polls (the pause grows 1.5x per poll).

    Examples
    --------
    >>> Limits(poll_interval=2.0, max_poll_interval=1.0)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid Limits: max_poll_interval=1.0: must be >= ...
    """

    download_concurrency: StrictInt = Field(default=8, ge=1)
    max_download_bytes: StrictInt = Field(default=1 << 30, ge=1)
    poll_interval: float = _seconds(0.5)
    max_poll_interval: float = _seconds(5.0)

    @field_validator("max_poll_interval")
    @classmethod
    def _poll_order(cls, value: float, info: ValidationInfo) -> float:
        first = info.data.get("poll_interval")
        if first is not None and value < first:
            raise ValueError(f"must be >= poll_interval={first}; raise max_poll_interval too")
        return value


class ImageModelInputs(Options):
    """What ``meta/sam-2`` (frame-0 proposals) is asked for.

    Attributes
    ----------
    points_per_side
        Sent, but has **no effect** on the hosted model: its point grid is fixed when the model
        loads. Kept so the request documents what was asked.
    pred_iou_thresh, stability_score_thresh
        Filtering thresholds of the automatic mask generator, within 0..1.
    use_m2m
        Mask-to-mask refinement.

    Examples
    --------
    >>> ImageModelInputs(pred_iou_thresh=0.8).as_input()["pred_iou_thresh"]
    0.8
    """

    points_per_side: StrictInt = Field(default=32, ge=1)
    pred_iou_thresh: float = Field(default=0.88, ge=0.0, le=1.0)
    stability_score_thresh: float = Field(default=0.95, ge=0.0, le=1.0)
    use_m2m: StrictBool = True

    def as_input(self) -> dict[str, Any]:
        """Return the model's JSON input.

        Returns
        -------
        dict[str, Any]
            The ``meta/sam-2`` inputs, by the model's names.
        """
        return self.model_dump()


class VideoModelInputs(Options):
    """What ``meta/sam-2-video`` (tracking from clicks) is asked for, besides the clicks.

    Attributes
    ----------
    mask_type
        ``"binary"`` (union masks, exact) or ``"greenscreen"`` (frames composited on green,
        decoded by colour; only useful to inspect the model's compositing).
    output_frame_interval
        Return every k-th frame (``frame_indices`` are then ``0, k, 2k, ...``).
    output_format, output_quality
        Mask image format: ``"png"`` (lossless, default) or lossy ``"webp"``/``"jpg"`` with a
        quality 0-100.

    Examples
    --------
    >>> VideoModelInputs(output_frame_interval=3).as_input()["output_video"]
    False
    """

    mask_type: Literal["binary", "greenscreen"] = "binary"
    output_frame_interval: StrictInt = Field(default=1, ge=1)
    output_format: Literal["png", "webp", "jpg"] = "png"
    output_quality: StrictInt = Field(default=80, ge=0, le=100)

    @field_validator("mask_type", mode="before")
    @classmethod
    def _no_highlighted(cls, value: Any) -> Any:
        if value == "highlighted":
            raise ValueError(
                "'highlighted' is a matplotlib figure, not a mask; use 'binary' or 'greenscreen'"
            )
        return value

    def as_input(self) -> dict[str, Any]:
        """Return the model's JSON input (without the click strings; no output video).

        Returns
        -------
        dict[str, Any]
            The ``meta/sam-2-video`` inputs, by the model's names.
        """
        return {**self.model_dump(), "output_video": False}


class UploadOptions(Options):
    """How the video is prepared for upload (off by default: the original file is sent).

    Attributes
    ----------
    max_side
        When set, a video whose larger side exceeds it is re-encoded (H.264, CRF 16) down to that
        side; clicks are scaled into the smaller frame and masks resized back to the source size
        (bilinear, threshold 0.5). A smaller upload uploads faster and can shorten the billed
        time, but mask edges come back with up to about one upload pixel of error. The hosted
        model resizes frames to 1024 px internally, so ``max_side=1024`` loses little.
    start_frame, stop_frame
        Upload only source frames ``start_frame .. stop_frame - 1`` (re-encoded as above): the
        hosted model starts at ``start_frame`` (put the clicks on that frame) and pays only for
        the range. Returned ``frame_indices`` are in source numbering.

    Examples
    --------
    >>> UploadOptions(start_frame=5, stop_frame=5)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid UploadOptions: stop_frame=5: must be None or ...
    """

    max_side: StrictInt | None = Field(default=None, ge=2)
    start_frame: StrictInt = Field(default=0, ge=0)
    stop_frame: StrictInt | None = None

    @field_validator("stop_frame")
    @classmethod
    def _range(cls, value: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start_frame")
        if value is not None and start is not None and value <= start:
            raise ValueError(f"must be None or an int > start_frame={start}")
        return value

    @property
    def prepares(self) -> bool:
        """Whether the upload is trimmed or downscaled (``False``: the original file is sent)."""
        return self.max_side is not None or self.start_frame != 0 or self.stop_frame is not None
