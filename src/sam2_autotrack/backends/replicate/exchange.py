"""One HTTP exchange under a wall-clock deadline: send, read the answer, give up on time.

httpx's timeouts are per operation: a peer that drips one byte every few seconds never trips the
read timeout, so a request (or a download) could take forever. `exchange` runs the request
and the reading of its answer on a daemon worker thread and waits for it only until the deadline
(or until a sibling cancels it); then it aborts the exchange: the reader is told to stop and the
connection's socket is shut down, which wakes the worker at once. The worker's per-operation
timeouts are clipped to the same deadline, so even an exchange that cannot be reached that way
(a reused connection still waiting for its headers) ends within one operation timeout.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

__all__ = [
    "CanceledExchangeError",
    "Deadline",
    "MalformedAnswerError",
    "Outcome",
    "Reader",
    "StoppedError",
    "WallClockTimeoutError",
    "exchange",
    "read_capped",
    "read_json",
]

T = TypeVar("T")
Reader = Callable[[httpx.Response, Callable[[], bool]], T]
"""Consumes a 2xx response: ``read(response, stopped)``; ``stopped()`` says when to give up."""

_ABORT_GRACE_S = 2.0
_OPERATION_MARGIN_S = 1.0
_TICK_S = 0.05


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time by which something must be done (``None``: never).

    Examples
    --------
    >>> Deadline.after(None).remaining() is None
    True
    >>> Deadline.after(10).sooner(1).remaining() <= 1
    True
    """

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """Return the deadline ``seconds`` from now (``None``: no deadline)."""
        return cls(None if seconds is None else time.monotonic() + seconds)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a deadline."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.at is not None and time.monotonic() >= self.at

    def sooner(self, seconds: float | None) -> Deadline:
        """Return the earlier of this deadline and ``seconds`` from now."""
        other = Deadline.after(seconds)
        if self.at is None or other.at is None:
            return self if other.at is None else other
        return self if self.at <= other.at else other


class MalformedAnswerError(Exception):
    """Internal: a 2xx answer whose body is not what the API sends."""


class StoppedError(Exception):
    """Internal: the reader was told to stop (deadline or cancel)."""


class WallClockTimeoutError(Exception):
    """Internal: the exchange did not complete before its deadline and was aborted."""


class CanceledExchangeError(Exception):
    """Internal: a sibling asked the exchange to stop."""


def read_capped(response: httpx.Response, limit: int, stopped: Callable[[], bool]) -> bytes:
    """Read a (decoded) body of at most ``limit`` bytes, giving up when ``stopped()``."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if stopped():
            raise StoppedError
        size += len(chunk)
        if size > limit:
            raise MalformedAnswerError(f"the answer is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> None:
    """``NaN``/``Infinity`` are not JSON: they are read as ``None`` (so they can be journaled)."""
    return None


def read_json(limit: int) -> Reader[Any]:
    """Return a reader that parses a JSON body of at most ``limit`` bytes.

    ``NaN``, ``Infinity`` and ``-Infinity``, which Python's parser accepts but strict JSON does
    not, become ``None``: whatever was read can be written back (to the journal) as JSON.
    """

    def read(response: httpx.Response, stopped: Callable[[], bool]) -> Any:
        data = read_capped(response, limit, stopped)
        try:
            return json.loads(data, parse_constant=_no_constant)
        except ValueError:
            preview = data[:60].decode("utf-8", errors="replace")
            raise MalformedAnswerError(f"the answer is not JSON ({preview!r}...)") from None

    return read


@dataclass
class Outcome(Generic[T]):
    """What one exchange produced: a status and the reader's value, or an error."""

    status: int | None = None
    headers: httpx.Headers | None = None
    value: T | None = None
    body: bytes = b""
    error: BaseException | None = None


class _Exchange(Generic[T]):
    """One request and the reading of its answer, on a worker thread, abortable from outside."""

    def __init__(
        self,
        client: httpx.Client,
        request: httpx.Request,
        read: Reader[T],
        error_body_bytes: int,
    ) -> None:
        self.client = client
        self.request = request
        self.read = read
        self.error_body_bytes = error_body_bytes
        self.outcome: Outcome[T] = Outcome()
        self.done = threading.Event()
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None  # the connection's network stream while the exchange runs
        request.extensions = {**request.extensions, "trace": self._trace}

    def _trace(self, name: str, info: Mapping[str, Any]) -> None:
        # httpcore reports each new connection (TCP, then TLS): remember it so abort() can shut
        # it down even before the response headers arrive.
        if name.endswith(("connect_tcp.complete", "start_tls.complete")):
            with self._lock:
                if not self.done.is_set():
                    self._stream = info.get("return_value")

    def run(self) -> None:
        outcome = self.outcome
        try:
            response = self.client.send(self.request, stream=True)
            with self._lock:
                self._stream = response.extensions.get("network_stream", self._stream)
            try:
                outcome.status = response.status_code
                outcome.headers = response.headers
                if 200 <= response.status_code < 300:
                    outcome.value = self.read(response, self.stopped.is_set)
                else:
                    with contextlib.suppress(MalformedAnswerError):
                        outcome.body = read_capped(
                            response, self.error_body_bytes, self.stopped.is_set
                        )
            finally:
                with self._lock:
                    self._stream = None  # from here on the connection may serve another request
                response.close()
        except BaseException as exc:  # handed to the waiting caller
            outcome.error = exc
        finally:
            self.done.set()

    def abort(self) -> None:
        self.stopped.set()
        with self._lock:
            stream = self._stream
            if stream is not None:
                with contextlib.suppress(Exception):
                    sock = stream.get_extra_info("socket")
                    if isinstance(sock, socket.socket):
                        sock.shutdown(socket.SHUT_RDWR)


def _clipped_timeouts(request: httpx.Request, seconds: float | None) -> None:
    if seconds is None:
        return
    current = dict(request.extensions.get("timeout") or {})
    request.extensions = {
        **request.extensions,
        "timeout": {
            key: (seconds if value is None else min(float(value), seconds))
            for key, value in {
                "connect": current.get("connect"),
                "read": current.get("read"),
                "write": current.get("write"),
                "pool": current.get("pool"),
            }.items()
        },
    }


def exchange(
    client: httpx.Client,
    request: httpx.Request,
    read: Reader[T],
    *,
    until: Deadline,
    cancel: threading.Event | None = None,
    error_body_bytes: int = 64 << 10,
) -> Outcome[T]:
    """Send ``request`` and read its answer, giving up at ``until`` or when ``cancel`` is set.

    Parameters
    ----------
    client
        The httpx client to send with.
    request
        The request (its per-operation timeouts are clipped to the time left).
    read
        Consumes a 2xx answer (a non-2xx answer's body is kept, up to ``error_body_bytes``).
    until
        The wall-clock deadline of the whole exchange.
    cancel
        When set, the exchange is aborted (a sibling failed).

    Returns
    -------
    Outcome
        Status, headers and the reader's value; or the error: httpx's, the reader's,
        `WallClockTimeoutError` or `CanceledExchangeError`. A Ctrl-C while
        waiting aborts the exchange and propagates.
    """
    left = until.remaining()
    # Clipped a little past the deadline, so the wall clock (not a racing per-operation
    # timeout) is what ends an exchange that runs out of time; the worker still stops soon after.
    _clipped_timeouts(request, None if left is None else left + _OPERATION_MARGIN_S)
    job = _Exchange(client, request, read, error_body_bytes)
    worker = threading.Thread(target=job.run, name="autotrack-http", daemon=True)
    worker.start()
    reason: BaseException | None = None
    try:
        while not job.done.wait(_TICK_S if cancel is not None else _tick(until)):
            if cancel is not None and cancel.is_set():
                reason = CanceledExchangeError()
                break
            if until.expired():
                reason = WallClockTimeoutError()
                break
    except BaseException:
        job.abort()
        raise
    if reason is None:
        return job.outcome
    job.abort()
    job.done.wait(_ABORT_GRACE_S)  # the worker cleans up (partial files) once its socket is shut
    outcome = job.outcome
    if job.done.is_set() and outcome.error is None and outcome.status is not None:
        return outcome  # it completed as the deadline passed
    return Outcome(error=reason)


def _tick(until: Deadline) -> float:
    left = until.remaining()
    return 0.25 if left is None else min(0.25, max(left, 0.001))
