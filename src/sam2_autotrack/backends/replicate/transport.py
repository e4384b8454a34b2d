"""How every request to Replicate is sent: one rate gate and one retry policy, for every request.

:class:`Transport` sends the API calls, the uploads and the downloads of a
:class:`~sam2_autotrack.backends.replicate.ReplicateClient`. For each request it

* waits on the shared :class:`RateGate` (when one request is throttled, every request waits);
* retries 429, 5xx and network errors with exponential backoff and jitter, honouring the server's
  ``Retry-After`` (or Replicate's "resets in ~Ns"), capped by ``Retries.max_retry_after``;
* retries only what is safe to repeat: a request the server may have acted on (a create whose
  answer was lost) is handed to a ``recover`` callback instead of being sent twice;
* turns every failure into one :class:`Failure` value, which the caller maps to the library's
  typed errors, with the token scrubbed from any text the server sent.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, Literal, TypeVar

import httpx
import numpy as np

from sam2_autotrack.backends.replicate.options import Retries, Timeouts
from sam2_autotrack.errors import AutotrackError

__all__ = [
    "Deadline",
    "Failure",
    "MalformedAnswerError",
    "RateGate",
    "Reply",
    "Transport",
    "read_capped",
    "read_json",
    "redact",
    "retry_after_seconds",
]

T = TypeVar("T")
Reader = Callable[[httpx.Response, Callable[[], bool]], T]
"""Consumes a 2xx response: ``read(response, stopped)``; ``stopped()`` says when to give up."""

_RESETS_IN_RE = re.compile(r"resets in\s*~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_ERROR_BODY_BYTES = 64 << 10
_REDACTED = "[redacted]"
FailureKind = Literal["status", "throttled", "timeout", "deadline", "network", "protocol"]


def retry_after_seconds(headers: Mapping[str, str], body: str = "") -> float | None:
    """Return how long a throttled or unavailable response asks us to wait, if it says so.

    ``Retry-After`` (seconds or an HTTP date) wins; otherwise Replicate's body text
    "... resets in ~30s" is parsed.

    Examples
    --------
    >>> retry_after_seconds({"Retry-After": "3"})
    3.0
    >>> retry_after_seconds({}, '{"detail": "Your rate limit resets in ~12s."}')
    12.0
    >>> retry_after_seconds({}, "slow down") is None
    True
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    raw = (lowered.get("retry-after") or "").strip()
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                when = email.utils.parsedate_to_datetime(raw)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        else:
            if seconds == seconds:  # not NaN
                return max(0.0, seconds)
    match = _RESETS_IN_RE.search(body or "")
    if match:
        return float(match.group(1))
    return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every secret replaced by ``[redacted]``.

    Examples
    --------
    >>> redact("token r8_abc was rejected", ["r8_abc"])
    'token [redacted] was rejected'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


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


class RateGate:
    """A shared "not before" time: when one request is throttled, every request waits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0

    def defer(self, seconds: float) -> float:
        """Make every request wait ``seconds`` from now (at least); return ``seconds``."""
        seconds = max(seconds, 0.0)
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
        return seconds

    def remaining(self) -> float:
        """Seconds until requests may go again."""
        with self._lock:
            return max(0.0, self._not_before - time.monotonic())


@dataclass(frozen=True)
class Failure:
    """Why a request failed, for the caller to turn into a typed error.

    Parameters
    ----------
    what
        What was being done (``"reading prediction abc"``).
    kind
        ``"status"`` (an HTTP error answer), ``"throttled"`` (429 beyond the retries),
        ``"timeout"`` (no complete answer in time), ``"deadline"`` (the caller's overall deadline
        passed), ``"network"`` (connection problems beyond the retries) or ``"protocol"`` (an
        answer that is not HTTP or not what the API sends: redirect loops, broken encodings,
        invalid URLs, malformed JSON).
    reason
        One line saying what happened (the server's text has the token scrubbed).
    status
        The last HTTP status, when there was one.
    maybe_sent
        The server may have acted on the request (its answer was lost).
    """

    what: str
    kind: FailureKind
    reason: str
    status: int | None = None
    maybe_sent: bool = False


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A request's answer: ``value`` is what the reader made of a 2xx body (else ``None``)."""

    status: int
    value: T | None = None
    detail: str = ""


class MalformedAnswerError(Exception):
    """Internal: a 2xx answer whose body is not what the API sends (never leaves this package)."""


class _StoppedError(Exception):
    """Internal: the reader was asked to stop."""


def read_capped(response: httpx.Response, limit: int, stopped: Callable[[], bool]) -> bytes:
    """Read a (decoded) body of at most ``limit`` bytes, giving up when ``stopped()``."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if stopped():
            raise _StoppedError
        size += len(chunk)
        if size > limit:
            raise MalformedAnswerError(f"the answer is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def read_json(limit: int) -> Reader[Any]:
    """Return a reader that parses a JSON body of at most ``limit`` bytes."""

    def read(response: httpx.Response, stopped: Callable[[], bool]) -> Any:
        data = read_capped(response, limit, stopped)
        try:
            return json.loads(data)
        except ValueError:
            preview = data[:60].decode("utf-8", errors="replace")
            raise MalformedAnswerError(f"the answer is not JSON ({preview!r}...)") from None

    return read


def _detail(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    if isinstance(parsed, Mapping):
        return str(parsed.get("detail") or parsed.get("title") or parsed)[:300]
    return str(parsed)[:200]


# Failures after which the request surely never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Transient failures that may have happened after the server got the request.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Answers a retry cannot fix.
_FATAL = (httpx.TooManyRedirects, httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.HTTPError)
# Statuses a gateway gives when the request may have reached the service behind it.
_AMBIGUOUS_STATUSES = frozenset({502, 504})


@dataclass
class _Outcome(Generic[T]):
    status: int | None = None
    headers: httpx.Headers | None = None
    value: T | None = None
    body: bytes = b""
    error: BaseException | None = None


class Transport:
    """Sends requests for one client: the rate gate and the retry policy in one place.

    Parameters
    ----------
    timeouts
        Per-operation httpx timeouts.
    retries
        The retry policy.
    rng
        Randomness for the backoff jitter.
    """

    def __init__(
        self,
        *,
        timeouts: Timeouts,
        retries: Retries,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.timeouts = timeouts
        self.retries = retries
        self.gate = RateGate()
        self._rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self._rng_lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

    def add_secret(self, secret: str) -> None:
        """Scrub ``secret`` from every text this transport reports."""
        if secret and secret not in self._secrets:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """``text`` with the secrets scrubbed."""
        return redact(text, self._secrets)

    def httpx_timeout(self) -> httpx.Timeout:
        """Return the per-operation httpx timeout of the configured :class:`Timeouts`."""
        t = self.timeouts
        return httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)

    # -- backoff -------------------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (0-based) without a hint from the server."""
        with self._rng_lock:
            jitter = float(self._rng.uniform(0.5, 1.0))
        policy = self.retries
        return min(policy.max_backoff, policy.backoff_base * (2.0**attempt)) * jitter

    def _pause(self, seconds: float, deadline: Deadline) -> bool:
        """Sleep ``seconds`` unless that outlasts ``deadline`` (then return ``False`` at once)."""
        left = deadline.remaining()
        if left is not None and seconds > left:
            return False
        if seconds > 0:
            time.sleep(seconds)
        return True

    # -- one attempt ---------------------------------------------------------------------------

    def _attempt(
        self,
        client: httpx.Client,
        request: httpx.Request,
        read: Reader[T],
    ) -> _Outcome[T]:
        outcome: _Outcome[T] = _Outcome()
        try:
            response = client.send(request, stream=True)
            try:
                outcome.status = response.status_code
                outcome.headers = response.headers
                if 200 <= response.status_code < 300:
                    outcome.value = read(response, lambda: False)
                else:
                    with contextlib.suppress(MalformedAnswerError):
                        outcome.body = read_capped(response, _ERROR_BODY_BYTES, lambda: False)
            finally:
                response.close()
        except Exception as exc:
            outcome.error = exc
        return outcome

    # -- the retry loop ------------------------------------------------------------------------

    def send(
        self,
        client: httpx.Client,
        build: Callable[[contextlib.ExitStack], httpx.Request],
        *,
        what: str,
        read: Reader[T],
        fail: Callable[[Failure], Exception],
        idempotent: bool = True,
        accept: Collection[int] = (),
        deadline: Deadline | None = None,
        recover: Callable[[], T | None] | None = None,
        max_retries: int | None = None,
    ) -> Reply[T]:
        """Send a request with the gate, the retries and the deadline; return its answer.

        Parameters
        ----------
        client
            The httpx client (API or file host).
        build
            Builds the request of one attempt; files it opens go on the exit stack.
        what
            What is being done, for messages (``"creating a prediction"``).
        read
            Consumes a 2xx answer; raising :class:`MalformedAnswerError` marks it malformed.
        fail
            Turns the final :class:`Failure` into the exception raised.
        idempotent
            Whether repeating the request is harmless. When not, an attempt that may have
            reached the server is never repeated: ``recover`` is asked first, then it fails
            with ``maybe_sent=True``.
        accept
            Error statuses answered as a :class:`Reply` instead of failing (e.g. 404).
        deadline
            No attempt or wait goes past it (``Failure.kind == "deadline"``).
        recover
            For non-idempotent requests: looks for what a lost attempt did; its non-``None``
            answer is returned as a 200 reply.
        max_retries
            Overrides ``Retries.max_retries`` for this request (``0`` for best-effort calls).
        """
        deadline = deadline or Deadline()
        retries = self.retries.max_retries if max_retries is None else max_retries
        last: Failure | None = None
        for attempt in range(retries + 1):
            if deadline.expired() or not self._pause(self.gate.remaining(), deadline):
                raise fail(self._deadline_failure(what, last))
            with contextlib.ExitStack() as resources:
                request = build(resources)
                outcome = self._attempt(client, request, read)
            final = attempt == retries
            failure, delay = self._judge(what, outcome, attempt, idempotent=idempotent)
            if failure is None:
                assert outcome.status is not None
                return Reply(outcome.status, outcome.value)
            if failure.kind == "status" and failure.status in accept:
                return Reply(int(failure.status or 0), None, failure.reason)
            if failure.maybe_sent and recover is not None:
                found = recover()
                if found is not None:
                    return Reply(200, found)
            if delay is None or (failure.maybe_sent and not idempotent):
                raise fail(failure)
            last = failure
            if final:
                break
            if failure.kind == "throttled":
                self.gate.defer(delay)
            elif not self._pause(delay, deadline):
                raise fail(self._deadline_failure(what, last))
        assert last is not None
        raise fail(
            Failure(
                what,
                last.kind,
                f"{last.reason} (after {retries} retries)",
                last.status,
                last.maybe_sent,
            )
        )

    def _deadline_failure(self, what: str, last: Failure | None) -> Failure:
        before = f"; before that: {last.reason}" if last is not None else ""
        return Failure(what, "deadline", f"the deadline passed{before}", None)

    def _judge(
        self, what: str, outcome: _Outcome[Any], attempt: int, *, idempotent: bool
    ) -> tuple[Failure | None, float | None]:
        """Classify an attempt: ``(None, None)`` on success, else the failure and the retry delay.

        The delay is ``None`` when retrying cannot help.
        """
        error = outcome.error
        if error is None and outcome.status is not None and 200 <= outcome.status < 300:
            return None, None
        if error is not None:
            reason = self.redact(f"{error.__class__.__name__}: {error}")
            if isinstance(error, AutotrackError):
                raise error
            if isinstance(error, _NOT_SENT):
                return Failure(what, "network", f"connection failed ({reason})"), self.backoff(
                    attempt
                )
            if isinstance(error, (*_TRANSIENT, MalformedAnswerError, httpx.DecodingError)):
                kind: FailureKind = "network" if isinstance(error, _TRANSIENT) else "protocol"
                if isinstance(error, httpx.TimeoutException):
                    kind = "timeout"
                return Failure(what, kind, reason, outcome.status, maybe_sent=True), self.backoff(
                    attempt
                )
            if isinstance(error, _FATAL):
                return Failure(what, "protocol", reason), None
            raise error
        status = int(outcome.status or 0)
        headers = outcome.headers or httpx.Headers()
        detail = self.redact(_detail(outcome.body))
        reason = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
        if status == 429:
            asked = retry_after_seconds(headers, outcome.body.decode("utf-8", errors="replace"))
            delay = self.backoff(attempt) if asked is None else asked
            delay = min(delay, self.retries.max_retry_after)
            return Failure(what, "throttled", reason, status), delay
        if status >= 500:
            asked = retry_after_seconds(headers)
            delay = self.backoff(attempt) if asked is None else asked
            delay = min(delay, self.retries.max_retry_after)
            ambiguous = not idempotent and status in _AMBIGUOUS_STATUSES
            failure = Failure(what, "status", reason, status, maybe_sent=ambiguous)
            return failure, delay
        return Failure(what, "status", reason, status), None
