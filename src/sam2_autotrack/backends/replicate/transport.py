"""How every request to Replicate is sent: one rate gate and one retry policy, for every request.

`Transport` sends every request of a
[`ReplicateClient`][sam2_autotrack.backends.replicate.ReplicateClient]: the ones the ``replicate``
SDK makes (create, upload, cancel; through `SdkTransport`) and the ones the client makes itself
(polls, the listing, downloads). For each request it

* waits on the shared `RateGate` (when one request is throttled, every request waits);
* gives each attempt a wall-clock deadline (`exchange`) and never sleeps or
  retries past the caller's overall deadline;
* retries 429, 5xx and network errors with exponential backoff and jitter, honouring the server's
  ``Retry-After`` (or Replicate's "resets in ~Ns"), capped by ``Retries.max_retry_after``;
* retries only what is safe to repeat: a request the server may have acted on (a create whose
  answer was lost) is never sent twice; it fails with ``Failure.maybe_sent`` and the caller
  looks for what it did;
* turns every failure into one `Failure` value, which the caller maps to the library's
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

from sam2_autotrack.backends.replicate.exchange import (
    CanceledExchangeError,
    Deadline,
    MalformedAnswerError,
    Outcome,
    Reader,
    StoppedError,
    WallClockTimeoutError,
    exchange,
)
from sam2_autotrack.backends.replicate.options import Retries, Timeouts
from sam2_autotrack.errors import AutotrackError

__all__ = [
    "Failure",
    "RateGate",
    "Reply",
    "Transport",
    "redact",
    "retry_after_seconds",
]

T = TypeVar("T")

_RESETS_IN_RE = re.compile(r"resets in\s*~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_ERROR_BODY_BYTES = 64 << 10
_MIN_SECRET_LENGTH = 8
_REDACTED = "[redacted]"
FailureKind = Literal[
    "status", "throttled", "timeout", "deadline", "network", "protocol", "canceled"
]


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
        ``"timeout"`` (no complete answer within the attempt's wall-clock budget),
        ``"deadline"`` (the caller's overall deadline passed), ``"network"`` (connection
        problems beyond the retries), ``"protocol"`` (an answer that is not HTTP or not what the
        API sends: redirect loops, broken encodings, invalid URLs, malformed JSON) or
        ``"canceled"`` (a sibling asked it to stop).
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
        """Scrub ``secret`` from every text this transport reports.

        Secrets shorter than 8 characters are not scrubbed: they would match ordinary words
        (Replicate tokens are 40 characters long).
        """
        if len(secret) >= _MIN_SECRET_LENGTH and secret not in self._secrets:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """Return ``text`` with the secrets scrubbed."""
        return redact(text, self._secrets)

    def redact_json(self, value: Any) -> Any:
        """Return a JSON value with the secrets scrubbed from every string in it (keys too)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self.redact_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_json(item) for item in value]
        return value

    def redact_error(self, error: BaseException) -> None:
        """Scrub the secrets from an exception's message and text attributes, in place."""
        error.args = tuple(self.redact(a) if isinstance(a, str) else a for a in error.args)
        for name, value in list(vars(error).items()):
            if isinstance(value, str):
                setattr(error, name, self.redact(value))

    def httpx_timeout(self) -> httpx.Timeout:
        """Return the per-operation httpx timeout of the configured `Timeouts`."""
        t = self.timeouts
        return httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)

    # -- backoff -------------------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (0-based) without a hint from the server."""
        with self._rng_lock:
            jitter = float(self._rng.uniform(0.5, 1.0))
        policy = self.retries
        return min(policy.max_backoff, policy.backoff_base * (2.0**attempt)) * jitter

    def _pause(
        self, seconds: float, deadline: Deadline, cancel: threading.Event | None = None
    ) -> bool:
        """Sleep ``seconds`` unless that outlasts ``deadline`` (then return ``False`` at once)."""
        left = deadline.remaining()
        if left is not None and seconds > left:
            return False
        if seconds > 0:
            if cancel is not None:
                cancel.wait(seconds)
            else:
                time.sleep(seconds)
        return True

    # -- the retry loop ------------------------------------------------------------------------

    def send(
        self,
        client: httpx.Client,
        build: Callable[[contextlib.ExitStack], httpx.Request],
        *,
        what: str,
        read: Reader[T],
        fail: Callable[[Failure], Exception],
        budget: float,
        idempotent: bool = True,
        accept: Collection[int] = (),
        deadline: Deadline | None = None,
        max_retries: int | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply[T]:
        """Send a request with the gate, the retries and the deadlines; return its answer.

        Parameters
        ----------
        client
            The httpx client (API or file host).
        build
            Builds the request of one attempt; files it opens go on the exit stack.
        what
            What is being done, for messages (``"creating a prediction"``).
        read
            Consumes a 2xx answer; raising ``MalformedAnswerError`` marks it malformed.
        fail
            Turns the final `Failure` into the exception raised.
        budget
            Wall-clock seconds of one attempt, answer included (``Timeouts.request``,
            ``.upload``, ``.download`` or ``.cancel``).
        idempotent
            Whether repeating the request is harmless. When not, an attempt that may have
            reached the server is never repeated: it fails with ``maybe_sent=True`` (the
            caller looks for what it did).
        accept
            Error statuses answered as a `Reply` instead of failing (e.g. 404).
        deadline
            The caller's overall deadline: no attempt, backoff or rate-limit wait goes past it
            (``Failure.kind == "deadline"``).
        max_retries
            Overrides ``Retries.max_retries`` for this request (``0`` for best-effort calls).
        cancel
            When set, the request stops at once (``Failure.kind == "canceled"``).
        """
        deadline = deadline or Deadline()
        retries = self.retries.max_retries if max_retries is None else max_retries
        last: Failure | None = None
        for attempt in range(retries + 1):
            if cancel is not None and cancel.is_set():
                raise fail(Failure(what, "canceled", "stopped because a sibling failed"))
            if deadline.expired() or not self._pause(self.gate.remaining(), deadline, cancel):
                raise fail(self._deadline_failure(what, last))
            outcome = self._attempt(client, build, read, deadline.sooner(budget), cancel)
            failure, delay = self._judge(what, outcome, attempt, budget, idempotent=idempotent)
            if failure is None:
                assert outcome.status is not None
                return Reply(outcome.status, outcome.value)
            if failure.kind == "timeout" and deadline.expired():
                raise fail(self._deadline_failure(what, failure))
            if failure.kind == "status" and failure.status in accept:
                return Reply(int(failure.status or 0), None, failure.reason)
            if delay is None or (failure.maybe_sent and not idempotent):
                raise fail(failure)
            last = failure
            if attempt == retries:
                break
            if failure.kind == "throttled":
                self.gate.defer(delay)
            elif not self._pause(delay, deadline, cancel):
                raise fail(self._deadline_failure(what, last, asked=delay))
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

    def _attempt(
        self,
        client: httpx.Client,
        build: Callable[[contextlib.ExitStack], httpx.Request],
        read: Reader[T],
        until: Deadline,
        cancel: threading.Event | None,
    ) -> Outcome[T]:
        with contextlib.ExitStack() as resources:
            try:
                request = build(resources)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                return Outcome(error=exc)
            return exchange(
                client,
                request,
                read,
                until=until,
                cancel=cancel,
                error_body_bytes=_ERROR_BODY_BYTES,
            )

    def _deadline_failure(
        self, what: str, last: Failure | None, *, asked: float | None = None
    ) -> Failure:
        wait = f" (the next retry was due in {asked:.3g} s)" if asked is not None else ""
        before = f"; before that: {last.reason}" if last is not None else ""
        return Failure(
            what,
            "deadline",
            f"the deadline passed{wait}{before}",
            last.status if last is not None else None,
            last.maybe_sent if last is not None else False,
        )

    def _judge(
        self,
        what: str,
        outcome: Outcome[Any],
        attempt: int,
        budget: float,
        *,
        idempotent: bool,
    ) -> tuple[Failure | None, float | None]:
        """Classify an attempt: ``(None, None)`` on success, else the failure and the retry delay.

        The delay is ``None`` when retrying cannot help.
        """
        error = outcome.error
        if error is None and outcome.status is not None and 200 <= outcome.status < 300:
            return None, None
        if error is not None:
            return self._judge_error(what, error, attempt, budget)
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

    def _judge_error(
        self, what: str, error: BaseException, attempt: int, budget: float
    ) -> tuple[Failure, float | None]:
        if isinstance(error, AutotrackError):
            raise error
        if isinstance(error, CanceledExchangeError):
            return Failure(what, "canceled", "stopped because a sibling failed"), None
        if isinstance(error, (WallClockTimeoutError, StoppedError)):
            reason = f"no complete answer within {budget:g} s"
            return Failure(what, "timeout", reason, maybe_sent=True), self.backoff(attempt)
        reason = self.redact(f"{error.__class__.__name__}: {error}")
        if isinstance(error, _NOT_SENT):
            return Failure(what, "network", f"connection failed ({reason})"), self.backoff(attempt)
        if isinstance(error, httpx.TimeoutException):
            return Failure(what, "timeout", reason, maybe_sent=True), self.backoff(attempt)
        if isinstance(error, _TRANSIENT):
            return Failure(what, "network", reason, maybe_sent=True), self.backoff(attempt)
        if isinstance(error, (MalformedAnswerError, httpx.DecodingError)):
            return Failure(what, "protocol", reason, maybe_sent=True), self.backoff(attempt)
        if isinstance(error, (*_FATAL, ValueError, TypeError, LookupError)):
            # An answer no retry can fix (redirect loop, invalid URL, unparsable content).
            return Failure(what, "protocol", reason), None
        raise error  # local trouble (a full disk): not the server's doing
