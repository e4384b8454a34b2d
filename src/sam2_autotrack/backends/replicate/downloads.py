"""Downloading a prediction's outputs: bounded concurrency, a size cap, atomic files, data URIs.

Every output goes to a name chosen here (``output_00000.png``, ...; never one taken from the
URL), through a temporary sibling renamed into place once complete, so a crash never leaves a
half-written file under a final name and a re-run keeps the files already complete. HTTP requests
go through the client's `Transport` (rate
gate, retries); ``data:`` URIs are decoded locally with the same size cap.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import os
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from replicate.helpers import FileOutput

from sam2_autotrack._fs import atomic_path, write_bytes_atomic
from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.replicate.exchange import Deadline, Reader, StoppedError
from sam2_autotrack.backends.replicate.options import Limits
from sam2_autotrack.backends.replicate.predictions import SUCCEEDED
from sam2_autotrack.backends.replicate.transport import Failure, Transport
from sam2_autotrack.errors import DownloadError, OutputsExpiredError, PredictionTimeoutError

__all__ = ["Downloader", "decode_data_uri", "source_url", "suffix_for"]

_SIBLINGS_STOP_S = 5.0
_SAFE_SUFFIXES = frozenset({".png", ".webp", ".jpg", ".jpeg", ".mp4", ".json", ".txt"})
_MIME_SUFFIX = {
    "image/png": ".png",
    "image/webp": ".webp",
    "image/jpeg": ".jpg",
    "video/mp4": ".mp4",
    "application/json": ".json",
    "text/plain": ".txt",
}


def source_url(source: Any) -> str:
    """Return the URL of an output: a URL string or a ``replicate`` ``FileOutput``.

    Raises
    ------
    DownloadError
        Any other type.
    """
    if isinstance(source, FileOutput):
        return str(source.url)
    if isinstance(source, str):
        return source
    raise DownloadError(
        f"cannot download an output of type {type(source).__name__}; expected a URL string or a "
        "replicate FileOutput (check the model's output schema)"
    )


def suffix_for(url: str) -> str:
    """Return a safe file suffix for an output URL (``.bin`` when unknown).

    Examples
    --------
    >>> suffix_for("https://replicate.delivery/x/mask.PNG"), suffix_for("https://x/y.exe")
    ('.png', '.bin')
    >>> suffix_for("data:image/webp;base64,AAAA"), suffix_for("http://[::1/x.png")
    ('.webp', '.bin')
    """
    if url.startswith("data:"):
        mime = url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
        return _MIME_SUFFIX.get(mime, ".bin")
    try:
        path = urllib.parse.urlsplit(url).path
    except ValueError:  # not a URL (e.g. a broken IPv6 host): the download will say so
        return ".bin"
    suffix = Path(path).suffix.lower()
    return suffix if suffix in _SAFE_SUFFIXES else ".bin"


def decode_data_uri(url: str, max_bytes: int) -> bytes:
    """Decode a ``data:`` URI output of at most ``max_bytes`` bytes.

    Examples
    --------
    >>> decode_data_uri("data:text/plain;base64,aGk=", 10)
    b'hi'
    """
    header, _, payload = url.partition(",")
    try:
        if header.endswith(";base64"):
            if len(payload) * 3 // 4 > max_bytes + 3:
                raise DownloadError(
                    f"data: URI output is larger than max_download_bytes={max_bytes}; raise "
                    "Limits.max_download_bytes if the output is expected to be this big",
                    url=url[:64],
                )
            data = base64.b64decode(payload, validate=False)
        else:
            data = urllib.parse.unquote_to_bytes(payload)
    except binascii.Error as exc:
        raise DownloadError(
            f"malformed base64 in a data: URI output ({exc}); the model returned a broken file",
            url=url[:64],
        ) from None
    if len(data) > max_bytes:
        raise DownloadError(
            f"data: URI output has {len(data)} bytes, more than max_download_bytes={max_bytes}; "
            "raise Limits.max_download_bytes if the output is expected to be this big",
            url=url[:64],
        )
    return data


def _stream_to(dest: Path, url: str, cap: int) -> Reader[Path]:
    def read(response: httpx.Response, stopped: Callable[[], bool]) -> Path:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise DownloadError(
                f"{url} is {int(declared)} bytes, more than max_download_bytes={cap}; raise "
                "Limits.max_download_bytes if the output is expected to be this big",
                url=url,
            )
        size = 0
        with atomic_path(dest) as tmp, tmp.open("wb") as handle:
            for chunk in response.iter_bytes():
                if stopped():
                    raise StoppedError
                size += len(chunk)
                if size > cap:
                    raise DownloadError(
                        f"{url} exceeded max_download_bytes={cap} while downloading; raise "
                        "Limits.max_download_bytes if the output is expected to be this big",
                        url=url,
                    )
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        return dest

    return read


def _naming(error: DownloadError, prediction_id: str | None) -> DownloadError:
    """Return ``error`` naming the prediction whose output failed."""
    if prediction_id is None or error.prediction_id is not None:
        return error
    return DownloadError(
        f"prediction {prediction_id}: {error}", url=error.url, prediction_id=prediction_id
    )


class Downloader:
    """Downloads outputs through a transport, several at once; the first failure stops all.

    Parameters
    ----------
    transport
        Sends the requests (rate gate, retries, deadlines; ``Timeouts.download`` per file).
    limits
        ``download_concurrency`` and ``max_download_bytes``.
    """

    def __init__(self, transport: Transport, limits: Limits) -> None:
        self.transport = transport
        self.limits = limits

    def download(
        self,
        items: Sequence[tuple[Any, Path]],
        *,
        client_for: Callable[[str], httpx.Client],
        prediction_id: str | None = None,
        progress: ProgressCallback | None = None,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """Download ``(source, destination)`` pairs; return the destinations in order.

        Parameters
        ----------
        items
            Sources (URL strings, ``data:`` URIs, ``FileOutput``) and where each goes. An
            existing destination is kept (it was written atomically, so it is complete).
        client_for
            The httpx client for a URL (only the API's own host gets the token).
        prediction_id
            Named in the errors.
        progress
            Called with ``("download", done, total)``.
        deadline
            No download goes past it.
        """
        total = len(items)
        if progress is not None:
            progress("download", 0, total)
        if not items:
            return []
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(self.limits.download_concurrency, total),
            thread_name_prefix="autotrack-dl",
        )
        abort = threading.Event()  # set on the first failure (or Ctrl-C): the siblings stop
        futures = [
            pool.submit(self._one, source, dest, client_for, prediction_id, deadline, abort)
            for source, dest in items
        ]
        try:
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                try:
                    future.result()
                except DownloadError as exc:
                    named = _naming(exc, prediction_id)
                    if named is exc:
                        raise
                    raise named from exc
                if progress is not None:
                    progress("download", done, total)
            return [dest for _, dest in items]
        except BaseException:
            abort.set()
            # Each sibling stops within a tick, its connection shut and its partial file removed;
            # wait for that, so nothing is still writing when the error reaches the caller.
            concurrent.futures.wait(futures, timeout=_SIBLINGS_STOP_S)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _one(
        self,
        source: Any,
        dest: Path,
        client_for: Callable[[str], httpx.Client],
        prediction_id: str | None,
        deadline: Deadline | None,
        abort: threading.Event,
    ) -> Path | None:
        if abort.is_set():
            return None
        if dest.exists():
            return dest
        url = source_url(source)
        cap = self.limits.max_download_bytes
        if url.startswith("data:"):
            return write_bytes_atomic(dest, decode_data_uri(url, cap))
        if not url.startswith(("https://", "http://")):
            raise DownloadError(
                f"output {url[:80]!r} is not an http(s) or data: URL; the model's output schema "
                "changed — pin an older version with ModelVersions(...)",
                url=url,
            )
        client = client_for(url)
        reply = self.transport.send(
            client,
            lambda _: client.build_request("GET", url),
            what=f"downloading {url}",
            read=_stream_to(dest, url, cap),
            fail=lambda failure: self._error(failure, url, prediction_id),
            budget=self.transport.timeouts.download,
            deadline=deadline,
            cancel=abort,
        )
        assert reply.value is not None
        return reply.value

    def _error(self, failure: Failure, url: str, prediction_id: str | None) -> Exception:
        status = failure.status
        if failure.kind == "canceled":
            return DownloadError(
                f"downloading {url} stopped because another output of the prediction failed",
                url=url,
                prediction_id=prediction_id,
            )
        if failure.kind == "deadline":
            return PredictionTimeoutError(
                f"prediction {prediction_id} succeeded, but downloading its outputs ran past the "
                f"deadline ({url}: {failure.reason}); it is journaled, so a re-run within the "
                "hour downloads them without paying again — raise Timeouts.prediction if the "
                "outputs are large or the connection slow",
                prediction_id=prediction_id,
                status=SUCCEEDED,
            )
        if failure.kind == "status" and status in (404, 410):
            return OutputsExpiredError(
                f"output {url} is gone (HTTP {status}): Replicate deletes API outputs one hour "
                "after the prediction; re-run with --no-resume (or resume=False), or delete the "
                "journal entry in the work directory",
                prediction_id=prediction_id,
                status=SUCCEEDED,
            )
        if failure.kind == "status" and status is not None and status < 500 and status != 429:
            return DownloadError(
                f"downloading {url} failed with HTTP {status}; the URL is not public or the "
                "output was moved — re-run the prediction",
                url=url,
            )
        return DownloadError(
            f"downloading {url} failed: {failure.reason}; check your network and re-run within "
            "the hour (the journal resumes the prediction)",
            url=url,
        )
