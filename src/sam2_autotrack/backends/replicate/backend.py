"""Replicate's hosted SAM 2 as a `Backend`: [`ReplicateBackend`][sam2_autotrack.ReplicateBackend].

``propose`` runs ``meta/sam-2`` on frame 0 and decodes its ``individual_masks``; ``track`` runs
``meta/sam-2-video`` from a click set and returns per-object masks by one of the per-object
strategies of `strategies` (one prediction whose union is
split locally by [`split`][sam2_autotrack.backends.replicate.split], plus short per-object re-runs
where that split is unsure, or one prediction per object). The HTTP side — retries, polling,
cancel, resume journal, downloads — is
[`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient]; what is sent is configured
by the option objects of `options` and
[`ModelVersions`][sam2_autotrack.backends.replicate.ModelVersions].
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack.backends.base import MaskProposals, ObjectTracks, ProgressCallback
from sam2_autotrack.backends.cost import CostReport, PredictionCost
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
from sam2_autotrack.backends.replicate.outputs import individual_masks
from sam2_autotrack.backends.replicate.split.options import AutoOptions
from sam2_autotrack.backends.replicate.strategies import (
    INPUT_DIR,
    PREPARE_TIMEOUT_S,
    VideoTracking,
)
from sam2_autotrack.backends.replicate.upload import PreparedVideo, prepare_upload
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ClickError, ConfigError, MaskError, VideoNotFoundError
from sam2_autotrack.masks.health_meter import health_to_json, measure_health
from sam2_autotrack.masks.png import decode_mask
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.video.probe import probe_video

__all__ = ["ReplicateBackend"]

PerObject = Literal["auto", "image", "split", "separate"]
_PER_OBJECT = ("auto", "image", "split", "separate")
_CLIENT_SETTINGS = ("api_token", "base_url", "transport", "timeouts", "retries", "limits")


def _without_credentials(url: str) -> str:
    """Return ``url`` without a ``user:password@`` part (never recorded in a manifest)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class ReplicateBackend:
    """Hosted SAM 2 on Replicate: ``meta/sam-2`` proposals, ``meta/sam-2-video`` tracking.

    ``meta/sam-2-video`` returns one *union* mask per frame for all objects (``mask_type=
    "binary"``). Cost and accuracy of the per-object strategies (``per_object``), measured by
    ``benchmarks/bench_union_split.py`` against a server whose tracker is perfect:

    ``"auto"`` (default)
        The ``"image"`` split, then the frames where it is unsure — objects sharing a union
        component, an object that vanishes and comes back, low colour purity — are grouped into
        short windows, and only those are re-run per object on trimmed uploads (each object's
        clicks on the window's first frame, from its confident split mask there) and stitched
        back ([`AutoOptions`][sam2_autotrack.backends.replicate.split.AutoOptions] sets the rules
        and the budget: at most ``max_extra_frames`` times the union's uploaded frames). Cost: one
        prediction plus a few short ones. J&F within 0.01 of ``"separate"`` on the benchmark.
    ``"image"``
        One prediction; the union is divided with image evidence: the embedded engine's flow
        and colour propagation runs *inside* the union (SAM 2 says where the foreground is, the
        propagation whose it is), with per-object colour models that re-identify an object when
        it reappears ([`ImageSplitter`][sam2_autotrack.backends.replicate.split.ImageSplitter]).
    ``"split"``
        One prediction; the union is divided by geometry alone
        ([`split_union`][sam2_autotrack.backends.replicate.split_union]: identity carried forward
        from the frame-0 clicks). Exact while objects stay apart; loses identity where one passes
        behind another or they cross.
    ``"separate"``
        One prediction per object, run concurrently: exact per-object masks, N times the cost
        (and N cold starts worst case).

    Every strategy decodes the mask frames one at a time and appends them to each object's
    [`MaskSequence`][sam2_autotrack.masks.MaskSequence], so memory does not grow with the clip.
    The tracks carry a [`CostReport`][sam2_autotrack.backends.CostReport] of every prediction made.

    Every option object is also accepted as a dict of its fields, and validated here, before
    any work (a bad value raises [`ConfigError`][sam2_autotrack.ConfigError]).

    Parameters
    ----------
    api_token, base_url, transport, timeouts, retries, limits
        Settings of the [`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient] the
        backend builds (token from ``$REPLICATE_API_TOKEN``, checked before any upload; API
        root from ``$REPLICATE_BASE_URL``; ``Timeouts.prediction`` bounds each prediction).
    client
        A shared, ready client instead (then none of the settings above may be given).
    models
        [`ModelVersions`][sam2_autotrack.backends.replicate.ModelVersions] (pinned by default).
    image_inputs
        [`ImageModelInputs`][sam2_autotrack.backends.replicate.ImageModelInputs] for ``meta/sam-2``.
    video_inputs
        [`VideoModelInputs`][sam2_autotrack.backends.replicate.VideoModelInputs] for
        ``meta/sam-2-video``.
    upload
        [`UploadOptions`][sam2_autotrack.backends.replicate.UploadOptions]: off by default (the
        original file is uploaded, never re-encoded); trims and/or downscales the upload.
    per_object
        ``"auto"``, ``"image"``, ``"split"`` or ``"separate"``, see above.
    auto
        [`AutoOptions`][sam2_autotrack.backends.replicate.split.AutoOptions] of the ``"auto"``
        strategy.
    resume
        Reuse journaled predictions in ``work_dir`` (see
        [`ReplicateClient.run`][sam2_autotrack.backends.replicate.ReplicateClient.run]).

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
        per_object: PerObject = "auto",
        auto: AutoOptions | dict[str, Any] | None = None,
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
        self.auto: AutoOptions = AutoOptions.coerce(auto) or AutoOptions()
        if per_object not in _PER_OBJECT:
            raise ConfigError(
                f"invalid ReplicateBackend: per_object={per_object!r}: must be 'auto' (one "
                "prediction, unsure stretches re-run per object), 'image' or 'split' (one "
                "prediction, union split locally with or without the image) or 'separate' (one "
                "prediction per object)"
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
        self.per_object: PerObject = per_object
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
        """Models, versions and options for the run manifest (never the token).

        Returns
        -------
        dict[str, Any]
            ``name``, ``base_url`` (credentials removed), the models, every input and upload
            option, ``per_object``, ``resume`` and the client's timeouts, retries and limits.
        """
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
            "auto": self.auto.model_dump(mode="json"),
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

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB image, at the video's own size.
        video
            Unused.
        work_dir
            Where the upload and the prediction's journal and downloads are kept; with
            ``resume``, a prediction recorded there is resumed, not paid again. ``None``: a
            temporary folder.

        Returns
        -------
        MaskProposals
            The model's masks at the image's size (no scores), with the prediction id and its
            [`CostReport`][sam2_autotrack.backends.CostReport].

        Raises
        ------
        MaskError
            The image cannot be encoded, or a returned mask is not of the image's size.
        BackendError
            The prediction failed, timed out or was cancelled, the API refused the request, or
            an output could not be downloaded (a subclass says which, e.g.
            [`PredictionFailedError`][sam2_autotrack.PredictionFailedError]).
        """
        started = time.monotonic()
        image = as_rgb_image(image_rgb)
        height, width = image.shape[:2]
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise MaskError("could not encode the image as PNG; pass an (H, W, 3) uint8 array")
        data = encoded.tobytes()
        with self._work_dir(work_dir) as (root, resume):
            image_path = root / INPUT_DIR / f"image_{hashlib.sha256(data).hexdigest()[:16]}.png"
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
        cost = PredictionCost(
            prediction_id=result.prediction_id,
            model=self.models.image_model,
            purpose="proposals",
            frames_uploaded=1,
            predict_time=result.predict_time,
            resumed=result.resumed,
        )
        return MaskProposals(
            masks=stack,
            scores=None,
            prediction_id=result.prediction_id,
            seconds=time.monotonic() - started,
            cost=CostReport((cost,)),
        )

    # -- tracking ----------------------------------------------------------------------------

    def track(
        self,
        video: Path,
        clicks: ClickSet,
        *,
        work_dir: Path | None = None,
        progress: ProgressCallback | None = None,
        frames: tuple[int, int] | None = None,
    ) -> ObjectTracks:
        """Track every object of ``clicks`` through ``video`` with ``meta/sam-2-video``.

        With ``frames=(start, stop)`` only those source frames are uploaded (trimmed, and
        downscaled as [`UploadOptions`][sam2_autotrack.backends.replicate.UploadOptions] says):
        the masks cover them only (``frame_indices`` from ``start``) and every click must lie in
        them. Re-discovery tracks the objects it finds on a keyframe this way.

        By default the original file is uploaded (never re-encoded). With
        [`UploadOptions`][sam2_autotrack.backends.replicate.UploadOptions] set, the upload is
        prepared by [`prepare_upload`][sam2_autotrack.backends.replicate.prepare_upload] (kept in
        ``work_dir`` and reused), the clicks are moved into it and the masks brought back to the
        source's size and frame numbering. The four click strings come from
        ``clicks.to_replicate()``. The mask frames are downloaded, then decoded one at a time, split
        per object by ``per_object`` and appended to each object's
        [`MaskSequence`][sam2_autotrack.masks.MaskSequence]. The returned tracks carry a
        [`CostReport`][sam2_autotrack.backends.CostReport] of every prediction made.

        ``info["health"]`` is, as the local engine's, per object id the stretches where the track
        should not be trusted: each ``{"kind", "start", "stop", "detail"}`` with ``kind`` one of
        ``"lost"``, ``"drift"``, ``"leak"``, ``"jump"`` and ``start``/``stop`` mask-frame positions
        (an empty list is a healthy track). It is judged by
        [`measure_health`][sam2_autotrack.masks.measure_health] on the final masks of every
        strategy (after the split and any stitched re-run), read back one frame at a time and
        subsampled to at most 480 pixels on the longest side; ``info["health_seconds"]`` is what
        it cost.

        Parameters
        ----------
        video
            The video file.
        clicks
            The seed clicks, grouped by object id, made on the video's own frames.
        work_dir
            Where the prepared upload, the predictions' journals and the downloads are kept; with
            ``resume``, a prediction recorded there is resumed, not paid again. ``None``: a
            temporary folder.
        progress
            Called as ``progress(stage, done, total)`` while uploading, predicting and
            downloading.
        frames
            ``(start, stop)``: upload only these source frames (see above); ``None``: all of
            them, as the upload options say.

        Returns
        -------
        ObjectTracks
            One mask sequence per object id at the source's size and frame numbering; ``cost``
            lists every prediction made.

        Raises
        ------
        VideoNotFoundError
            ``video`` does not exist.
        ClickError
            Clicks made on a frame of another size than the video's.
        BackendError
            The prediction failed, timed out or was cancelled, the API refused the request, or
            an output could not be downloaded.
        MaskError
            A returned mask cannot be decoded or is not of the video's size.
        """
        video = Path(video)
        if not video.is_file():
            raise VideoNotFoundError(
                f"video {video} does not exist; pass the path of the clip to track", path=video
            )
        object_ids = clicks.object_ids
        strategy = self.per_object if len(object_ids) > 1 else "single"
        info: dict[str, Any] = {}
        with self._work_dir(work_dir) as (root, resume):
            prepared = self._prepare(video, root, frames)
            resolution_wh = prepared.source_wh
            if clicks.resolution_wh is not None and tuple(clicks.resolution_wh) != resolution_wh:
                raise ClickError(
                    f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} "
                    f"frame but {video.name} is {resolution_wh[0]}x{resolution_wh[1]}; make the "
                    "clicks on the video's own frame 0 (no resizing)"
                )
            tracking = VideoTracking(
                client=self._client,
                models=self.models,
                video_inputs=self.video_inputs,
                upload=self.upload,
                auto=self.auto,
                video=video,
                root=root,
                resume=resume,
                progress=progress,
            )
            extra = self._prepare_identity(prepared, trimmed=frames is not None)
            if strategy == "separate":
                masks, costs = tracking.separately(prepared, clicks, extra)
            else:
                masks, costs, info = tracking.union(prepared, clicks, strategy, extra)
        # Track health, on the final masks (after any split and stitch), one frame at a time.
        judged = time.perf_counter()
        info["health"] = health_to_json(measure_health(masks))
        info["health_seconds"] = round(time.perf_counter() - judged, 4)
        k = self.video_inputs.output_frame_interval
        count = len(next(iter(masks.values())))
        times = [c.predict_time for c in costs if c.predict_time is not None]
        return ObjectTracks(
            masks=masks,
            frame_indices=np.arange(count, dtype=np.int64) * k + prepared.start_frame,
            frame_count=prepared.source_frame_count,
            prediction_ids=tuple(c.prediction_id for c in costs),
            predict_time=float(sum(times)) if len(times) == len(costs) else None,
            info={
                "backend": self.name,
                "video_model": self.models.video_model,
                "video_version": self.models.video_version,
                "per_object": strategy,
                "output_frame_interval": k,
                "mask_type": self.video_inputs.mask_type,
                "resumed": any(c.resumed for c in costs),
                "upload": {
                    "reencoded": prepared.reencoded,
                    "resolution_wh": list(prepared.upload_wh),
                    "start_frame": prepared.start_frame,
                    "frame_count": prepared.frame_count,
                },
                **info,
            },
            cost=CostReport(tuple(costs)),
        )

    def _prepare(
        self, video: Path, root: Path, frames: tuple[int, int] | None = None
    ) -> PreparedVideo:
        """Return the upload: ``video`` itself, or its trimmed/downscaled re-encode in ``root``.

        ``frames`` (source ``start, stop``) trims it further, within the options' own range.
        """
        if frames is not None:
            start = max(frames[0], self.upload.start_frame or 0)
            stop = (
                frames[1]
                if self.upload.stop_frame is None
                else min(frames[1], self.upload.stop_frame)
            )
            return prepare_upload(
                video,
                out_dir=root / INPUT_DIR,
                max_side=self.upload.max_side,
                start_frame=start,
                stop_frame=stop,
                timeout=PREPARE_TIMEOUT_S,
            )
        if not self.upload.prepares:
            # Exact count, as the hosted model will decode it.
            info = probe_video(video, exact_frame_count=True)
            return PreparedVideo.original(
                video, resolution_wh=info.resolution_wh, frame_count=info.frame_count
            )
        return prepare_upload(
            video,
            out_dir=root / INPUT_DIR,
            max_side=self.upload.max_side,
            start_frame=self.upload.start_frame,
            stop_frame=self.upload.stop_frame,
            timeout=PREPARE_TIMEOUT_S,
        )

    def _prepare_identity(
        self, prepared: PreparedVideo, *, trimmed: bool = False
    ) -> dict[str, Any] | None:
        """Return what the journal key must know about the preparation (``None`` when off).

        The uploaded file's SHA-256 enters the key anyway; this adds the options and the frame
        range they resolved to, so a re-run with other options never resumes this prediction.
        """
        if not self.upload.prepares and not trimmed:
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
