"""Replicate's hosted SAM 2 as a :class:`~sam2_autotrack.Backend`: :class:`ReplicateBackend`.

``propose`` runs ``meta/sam-2`` on frame 0 and decodes its ``individual_masks``; ``track`` runs
``meta/sam-2-video`` from a click set and returns per-object masks (one prediction split locally,
or one prediction per object). The HTTP side — retries, polling, cancel, resume journal, downloads —
is :class:`~sam2_autotrack.ReplicateClient` in ``_replicate_client.py``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import math
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack.backends.base import MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.replicate.client import _SUCCEEDED, PredictionResult, ReplicateClient
from sam2_autotrack.backends.replicate.union_split import split_union
from sam2_autotrack.backends.replicate.upload import (
    PreparedVideo,
    check_prepare_options,
    prepare_upload,
)
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import (
    BackendError,
    ClickError,
    ConfigError,
    MaskError,
    PredictionError,
    VideoNotFoundError,
)
from sam2_autotrack.masks.png import decode_mask
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.video.probe import probe_video

__all__ = [
    "SAM2_IMAGE_MODEL",
    "SAM2_IMAGE_VERSION",
    "SAM2_VIDEO_MODEL",
    "SAM2_VIDEO_VERSION",
    "ReplicateBackend",
]

SAM2_IMAGE_MODEL = "meta/sam-2"
"""The hosted automatic mask generator (frame-0 proposals)."""
SAM2_IMAGE_VERSION = "fe97b453a6455861e3bac769b441ca1f1086110da7466dbb65cf1eecfd60dc83"
"""Pinned version of ``meta/sam-2`` (override with ``ReplicateBackend(image_version=...)``)."""
SAM2_VIDEO_MODEL = "meta/sam-2-video"
"""The hosted video predictor (tracking from clicks)."""
SAM2_VIDEO_VERSION = "33432afdfc06a10da6b4018932893d39b0159f838b6d11dd1236dff85cc5ec1d"
"""Pinned version of ``meta/sam-2-video`` (override: ``ReplicateBackend(video_version=...)``)."""

_INPUT_DIR = "replicate_inputs"
_PREPARE_TIMEOUT_S = 3600.0


# -- the backend -----------------------------------------------------------------------------------


def _decode_greenscreen(path: Path, expected_wh: tuple[int, int]) -> NDArray[np.bool_]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MaskError(
            f"greenscreen output {path} is not a decodable image; re-run the prediction"
        )
    if (image.shape[1], image.shape[0]) != expected_wh:
        raise MaskError(
            f"greenscreen output {path} is {image.shape[1]}x{image.shape[0]} but the video is "
            f"{expected_wh[0]}x{expected_wh[1]}; use mask_type='binary'"
        )
    distance = np.abs(image.astype(np.int16) - np.array([0, 255, 0], dtype=np.int16)).sum(axis=2)
    return np.asarray(distance > 60, dtype=np.bool_)


def _individual_masks(output: Any) -> Sequence[Any]:
    if isinstance(output, Mapping):
        masks = output.get("individual_masks")
        if isinstance(masks, (list, tuple)):
            return list(masks)
    raise BackendError(
        "meta/sam-2 returned no 'individual_masks' list (got "
        f"{type(output).__name__}: {str(output)[:120]}); its output schema changed — pin "
        f"image_version={SAM2_IMAGE_VERSION!r}"
    )


def _frame_outputs(output: Any) -> Sequence[Any]:
    items = output if isinstance(output, (list, tuple)) else [output]
    if not items or any(item is None for item in items):
        raise BackendError(
            "meta/sam-2-video returned no frames; check the clicks and the video, or pin "
            f"video_version={SAM2_VIDEO_VERSION!r}"
        )
    return list(items)


@dataclass(frozen=True)
class _VideoJob:
    root: Path
    resume: bool
    expected_wh: tuple[int, int]
    frame_count: int
    journal_extra: Mapping[str, Any] | None = None


class ReplicateBackend:
    """Hosted SAM 2 on Replicate: ``meta/sam-2`` proposals, ``meta/sam-2-video`` tracking.

    Cost and accuracy of the two per-object strategies (``per_object``):

    ``"split"`` (default)
        One ``meta/sam-2-video`` prediction for all objects. With ``mask_type="binary"`` the
        model returns one *union* mask per frame, so the objects are recovered locally by
        :func:`~sam2_autotrack.split_union`, which carries each object's identity forward from
        its frame-0 clicks. Cost: one prediction. Exact while objects stay apart; where they
        touch or cross, the cut between them is an estimate (synthetic crossing discs: mean IoU
        about 0.85 during the crossing versus 1.0 apart).
    ``"separate"``
        One prediction per object, run concurrently: exact per-object masks, N times the cost
        (and N cold starts worst case).

    Parameters
    ----------
    api_token
        Replicate token; defaults to ``$REPLICATE_API_TOKEN`` (checked before any upload).
    base_url
        API root; defaults to ``$REPLICATE_BASE_URL``, then ``https://api.replicate.com``.
    transport
        ``httpx`` transport for the API and the downloads (for tests).
    client
        A shared :class:`ReplicateClient` (then ``api_token``, ``base_url``, ``transport``,
        ``poll_interval``, ``max_retries``, ``download_concurrency``, ``max_download_bytes`` are
        taken from it).
    image_version, video_version
        Model versions (pinned by default: :data:`SAM2_IMAGE_VERSION`,
        :data:`SAM2_VIDEO_VERSION`).
    points_per_side
        Sent to ``meta/sam-2`` but has **no effect** on the hosted model: its point grid is fixed
        when the model loads. Kept so the request documents what was asked.
    pred_iou_thresh, stability_score_thresh, use_m2m
        ``meta/sam-2`` filtering options (``use_m2m``: mask-to-mask refinement).
    mask_type
        ``"binary"`` (union masks, exact) or ``"greenscreen"`` (frames composited on green,
        decoded by colour; only useful to inspect the model's compositing).
    output_frame_interval
        Return every k-th frame (``frame_indices`` are then ``0, k, 2k, ...``).
    output_format, output_quality
        Mask image format; ``"png"`` (lossless, default) or lossy ``"webp"``/``"jpg"`` with a
        quality 0-100.
    per_object
        ``"split"`` or ``"separate"``, see above.
    poll_interval, timeout, max_retries
        First pause between polls; seconds allowed per prediction (then it is canceled); retries
        per request.
    download_concurrency, max_download_bytes
        Parallel downloads; largest accepted output file.
    resume
        Reuse journaled predictions in ``work_dir`` (see :meth:`ReplicateClient.run`).
    backoff_base
        First retry pause in seconds (doubles per retry, with jitter).
    upload_max_side
        Off by default: the original file is uploaded, never re-encoded. When set, a video whose
        larger side exceeds it is re-encoded (H.264, CRF 16) down to that side before upload; the
        clicks are scaled into the smaller frame and the returned masks are resized back to the
        source size (bilinear, threshold 0.5). Cost versus accuracy: a smaller upload uploads
        faster and, since ``meta/sam-2-video`` decodes and embeds every frame, can shorten the
        billed prediction time; but detail below the upload's resolution is lost, and mask
        edges come back with up to about one upload pixel (``1 / scale`` source pixels) of
        error, so thin or small objects suffer first. The hosted model resizes frames to 1024
        px internally, so ``upload_max_side=1024`` loses little.
    start_frame, stop_frame
        Off by default. Upload only source frames ``start_frame .. stop_frame - 1`` (re-encoded
        as above): the hosted model then starts at ``start_frame`` — put the clicks on that
        frame — and pays only for the range. Click frames are shifted into the upload and the
        returned ``frame_indices`` are in source numbering; frames outside the range simply
        have no masks, while ``frame_count`` stays the source's.

    Examples
    --------
    >>> backend = ReplicateBackend(api_token="r8_example", per_object="separate")
    >>> backend.describe()["per_object"]
    'separate'
    >>> "r8_example" in str(backend.describe())
    False
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        client: ReplicateClient | None = None,
        image_version: str = SAM2_IMAGE_VERSION,
        video_version: str = SAM2_VIDEO_VERSION,
        points_per_side: int = 32,
        pred_iou_thresh: float = 0.88,
        stability_score_thresh: float = 0.95,
        use_m2m: bool = True,
        mask_type: Literal["binary", "greenscreen"] = "binary",
        output_frame_interval: int = 1,
        output_format: Literal["png", "webp", "jpg"] = "png",
        output_quality: int = 80,
        per_object: Literal["split", "separate"] = "split",
        poll_interval: float = 0.5,
        timeout: float | None = 1800.0,
        max_retries: int = 5,
        download_concurrency: int = 8,
        max_download_bytes: int = 1 << 30,
        resume: bool = True,
        backoff_base: float = 1.0,
        upload_max_side: int | None = None,
        start_frame: int = 0,
        stop_frame: int | None = None,
    ) -> None:
        problems = check_prepare_options(
            max_side=upload_max_side, start_frame=start_frame, stop_frame=stop_frame
        )
        if not (isinstance(points_per_side, int) and points_per_side >= 1):
            problems.append(f"points_per_side must be a positive int; got {points_per_side!r}")
        for option, value in (
            ("pred_iou_thresh", pred_iou_thresh),
            ("stability_score_thresh", stability_score_thresh),
        ):
            if not 0.0 <= float(value) <= 1.0:
                problems.append(f"{option} must be within 0..1; got {value!r}")
        if not isinstance(use_m2m, bool):
            problems.append(f"use_m2m must be a real bool (True/False); got {use_m2m!r}")
        if mask_type not in ("binary", "greenscreen"):
            problems.append(
                f"mask_type must be 'binary' or 'greenscreen' ('highlighted' is a matplotlib "
                f"figure, not a mask); got {mask_type!r}"
            )
        if not (isinstance(output_frame_interval, int) and output_frame_interval >= 1):
            problems.append(
                f"output_frame_interval must be an int >= 1; got {output_frame_interval!r}"
            )
        if output_format not in ("png", "webp", "jpg"):
            problems.append(f"output_format must be 'png', 'webp' or 'jpg'; got {output_format!r}")
        if not (isinstance(output_quality, int) and 0 <= output_quality <= 100):
            problems.append(f"output_quality must be an int within 0..100; got {output_quality!r}")
        if per_object not in ("split", "separate"):
            problems.append(f"per_object must be 'split' or 'separate'; got {per_object!r}")
        if timeout is not None and timeout <= 0:
            problems.append(f"timeout must be positive seconds or None; got {timeout!r}")
        if problems:
            raise ConfigError("invalid ReplicateBackend options: " + "; ".join(problems))
        self._client = client or ReplicateClient(
            api_token=api_token,
            base_url=base_url,
            transport=transport,
            poll_interval=poll_interval,
            max_poll_interval=max(poll_interval, 5.0),
            max_retries=max_retries,
            backoff_base=backoff_base,
            download_concurrency=download_concurrency,
            max_download_bytes=max_download_bytes,
        )
        self.image_version = image_version
        self.video_version = video_version
        self.points_per_side = points_per_side
        self.pred_iou_thresh = float(pred_iou_thresh)
        self.stability_score_thresh = float(stability_score_thresh)
        self.use_m2m = use_m2m
        self.mask_type = mask_type
        self.output_frame_interval = output_frame_interval
        self.output_format = output_format
        self.output_quality = output_quality
        self.per_object = per_object
        self.timeout = timeout
        self.resume = resume
        self.upload_max_side = upload_max_side
        self.start_frame = start_frame
        self.stop_frame = stop_frame

    @property
    def name(self) -> str:
        """``"replicate"``."""
        return "replicate"

    @property
    def client(self) -> ReplicateClient:
        """The (shareable) client wrapper this backend uses."""
        return self._client

    def close(self) -> None:
        """Close the HTTP connections (also done when the backend is garbage collected)."""
        self._client.close()

    def __enter__(self) -> ReplicateBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """Models, versions and options for the run manifest (never the token)."""
        return {
            "name": self.name,
            "base_url": self._client.base_url,
            "image_model": SAM2_IMAGE_MODEL,
            "image_version": self.image_version,
            "video_model": SAM2_VIDEO_MODEL,
            "video_version": self.video_version,
            "points_per_side": self.points_per_side,
            "points_per_side_note": "no effect on the hosted model (grid fixed at load time)",
            "pred_iou_thresh": self.pred_iou_thresh,
            "stability_score_thresh": self.stability_score_thresh,
            "use_m2m": self.use_m2m,
            "mask_type": self.mask_type,
            "output_frame_interval": self.output_frame_interval,
            "output_format": self.output_format,
            "output_quality": self.output_quality,
            "per_object": self.per_object,
            "timeout": self.timeout,
            "resume": self.resume,
            "upload_max_side": self.upload_max_side,
            "start_frame": self.start_frame,
            "stop_frame": self.stop_frame,
        }

    @contextlib.contextmanager
    def _work_dir(self, work_dir: Path | None) -> Iterator[tuple[Path, bool]]:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
            yield Path(work_dir), self.resume
            return
        with tempfile.TemporaryDirectory(prefix="sam2_autotrack_replicate_") as tmp:
            yield Path(tmp), False

    # -- proposals ---------------------------------------------------------------------------

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: Path | None = None,
        work_dir: Path | None = None,
    ) -> MaskProposals:
        """Propose masks on ``image_rgb`` with ``meta/sam-2`` (uploaded as lossless PNG).

        ``video`` is unused (the hosted model sees one image). Masks come from the output's
        ``individual_masks`` (``combined_mask`` is a matplotlib figure, not input-sized).
        """
        started = time.monotonic()
        image = as_rgb_image(image_rgb)
        height, width = image.shape[:2]
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise MaskError("could not encode the image as PNG; pass an (H, W, 3) uint8 array")
        data = encoded.tobytes()
        with self._work_dir(work_dir) as (root, resume):
            image_path = root / _INPUT_DIR / f"image_{hashlib.sha256(data).hexdigest()[:16]}.png"
            if not image_path.exists():
                write_bytes_atomic(image_path, data)
            result = self._client.run(
                self.image_version,
                {
                    "points_per_side": self.points_per_side,
                    "pred_iou_thresh": self.pred_iou_thresh,
                    "stability_score_thresh": self.stability_score_thresh,
                    "use_m2m": self.use_m2m,
                },
                files={"image": image_path},
                work_dir=root,
                select_outputs=_individual_masks,
                resume=resume,
                timeout=self.timeout,
            )
            masks = [decode_mask(path, expected_wh=(width, height)) for path in result.files]
        stack = (np.stack(masks) if masks else np.zeros((0, height, width), dtype=bool)).astype(
            bool, copy=False
        )
        return MaskProposals(
            masks=stack,
            scores=None,
            prediction_id=result.prediction_id,
            seconds=time.monotonic() - started,
        )

    # -- tracking ----------------------------------------------------------------------------

    def _video_inputs(self, clicks: ClickSet) -> dict[str, Any]:
        return {
            **clicks.to_replicate().as_input(),
            "mask_type": self.mask_type,
            "output_video": False,
            "output_format": self.output_format,
            "output_quality": self.output_quality,
            "output_frame_interval": self.output_frame_interval,
        }

    def _track_one(
        self,
        video: Path,
        clicks: ClickSet,
        job: _VideoJob,
        *,
        progress: ProgressCallback | None,
        stop: threading.Event | None = None,
    ) -> tuple[NDArray[np.bool_], PredictionResult]:
        root, resume, expected_wh, frame_count = (
            job.root,
            job.resume,
            job.expected_wh,
            job.frame_count,
        )
        result = self._client.run(
            self.video_version,
            self._video_inputs(clicks),
            files={"input_video": video},
            work_dir=root,
            select_outputs=_frame_outputs,
            resume=resume,
            timeout=self.timeout,
            progress=progress,
            stop=stop,
            journal_extra=job.journal_extra,
        )
        k = self.output_frame_interval
        expected = math.ceil(frame_count / k)
        if len(result.files) != expected:
            raise PredictionError(
                f"meta/sam-2-video returned {len(result.files)} mask frames but the video has "
                f"{frame_count} frames, so {expected} were expected with output_frame_interval="
                f"{k}; the hosted model decodes with ffmpeg, so a variable-frame-rate or damaged "
                "file can decode differently — re-encode it to constant frame rate (ffmpeg -i in "
                "-vsync cfr out.mp4) and re-run",
                prediction_id=result.prediction_id,
                status=_SUCCEEDED,
            )
        if self.mask_type == "binary":
            frames = [decode_mask(path, expected_wh=expected_wh) for path in result.files]
        else:
            frames = [_decode_greenscreen(path, expected_wh) for path in result.files]
        return np.stack(frames).astype(bool, copy=False), result

    def track(
        self,
        video: Path,
        clicks: ClickSet,
        *,
        work_dir: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> ObjectTracks:
        """Track every object of ``clicks`` through ``video`` with ``meta/sam-2-video``.

        By default the original file is uploaded (never re-encoded). With ``upload_max_side``,
        ``start_frame`` or ``stop_frame`` set, the upload is prepared by
        :func:`~sam2_autotrack.backends.replicate.upload.prepare_upload`
        (kept in ``work_dir`` and reused),
        the clicks are moved into it and the masks brought back to the source's size and frame
        numbering. The four click strings come from ``clicks.to_replicate()``; the mask frames
        are downloaded and decoded, and split per object according to ``per_object``.
        """
        video = Path(video)
        if not video.is_file():
            raise VideoNotFoundError(
                f"video {video} does not exist; pass the path of the clip to track", path=video
            )
        object_ids = clicks.object_ids
        with self._work_dir(work_dir) as (root, resume):
            prepared = self._prepare(video, root)
            resolution_wh = prepared.source_wh
            if clicks.resolution_wh is not None and tuple(clicks.resolution_wh) != resolution_wh:
                raise ClickError(
                    f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} "
                    f"frame but {video.name} is {resolution_wh[0]}x{resolution_wh[1]}; make the "
                    "clicks on the video's own frame 0 (no resizing)"
                )
            extra = self._prepare_identity(prepared)
            sent = prepared.to_upload(clicks) if extra else clicks
            job = _VideoJob(root, resume, prepared.upload_wh, prepared.frame_count, extra)
            if self.per_object == "separate" and len(object_ids) > 1:
                masks, results = self._track_separately(prepared.path, sent, job, progress)
            else:
                seeds = (
                    self._frame0_seeds(sent, first_frame=prepared.start_frame)
                    if len(object_ids) > 1
                    else {}
                )
                union, result = self._track_one(prepared.path, sent, job, progress=progress)
                results = [result]
                masks = (
                    {object_ids[0]: union} if len(object_ids) == 1 else split_union(union, seeds)
                )
        k = self.output_frame_interval
        upload_indices = np.arange(next(iter(masks.values())).shape[0], dtype=np.int64) * k
        if prepared.upload_wh != prepared.source_wh:
            masks = {
                oid: prepared.masks_to_source(stack, upload_indices)[0]
                for oid, stack in masks.items()
            }
        times = [r.predict_time for r in results if r.predict_time is not None]
        return ObjectTracks(
            masks=masks,
            frame_indices=upload_indices + prepared.start_frame,
            frame_count=prepared.source_frame_count,
            prediction_ids=tuple(r.prediction_id for r in results),
            predict_time=float(sum(times)) if len(times) == len(results) else None,
            info={
                "backend": self.name,
                "video_model": SAM2_VIDEO_MODEL,
                "video_version": self.video_version,
                "per_object": self.per_object if len(object_ids) > 1 else "single",
                "output_frame_interval": k,
                "mask_type": self.mask_type,
                "resumed": any(r.resumed for r in results),
                "upload": {
                    "reencoded": prepared.reencoded,
                    "resolution_wh": list(prepared.upload_wh),
                    "start_frame": prepared.start_frame,
                    "frame_count": prepared.frame_count,
                },
            },
        )

    @property
    def _prepares(self) -> bool:
        return (
            self.upload_max_side is not None or self.start_frame != 0 or self.stop_frame is not None
        )

    def _prepare(self, video: Path, root: Path) -> PreparedVideo:
        """Return the upload: ``video`` itself, or its trimmed/downscaled re-encode in ``root``."""
        if not self._prepares:
            # Exact count, as the hosted model will decode it.
            info = probe_video(video, exact_frame_count=True)
            return PreparedVideo.original(
                video, resolution_wh=info.resolution_wh, frame_count=info.frame_count
            )
        return prepare_upload(
            video,
            out_dir=root / _INPUT_DIR,
            max_side=self.upload_max_side,
            start_frame=self.start_frame,
            stop_frame=self.stop_frame,
            timeout=_PREPARE_TIMEOUT_S,
        )

    def _prepare_identity(self, prepared: PreparedVideo) -> dict[str, Any] | None:
        """Return what the journal key must know about the preparation (``None`` when off).

        The uploaded file's SHA-256 enters the key anyway; this adds the options and the frame
        range they resolved to, so a re-run with other options never resumes this prediction.
        """
        if not self._prepares:
            return None
        return {
            "upload_prepare": {
                "max_side": self.upload_max_side,
                "start_frame": self.start_frame,
                "stop_frame": self.stop_frame,
                "upload_wh": list(prepared.upload_wh),
                "upload_frames": [prepared.start_frame, prepared.stop_frame],
            }
        }

    @staticmethod
    def _frame0_seeds(clicks: ClickSet, *, first_frame: int = 0) -> dict[str, NDArray[np.int64]]:
        seeds: dict[str, NDArray[np.int64]] = {}
        for object_id, group in clicks.by_object().items():
            points = [c.point_xy for c in group if c.is_positive and c.frame == 0]
            if not points:
                raise ClickError(
                    f"object {object_id!r} has no positive click on frame {first_frame} (the "
                    "first uploaded frame), so its identity cannot be carried through the union "
                    "masks; add one, or use per_object='separate'"
                )
            seeds[object_id] = np.asarray(points, dtype=np.int64)
        return seeds

    def _track_separately(
        self,
        video: Path,
        clicks: ClickSet,
        job: _VideoJob,
        progress: ProgressCallback | None,
    ) -> tuple[dict[str, NDArray[np.bool_]], list[PredictionResult]]:
        object_ids = clicks.object_ids
        stop = threading.Event()
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(len(object_ids), 8), thread_name_prefix="autotrack-obj"
        )
        futures = {
            oid: pool.submit(
                self._track_one,
                video,
                clicks.for_object(oid),
                job,
                progress=progress,
                stop=stop,
            )
            for oid in object_ids
        }
        try:
            outcomes = {oid: future.result() for oid, future in futures.items()}
        except BaseException:
            # Ctrl-C or one object failing: stop the siblings (they cancel their predictions).
            stop.set()
            concurrent.futures.wait(
                list(futures.values()),
                timeout=self._client.cancel_timeout + self._client.max_poll_interval + 1.0,
            )
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return (
            {oid: outcome[0] for oid, outcome in outcomes.items()},
            [outcome[1] for outcome in outcomes.values()],
        )
