"""A Replicate-compatible HTTP server on 127.0.0.1 for tests and notebooks (stdlib + numpy + cv2).

It speaks the parts of Replicate's HTTP API the ``replicate`` client and sam2_autotrack use:

* ``POST /v1/files`` (multipart, field ``content``) → a file object whose ``urls.get`` it serves;
* ``POST /v1/predictions`` (``{"version", "input"}``; checks ``Authorization: Bearer|Token``);
* ``GET /v1/predictions/{id}`` and ``POST /v1/predictions/{id}/cancel``;
* ``GET /v1/predictions``: the predictions, newest first, ``list_page_size`` per page (``next``);
* ``GET /outputs/{id}/{name}``: the output files (no auth, like replicate.delivery).

Its models compute real answers from the uploaded data, so end-to-end results can be checked:

* ``meta/sam-2`` (image input): every 8-connected region of one flat colour with at least
  ``min_region_area`` pixels becomes a white-on-black PNG in ``individual_masks``.
* ``meta/sam-2-video``: the video is decoded with OpenCV; each positive click picks the colour
  under it on its frame; every ``output_frame_interval``-th frame from 0 gets a binary PNG: the
  union, over objects, of the pixels within ``colour_tolerance`` of their colour (frames before an
  object's click frame do not include it). ``mask_type="greenscreen"`` composites on green.
* ``adirik/grounding-dino`` (text prompts): see ``tests/fake_grounding_dino.py``; tests say what
  it recognises with ``server.grounding_dino.vocabulary = {"person": (B, G, R)}``. The SDK's
  ``GET /v1/models/adirik/grounding-dino[/versions/{id}]`` are served for it.

Behaviour is scriptable per test through :class:`Scenario` (``server.scenario = Scenario(...)``
for the next predictions): the status sequence, 429s on create (with or without ``Retry-After``),
503s on GET, ``failed`` with logs, ``canceled``, ``aborted``, ``data_removed``, 404/410 on the
outputs, predictions that hang until canceled — and hostile or broken servers (issue 14): routes
that never answer (``silent``) or drip their answer one byte at a time (``drip``), huge
``Retry-After`` values, malformed answers (HTML, ``[]``, unknown statuses), redirect loops,
broken encodings and invalid output URLs. Counters (``creates``, ``create_attempts``,
``uploads``, ``gets``, ``cancels``, ``downloads``) let tests assert what reached the server.

Standalone: ``python tests/fake_replicate.py --port 8765`` prints its URL; then
``REPLICATE_BASE_URL=http://127.0.0.1:8765 REPLICATE_API_TOKEN=test-token``.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import hashlib
import itertools
import json
import re
import struct
import tempfile
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fake_grounding_dino import (
    GDINO_MODEL,
    GDINO_VERSION,
    FakeGroundingDino,
    model_json,
    validation_errors,
    version_json,
)

IMAGE_VERSION = "fe97b453a6455861e3bac769b441ca1f1086110da7466dbb65cf1eecfd60dc83"
VIDEO_VERSION = "33432afdfc06a10da6b4018932893d39b0159f838b6d11dd1236dff85cc5ec1d"
DEFAULT_TOKEN = "test-token"
_MODELS = {
    IMAGE_VERSION: "meta/sam-2",
    VIDEO_VERSION: "meta/sam-2-video",
    GDINO_VERSION: GDINO_MODEL,
}


@dataclass
class Scenario:
    """How the next predictions behave (mutable; tests set fields before acting)."""

    statuses: list[str] = field(default_factory=lambda: ["starting", "processing"])
    """Statuses reported by successive GETs before the final one."""
    final: str = "succeeded"
    """``succeeded`` | ``failed`` | ``canceled`` | ``aborted``."""
    hang: bool = False
    """Stay ``processing`` until canceled (for timeouts and Ctrl-C)."""
    create_429: int = 0
    """Answer this many create attempts with 429 first."""
    retry_after: str | None = None
    """``Retry-After`` header of those 429s (``None``: no header)."""
    throttle_detail: str = "Request was throttled. Your rate limit resets in ~1s."
    get_503: int = 0
    """Answer this many GETs of a prediction with 503 first (counted over the server)."""
    create_500: int = 0
    """Answer this many create attempts with 500 first."""
    error: str | None = "CUDA out of memory"
    logs: str = "loading model\nprocessing frames\n"
    data_removed: bool = False
    """Report ``data_removed: true`` once the prediction succeeded."""
    output_status: int | None = None
    """Serve output files with this status (e.g. 404 or 410) instead of their content."""
    data_uri_outputs: bool = False
    """Return outputs as ``data:`` URIs instead of URLs."""
    predict_time: float = 1.25
    predict_time_per_frame: float | None = None
    """When set, a video prediction reports this many seconds per input frame as its
    ``predict_time`` instead of ``predict_time`` (so costs scale with the upload, as on
    Replicate)."""
    min_region_area: int = 16
    colour_tolerance: int = 40
    # -- hostile or broken server (issue 14) ------------------------------------------------
    get_503_retry_after: str | None = None
    """``Retry-After`` header of the 503s on GET (e.g. ``"86400"``)."""
    silent: frozenset[str] = frozenset()
    """Routes that take the request and never answer: ``upload``, ``create`` (the prediction is
    created first), ``get``, ``output``, ``cancel``, ``list``."""
    drip: dict[str, float] = field(default_factory=dict)
    """Routes whose answer is sent one byte every ``drip[route]`` seconds (headers at once)."""
    list_page_size: int = 20
    create_status: str | None = None
    """Status reported in the create answer (e.g. one the client does not know)."""
    create_body: bytes | None = None
    """Raw 201 body of the create answer (e.g. an HTML page), sent after creating it."""
    create_500_body: bytes | None = None
    """Raw body of the ``create_500`` answers (e.g. ``b"[]"``)."""
    get_html: int = 0
    """Answer this many prediction GETs with a 200 HTML page first (counted over the server)."""
    output_redirect_loop: bool = False
    """Output files redirect to themselves."""
    output_bad_encoding: bool = False
    """Output files claim ``Content-Encoding: gzip`` but are not gzip."""
    output_urls: list[str] | None = None
    """Replace the output URLs of the next predictions (e.g. with an invalid URL)."""
    output_size: int | None = None
    """Serve every output file as this many bytes, in 64 KiB chunks (a huge, slow file)."""
    output_chunk_delay: float = 0.0
    """Pause between those chunks."""
    output_fail: str | None = None
    """Name of one output file answered with 403 (the others are served normally)."""
    mask_bomb_wh: tuple[int, int] | None = None
    """``meta/sam-2`` answers one mask PNG whose header declares this size (a decompression bomb:
    ~100 bytes on the wire; its pixel data is truncated, no decoder should ever get that far)."""
    echo_token: bool = False
    """Copy the caller's token into every error detail, the prediction's error and logs, and an
    extra ``debug`` output key (a careless or hostile server)."""
    output_extra: dict[str, Any] | None = None
    """Extra keys of ``meta/sam-2``'s output (e.g. ``{"scores": [inf]}``: sent as ``Infinity``)."""


@dataclass
class _Prediction:
    id: str
    version: str
    model: str
    input: dict[str, Any]
    scenario: Scenario
    output: Any = None
    outputs: dict[str, bytes] = field(default_factory=dict)
    polls: int = 0
    canceled: bool = False
    created_at: str = ""
    model_error: str | None = None
    input_frames: int = 0

    def status(self) -> str:
        if self.model_error is not None:
            return "failed"
        if self.canceled:
            return "canceled"
        if self.scenario.hang:
            return "processing" if self.polls else "starting"
        if self.polls < len(self.scenario.statuses):
            return self.scenario.statuses[self.polls]
        return self.scenario.final


# -- model logic --------------------------------------------------------------------------------


def _png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


def _encode(array: np.ndarray, fmt: str, quality: int) -> bytes:
    if fmt == "png":
        return _png(array)
    params = [cv2.IMWRITE_JPEG_QUALITY if fmt == "jpg" else cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, buf = cv2.imencode(f".{fmt}", array, params)
    assert ok
    return buf.tobytes()


def bomb_png(width: int, height: int, rows: int = 8) -> bytes:
    """Return an 8-bit grey PNG declaring ``width`` x ``height``, holding only ``rows`` rows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + one zero per pixel
    data = b"".join(packer.compress(row) for _ in range(min(rows, height))) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def flat_regions(image_bgr: np.ndarray, min_area: int) -> list[np.ndarray]:
    """Every 8-connected region of one exact colour with at least ``min_area`` pixels."""
    flat = image_bgr.reshape(-1, 3)
    colours, inverse = np.unique(flat, axis=0, return_inverse=True)
    inverse = inverse.reshape(image_bgr.shape[:2])
    masks = []
    for index in range(len(colours)):
        count, labels = cv2.connectedComponents((inverse == index).astype(np.uint8), connectivity=8)
        for label in range(1, count):
            region = labels == label
            if int(region.sum()) >= min_area:
                masks.append(region)
    masks.sort(key=lambda m: -int(m.sum()))
    return masks


def _parse_clicks(inputs: dict[str, Any]) -> list[tuple[int, int, int, int, str]]:
    coords = [
        (int(x), int(y))
        for x, y in re.findall(r"\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]", inputs["click_coordinates"])
    ]
    n = len(coords)

    def cyclic(text: str, default: str) -> list[str]:
        items = [p.strip() for p in (text or default).split(",")]
        return (items * n)[:n]

    labels = cyclic(str(inputs.get("click_labels", "1")), "1")
    frames = cyclic(str(inputs.get("click_frames", "0")), "0")
    ids = [p.strip() for p in str(inputs.get("click_object_ids", "")).split(",") if p.strip()]
    ids += [f"object_{i}" for i in range(len(ids) + 1, n + 1)]
    return [
        (x, y, int(label), int(frame), oid)
        for (x, y), label, frame, oid in zip(coords, labels, frames, ids[:n], strict=True)
    ]


def _decode_video(data: bytes, name: str) -> list[np.ndarray]:
    suffix = Path(name).suffix or ".mp4"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        capture = cv2.VideoCapture(handle.name)
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        capture.release()
    if not frames:
        raise ValueError("could not decode the input video")
    return frames


# -- the server ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """The fake's HTTP server: a listen backlog for the client's parallel downloads.

    ``socketserver``'s default backlog is 5; the backend downloads 8 outputs at once, and on a
    loaded machine a connection refused by a full backlog is only retried by the kernel after
    1, 3, 7 ... seconds, which can outlast the tests' 20 s prediction deadline.
    """

    request_queue_size = 128
    daemon_threads = True


class FakeReplicate:
    """The server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.scenario = Scenario()
        self.lock = threading.Lock()
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.predictions: dict[str, _Prediction] = {}
        self.create_attempts = 0
        self.creates = 0
        self.uploads = 0
        self.gets = 0
        self.cancels: list[str] = []
        self.downloads = 0
        self.lists = 0
        self.output_bytes = 0
        """Bytes of output files written to clients so far."""
        self.requests: list[tuple[str, str, str | None]] = []
        self.user_agents: list[tuple[str, str, str | None]] = []
        """``(method, path, User-Agent)`` of every request, in order."""
        self.grounding_dino = FakeGroundingDino()
        self._get_503_served = 0
        self._get_html_served = 0
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeReplicate:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # silent and dripping answers end
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeReplicate:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_status(self, status: str, *, timeout: float = 5.0) -> _Prediction:
        """Block until some prediction reports ``status`` (for Ctrl-C tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for prediction in self.predictions.values():
                    if prediction.polls and prediction.status() == status:
                        return prediction
            time.sleep(0.01)
        raise TimeoutError(f"no prediction reached {status!r} within {timeout} s")

    # -- model logic ------------------------------------------------------------------------

    def _file_bytes(self, url: str) -> tuple[str, bytes]:
        match = re.search(r"/v1/files/([^/]+)/download$", url)
        if not match or match.group(1) not in self.files:
            raise ValueError(f"unknown input file URL {url}")
        name, _, data = self.files[match.group(1)]
        return name, data

    def _run_model(self, prediction: _Prediction) -> None:
        scenario = prediction.scenario
        inputs = prediction.input
        base = f"{self.url}/outputs/{prediction.id}"
        if prediction.version == GDINO_VERSION:
            self._run_grounding_dino(prediction, base)
            return
        try:
            if "image" in inputs:
                _, data = self._file_bytes(str(inputs["image"]))
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                masks = flat_regions(image, scenario.min_region_area)
                names = [f"mask_{i}.png" for i in range(len(masks))]
                for name, mask in zip(names, masks, strict=True):
                    prediction.outputs[name] = _png(mask.astype(np.uint8) * 255)
                if scenario.mask_bomb_wh is not None:
                    names = ["mask_0.png"]
                    prediction.outputs["mask_0.png"] = bomb_png(*scenario.mask_bomb_wh)
                prediction.outputs["combined_mask.png"] = _png(np.full((8, 8), 255, np.uint8))
                prediction.output = {
                    "combined_mask": self._output_ref(prediction, base, "combined_mask.png"),
                    "individual_masks": [self._output_ref(prediction, base, n) for n in names],
                }
            else:
                name, data = self._file_bytes(str(inputs["input_video"]))
                frames = _decode_video(data, name)
                prediction.input_frames = len(frames)
                clicks = [c for c in _parse_clicks(inputs) if c[2] == 1]
                colours = [(frames[f][y, x].astype(np.int16), f) for x, y, _, f, _ in clicks]
                interval = int(inputs.get("output_frame_interval", 1))
                fmt = str(inputs.get("output_format", "webp"))
                quality = int(inputs.get("output_quality", 80))
                mask_type = str(inputs.get("mask_type", "binary"))
                refs = []
                for t in range(0, len(frames), interval):
                    union = np.zeros(frames[t].shape[:2], dtype=bool)
                    for colour, first in colours:
                        if t >= first:
                            diff = np.abs(frames[t].astype(np.int16) - colour).max(axis=2)
                            union |= diff <= scenario.colour_tolerance
                    if mask_type == "greenscreen":
                        image = np.where(union[..., None], frames[t], np.array([0, 255, 0]))
                        payload = _encode(image.astype(np.uint8), fmt, quality)
                    else:
                        payload = _encode(union.astype(np.uint8) * 255, fmt, quality)
                    out = f"frame_{t:05d}.{fmt}"
                    prediction.outputs[out] = payload
                    refs.append(self._output_ref(prediction, base, out))
                prediction.output = refs
            if scenario.output_extra is not None and isinstance(prediction.output, dict):
                prediction.output.update(scenario.output_extra)
            if scenario.output_urls is not None:
                urls = list(scenario.output_urls)
                if isinstance(prediction.output, dict):
                    prediction.output["individual_masks"] = urls
                else:
                    prediction.output = urls
        except (ValueError, KeyError, IndexError) as exc:
            prediction.model_error = f"{exc.__class__.__name__}: {exc}"

    def _run_grounding_dino(self, prediction: _Prediction, base: str) -> None:
        def put_output(name: str, data: bytes) -> str:
            prediction.outputs[name] = data
            return self._output_ref(prediction, base, name)

        try:
            prediction.output = self.grounding_dino.predict(
                prediction.input, lambda uri: self._file_bytes(uri)[1], put_output
            )
        except (AttributeError, OSError, ValueError) as exc:
            prediction.model_error = f"{exc.__class__.__name__}: {exc}"

    @staticmethod
    def _output_ref(prediction: _Prediction, base: str, name: str) -> str:
        if prediction.scenario.data_uri_outputs:
            import base64

            payload = base64.b64encode(prediction.outputs[name]).decode("ascii")
            return f"data:image/png;base64,{payload}"
        return f"{base}/{name}"

    def prediction_json(self, prediction: _Prediction) -> dict[str, Any]:
        status = prediction.status()
        scenario = prediction.scenario
        body: dict[str, Any] = {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version,
            "input": prediction.input,
            "logs": scenario.logs if status != "starting" else "",
            "output": None,
            "error": None,
            "status": status,
            "created_at": prediction.created_at,
            "started_at": prediction.created_at if status != "starting" else None,
            "completed_at": None,
            "urls": {
                "get": f"{self.url}/v1/predictions/{prediction.id}",
                "cancel": f"{self.url}/v1/predictions/{prediction.id}/cancel",
            },
            "metrics": {},
        }
        if status == "succeeded":
            body["output"] = None if scenario.data_removed else prediction.output
            seconds = scenario.predict_time
            if scenario.predict_time_per_frame is not None and prediction.input_frames:
                seconds = scenario.predict_time_per_frame * prediction.input_frames
            body["metrics"] = {"predict_time": seconds}
            body["completed_at"] = prediction.created_at
            if scenario.data_removed:
                body["data_removed"] = True
        elif status == "failed":
            body["error"] = prediction.model_error or scenario.error
            body["logs"] = scenario.logs + "Traceback (most recent call last):\nRuntimeError: boom"
        if scenario.echo_token:
            echo = f" [env REPLICATE_API_TOKEN={self.token}]"
            body["logs"] = (body["logs"] or "") + echo
            if body["error"]:
                body["error"] += echo
            if isinstance(body["output"], dict):
                body["output"] = {**body["output"], "debug": echo}
        return body


def _make_handler(server: FakeReplicate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        # -- plumbing --------------------------------------------------------------------

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(
            self,
            status: int,
            payload: Any = None,
            *,
            raw: bytes | None = None,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = raw if raw is not None else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            interval = server.scenario.drip.get(self._route) if self._route else None
            if interval is None:
                self.wfile.write(data)
                return
            for index in range(len(data)):  # a peer that is never silent long enough to time out
                if server._stopping.wait(interval):
                    return
                try:
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return

        _route: str | None = None

        def _silent(self, route: str) -> bool:
            """Route the answer; for a silent route, hold the connection open and never answer."""
            self._route = route
            if route not in server.scenario.silent:
                return False
            server._stopping.wait(120)
            self.close_connection = True
            return True

        def _problem(self, status: int, title: str, detail: str, **headers: str) -> None:
            if server.scenario.echo_token:
                detail = f"{detail} (request made with {self.headers.get('Authorization')})"
            self._send(
                status, {"title": title, "detail": detail, "status": status}, headers=headers
            )

        def _authorized(self) -> bool:
            auth = self.headers.get("Authorization") or ""
            if auth in (f"Bearer {server.token}", f"Token {server.token}"):
                return True
            self._problem(401, "Unauthenticated", "You did not pass a valid authentication token")
            return False

        # -- routes ----------------------------------------------------------------------

        def do_GET(self) -> None:
            self._route = None
            path = urllib.parse.urlsplit(self.path).path
            with server.lock:
                server.requests.append(("GET", path, self.headers.get("Authorization")))
                server.user_agents.append(("GET", path, self.headers.get("User-Agent")))
            if path.startswith("/outputs/"):
                if not self._silent("output"):
                    self._serve_output(path)
                return
            if not self._authorized():
                return
            match = re.fullmatch(r"/v1/files/([^/]+)/download", path)
            if match:
                with server.lock:
                    entry = server.files.get(match.group(1))
                if entry is None:
                    self._problem(404, "Not found", "no such file")
                else:
                    self._send(200, raw=entry[2], content_type=entry[1])
                return
            if path == "/v1/predictions":
                if not self._silent("list"):
                    self._list()
                return
            if path.startswith("/v1/models/"):
                self._model(path)
                return
            match = re.fullmatch(r"/v1/predictions/([^/]+)", path)
            if not match:
                self._problem(404, "Not found", f"no route {path}")
                return
            if self._silent("get"):
                return
            with server.lock:
                server.gets += 1
                prediction = server.predictions.get(match.group(1))
                html = prediction is not None and server._get_html_served < server.scenario.get_html
                if html:
                    server._get_html_served += 1
            if html:
                self._send(
                    200, raw=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"
                )
                return
            with server.lock:
                if prediction is not None and server._get_503_served < prediction.scenario.get_503:
                    server._get_503_served += 1
                    busy = True
                else:
                    busy = False
                    if prediction is not None:
                        prediction.polls += 1
                        body = server.prediction_json(prediction)
            if prediction is None:
                self._problem(404, "Not found", "The requested resource could not be found.")
            elif busy:
                retry_after = prediction.scenario.get_503_retry_after
                extra = {"Retry-After": retry_after} if retry_after is not None else {}
                self._problem(503, "Service Unavailable", "try again", **extra)
            else:
                self._send(200, body)

        def _model(self, path: str) -> None:
            if path == f"/v1/models/{GDINO_MODEL}":
                self._send(200, model_json(server.url))
            elif path == f"/v1/models/{GDINO_MODEL}/versions/{GDINO_VERSION}":
                self._send(200, version_json(server.url))
            else:
                self._problem(404, "Not found", "The requested resource could not be found.")

        def _stream_zeros(self, size: int, delay: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = bytes(64 << 10)
            left = size
            while left > 0 and not server._stopping.wait(delay):
                piece = chunk[: min(left, len(chunk))]
                try:
                    self.wfile.write(piece)
                except OSError:  # the client hung up
                    return
                left -= len(piece)
                with server.lock:
                    server.output_bytes += len(piece)

        def _list(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            start = int((query.get("cursor") or ["0"])[0])
            with server.lock:
                server.lists += 1
                size = server.scenario.list_page_size
                newest_first = list(reversed(server.predictions.values()))
                page = [server.prediction_json(p) for p in newest_first[start : start + size]]
                more = start + size < len(newest_first)
            following = f"{server.url}/v1/predictions?cursor={start + size}" if more else None
            self._send(200, {"results": page, "next": following, "previous": None})

        def _serve_output(self, path: str) -> None:
            match = re.fullmatch(r"/outputs/([^/]+)/([^/]+)", path)
            with server.lock:
                prediction = server.predictions.get(match.group(1)) if match else None
                server.downloads += 1
            if prediction is None or match is None:
                self._problem(404, "Not found", "no such output")
                return
            scenario = prediction.scenario
            if scenario.output_status is not None:
                self._problem(scenario.output_status, "Gone", "output deleted")
                return
            if scenario.output_fail is not None and match.group(2) == scenario.output_fail:
                self._problem(403, "Forbidden", "this output is not yours")
                return
            if scenario.output_size is not None:
                self._stream_zeros(scenario.output_size, scenario.output_chunk_delay)
                return
            if scenario.output_redirect_loop:
                self.send_response(302)
                self.send_header("Location", path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if scenario.output_bad_encoding:
                garbage = b"this is not gzip at all" * 10
                self._send(200, raw=garbage, headers={"Content-Encoding": "gzip"})
                return
            data = prediction.outputs.get(match.group(2))
            if data is None:
                self._problem(404, "Not found", "no such output")
                return
            self._send(200, raw=data, content_type="application/octet-stream")

        def do_POST(self) -> None:
            self._route = None
            path = urllib.parse.urlsplit(self.path).path
            body = self._body()
            with server.lock:
                server.requests.append(("POST", path, self.headers.get("Authorization")))
                server.user_agents.append(("POST", path, self.headers.get("User-Agent")))
            if not self._authorized():
                return
            if path == "/v1/files":
                if not self._silent("upload"):
                    self._upload(body)
                return
            if path == "/v1/predictions":
                self._create(body)
                return
            match = re.fullmatch(r"/v1/predictions/([^/]+)/cancel", path)
            if match:
                if self._silent("cancel"):
                    return
                with server.lock:
                    prediction = server.predictions.get(match.group(1))
                    server.cancels.append(match.group(1))
                    if prediction is not None and prediction.status() not in (
                        "succeeded",
                        "failed",
                    ):
                        prediction.canceled = True
                    payload = server.prediction_json(prediction) if prediction else None
                if payload is None:
                    self._problem(404, "Not found", "no such prediction")
                else:
                    self._send(200, payload)
                return
            self._problem(404, "Not found", f"no route {path}")

        def _upload(self, body: bytes) -> None:
            content_type = self.headers.get("Content-Type") or ""
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body
            )
            part = None
            if message.is_multipart():
                for candidate in message.iter_parts():
                    if candidate.get_param("name", header="content-disposition") == "content":
                        part = candidate
            if part is None:
                self._problem(400, "Bad request", "multipart field 'content' missing")
                return
            data = part.get_payload(decode=True) or b""
            name = part.get_filename() or "file"
            with server.lock:
                server.uploads += 1
                file_id = f"file{next(server._ids)}"
                server.files[file_id] = (name, part.get_content_type(), data)
            self._send(
                201,
                {
                    "id": file_id,
                    "name": name,
                    "content_type": part.get_content_type(),
                    "size": len(data),
                    "etag": hashlib.md5(data).hexdigest(),
                    "checksums": {"sha256": hashlib.sha256(data).hexdigest()},
                    "metadata": {},
                    "created_at": "2025-01-01T00:00:00Z",
                    "expires_at": None,
                    "urls": {"get": f"{server.url}/v1/files/{file_id}/download"},
                },
            )

        def _create(self, body: bytes) -> None:
            with server.lock:
                server.create_attempts += 1
                scenario = server.scenario
                if server.create_attempts <= scenario.create_429:
                    throttle = True
                elif server.create_attempts <= scenario.create_429 + scenario.create_500:
                    if scenario.create_500_body is not None:
                        self._send(500, raw=scenario.create_500_body)
                    else:
                        self._problem(500, "Internal Server Error", "something broke")
                    return
                else:
                    throttle = False
            if throttle:
                headers = {}
                if scenario.retry_after is not None:
                    headers["Retry-After"] = scenario.retry_after
                self._problem(429, "Request was throttled", scenario.throttle_detail, **headers)
                return
            try:
                request = json.loads(body)
                version = str(request["version"])
                inputs = dict(request["input"])
            except (ValueError, KeyError, TypeError):
                self._problem(422, "Invalid input", "body must be {'version', 'input'}")
                return
            if version not in (IMAGE_VERSION, VIDEO_VERSION, GDINO_VERSION):
                self._problem(422, "Invalid version", f"version {version} does not exist")
                return
            invalid = validation_errors(inputs) if version == GDINO_VERSION else []
            if invalid:
                detail = "".join(f"- {line}\n" for line in invalid)
                self._problem(422, "Input validation failed", detail)
                return
            with server.lock:
                server.creates += 1
                prediction_id = f"fake{next(server._ids):06d}"
                prediction = _Prediction(
                    id=prediction_id,
                    version=version,
                    model=_MODELS[version],
                    input=inputs,
                    scenario=scenario,
                    created_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                )
                server.predictions[prediction_id] = prediction
            server._run_model(prediction)
            if self._silent("create"):  # created (and paid for), but the answer never comes
                return
            if scenario.create_body is not None:
                self._send(201, raw=scenario.create_body, content_type="text/html")
                return
            with server.lock:
                payload = server.prediction_json(prediction)
            if scenario.create_status is not None:
                payload["status"] = scenario.create_status
            self._send(201, payload)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args()
    server = FakeReplicate(token=args.token, port=args.port)
    print(f"fake Replicate at {server.url} (token {args.token!r}); Ctrl-C to stop", flush=True)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
