"""Replicate's hosted SAM 2 as a :class:`~sam2_autotrack.Backend`: :class:`ReplicateBackend`.

``propose`` runs ``meta/sam-2`` on frame 0 and decodes its ``individual_masks``; ``track`` runs
``meta/sam-2-video`` from a click set and returns per-object masks (one prediction split locally,
or one prediction per object). The HTTP side — retries, polling, cancel, resume journal, downloads —
is :class:`~sam2_autotrack.backends.replicate.client.ReplicateClient`; what is sent is configured
by the option objects of :mod:`~sam2_autotrack.backends.replicate.options` and
:class:`~sam2_autotrack.backends.replicate.models.ModelVersions`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import math
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack.backends.base import MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.replicate.client import ReplicateClient
from sam2_autotrack.backends.replicate.models import ModelVersions
from sam2_autotrack.backends.replicate.options import (
    ImageModelInputs,
    Limits,
    Retries,
    Timeouts,
    UploadOptions,
    VideoModelInputs,
)
from sam2_autotrack.backends.replicate.outputs import (
    decode_greenscreen,
    frame_outputs,
    individual_masks,
)
from sam2_autotrack.backends.replicate.predictions import SUCCEEDED, PredictionResult
from sam2_autotrack.backends.replicate.split.geometric import frame0_seeds, split_union
from sam2_autotrack.backends.replicate.upload import PreparedVideo, prepare_upload
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import (
    ClickError,
    ConfigError,
    MaskError,
    PredictionError,
    VideoNotFoundError,
)
from sam2_autotrack.masks.png import decode_mask
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.video.probe import probe_video

__all__ = ["ReplicateBackend"]

_INPUT_DIR = "replicate_inputs"
_PREPARE_TIMEOUT_S = 3600.0
_PER_OBJECT = ("split", "separate")
_CLIENT_SETTINGS = ("api_token", "base_url", "transport", "timeouts", "retries", "limits")


def _without_credentials(url: str) -> str:
    """Return ``url`` without a ``user:password@`` part (never recorded in a manifest)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


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

    Every option object is also accepted as a dict of its fields, and validated here, before
    any work (a bad value raises :class:`~sam2_autotrack.ConfigError`).

    Parameters
    ----------
    api_token, base_url, transport, timeouts, retries, limits
        Settings of the :class:`~sam2_autotrack.backends.replicate.client.ReplicateClient` the
        backend builds (token from ``$REPLICATE_API_TOKEN``, checked before any upload; API
        root from ``$REPLICATE_BASE_URL``; ``Timeouts.prediction`` bounds each prediction).
    client
        A shared, ready client instead (then none of the settings above may be given).
    models
        :class:`~sam2_autotrack.backends.replicate.models.ModelVersions` (pinned by default).
    image_inputs
        :class:`~sam2_autotrack.backends.replicate.options.ImageModelInputs` for ``meta/sam-2``.
    video_inputs
        :class:`~sam2_autotrack.backends.replicate.options.VideoModelInputs` for
        ``meta/sam-2-video``.
    upload
        :class:`~sam2_autotrack.backends.replicate.options.UploadOptions`: off by default (the
        original file is uploaded, never re-encoded); trims and/or downscales the upload.
    per_object
        ``"split"`` or ``"separate"``, see above.
    resume
        Reuse journaled predictions in ``work_dir`` (see :meth:`ReplicateClient.run`).

    Examples
    --------
    >>> backend = ReplicateBackend(api_token="r8_example", per_object="separate")
    >>> backend.describe()["per_object"]
    'separate'
    >>> "r8_example" in str(backend.describe())
    False
    >>> ReplicateBackend(video_inputs={"output_frame_interval": 3}).video_inputs
    VideoModelInputs(mask_type='binary', output_frame_interval=3, output_format='png', \
output_quality=80)
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeouts: Timeouts | dict[str, Any] | None = None,
        retries: Retries | dict[str, Any] | None = None,
        limits: Limits | dict[str, Any] | None = None,
        client: ReplicateClient | None = None,
        models: ModelVersions | dict[str, Any] | None = None,
        image_inputs: ImageModelInputs | dict[str, Any] | None = None,
        video_inputs: VideoModelInputs | dict[str, Any] | None = None,
        upload: UploadOptions | dict[str, Any] | None = None,
        per_object: Literal["split", "separate"] = "split",
        resume: bool = True,
    ) -> None:
        self.models: ModelVersions = ModelVersions.coerce(models) or ModelVersions()
        self.image_inputs: ImageModelInputs = (
            ImageModelInputs.coerce(image_inputs) or ImageModelInputs()
        )
        self.video_inputs: VideoModelInputs = (
            VideoModelInputs.coerce(video_inputs) or VideoModelInputs()
        )
        self.upload: UploadOptions = UploadOptions.coerce(upload) or UploadOptions()
        if per_object not in _PER_OBJECT:
            raise ConfigError(
                f"invalid ReplicateBackend: per_object={per_object!r}: must be 'split' (one "
                "prediction, union split locally) or 'separate' (one prediction per object)"
            )
        if not isinstance(resume, bool):
            raise ConfigError(f"invalid ReplicateBackend: resume={resume!r}: must be True or False")
        settings = dict(
            zip(
                _CLIENT_SETTINGS,
                (api_token, base_url, transport, timeouts, retries, limits),
                strict=True,
            )
        )
        if client is not None:
            given = [name for name, value in settings.items() if value is not None]
            if given:
                raise ConfigError(
                    f"invalid ReplicateBackend: client= was given together with {', '.join(given)}"
                    "; configure the shared ReplicateClient instead"
                )
            self._client = client
        else:
            self._client = ReplicateClient(
                api_token=api_token,
                base_url=base_url,
                transport=transport,
                timeouts=timeouts,
                retries=retries,
                limits=limits,
            )
        self.per_object: Literal["split", "separate"] = per_object
        self.resume = resume

    @property
    def name(self) -> str:
        """``"replicate"``."""
        return "replicate"

    @property
    def client(self) -> ReplicateClient:
        """The (shareable) client this backend uses."""
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
        client = self._client
        return {
            "name": self.name,
            "base_url": _without_credentials(client.base_url),
            "models": self.models.model_dump(mode="json"),
            "image_inputs": {
                **self.image_inputs.model_dump(mode="json"),
                "points_per_side_note": "no effect on the hosted model (grid fixed at load time)",
            },
            "video_inputs": self.video_inputs.model_dump(mode="json"),
            "upload": self.upload.model_dump(mode="json"),
            "per_object": self.per_object,
            "resume": self.resume,
            "timeouts": client.timeouts.model_dump(mode="json"),
            "retries": client.retries.model_dump(mode="json"),
            "limits": client.limits.model_dump(mode="json"),
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
                self.models.image_version,
                self.image_inputs.as_input(),
                files={"image": image_path},
                work_dir=root,
                select_outputs=individual_masks,
                resume=resume,
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
        return {**clicks.to_replicate().as_input(), **self.video_inputs.as_input()}

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
            self.models.video_version,
            self._video_inputs(clicks),
            files={"input_video": video},
            work_dir=root,
            select_outputs=frame_outputs,
            resume=resume,
            progress=progress,
            stop=stop,
            journal_extra=job.journal_extra,
        )
        k = self.video_inputs.output_frame_interval
        expected = math.ceil(frame_count / k)
        if len(result.files) != expected:
            raise PredictionError(
                f"meta/sam-2-video returned {len(result.files)} mask frames but the video has "
                f"{frame_count} frames, so {expected} were expected with output_frame_interval="
                f"{k}; the hosted model decodes with ffmpeg, so a variable-frame-rate or damaged "
                "file can decode differently — re-encode it to constant frame rate (ffmpeg -i in "
                "-vsync cfr out.mp4) and re-run",
                prediction_id=result.prediction_id,
                status=SUCCEEDED,
            )
        if self.video_inputs.mask_type == "binary":
            frames = [decode_mask(path, expected_wh=expected_wh) for path in result.files]
        else:
            frames = [decode_greenscreen(path, expected_wh) for path in result.files]
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

        By default the original file is uploaded (never re-encoded). With :class:`UploadOptions`
        set, the upload is prepared by
        :func:`~sam2_autotrack.backends.replicate.upload.prepare_upload` (kept in ``work_dir``
        and reused), the clicks are moved into it and the masks brought back to the source's
        size and frame numbering. The four click strings come from ``clicks.to_replicate()``;
        the mask frames are downloaded and decoded, and split per object by ``per_object``.
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
                seeds = frame0_seeds(sent) if len(object_ids) > 1 else {}
                union, result = self._track_one(prepared.path, sent, job, progress=progress)
                results = [result]
                masks = (
                    {object_ids[0]: union} if len(object_ids) == 1 else split_union(union, seeds)
                )
        k = self.video_inputs.output_frame_interval
        upload_indices = np.arange(next(iter(masks.values())).shape[0], dtype=np.int64) * k
        if prepared.upload_wh != prepared.source_wh:
            masks = {
                oid: prepared.masks_to_source(stack, upload_indices)[0]
                for oid, stack in masks.items()
            }
        times = [r.predict_time for r in results if r.predict_time is not None]
        return ObjectTracks(
            masks={oid: MaskSequence.from_array(stack) for oid, stack in masks.items()},
            frame_indices=upload_indices + prepared.start_frame,
            frame_count=prepared.source_frame_count,
            prediction_ids=tuple(r.prediction_id for r in results),
            predict_time=float(sum(times)) if len(times) == len(results) else None,
            info={
                "backend": self.name,
                "video_model": self.models.video_model,
                "video_version": self.models.video_version,
                "per_object": self.per_object if len(object_ids) > 1 else "single",
                "output_frame_interval": k,
                "mask_type": self.video_inputs.mask_type,
                "resumed": any(r.resumed for r in results),
                "upload": {
                    "reencoded": prepared.reencoded,
                    "resolution_wh": list(prepared.upload_wh),
                    "start_frame": prepared.start_frame,
                    "frame_count": prepared.frame_count,
                },
            },
        )

    def _prepare(self, video: Path, root: Path) -> PreparedVideo:
        """Return the upload: ``video`` itself, or its trimmed/downscaled re-encode in ``root``."""
        if not self.upload.prepares:
            # Exact count, as the hosted model will decode it.
            info = probe_video(video, exact_frame_count=True)
            return PreparedVideo.original(
                video, resolution_wh=info.resolution_wh, frame_count=info.frame_count
            )
        return prepare_upload(
            video,
            out_dir=root / _INPUT_DIR,
            max_side=self.upload.max_side,
            start_frame=self.upload.start_frame,
            stop_frame=self.upload.stop_frame,
            timeout=_PREPARE_TIMEOUT_S,
        )

    def _prepare_identity(self, prepared: PreparedVideo) -> dict[str, Any] | None:
        """Return what the journal key must know about the preparation (``None`` when off).

        The uploaded file's SHA-256 enters the key anyway; this adds the options and the frame
        range they resolved to, so a re-run with other options never resumes this prediction.
        """
        if not self.upload.prepares:
            return None
        return {
            "upload_prepare": {
                "max_side": self.upload.max_side,
                "start_frame": self.upload.start_frame,
                "stop_frame": self.upload.stop_frame,
                "upload_wh": list(prepared.upload_wh),
                "upload_frames": [prepared.start_frame, prepared.stop_frame],
            }
        }

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
                timeout=self._client.timeouts.cancel + self._client.limits.max_poll_interval + 1.0,
            )
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return (
            {oid: outcome[0] for oid, outcome in outcomes.items()},
            [outcome[1] for outcome in outcomes.values()],
        )
