"""The ``replicate`` SDK, running on our transport: it builds and parses, we send.

`sdk_client` returns a ``replicate.Client`` whose ``httpx`` transport is an
`SdkTransport`. The SDK builds each request (URL, headers, JSON or multipart body) and parses
each answer into its models; every request it sends goes through
`Transport.send`, exactly like the requests the client sends
itself: the shared rate gate, a wall-clock deadline per attempt, retries of what is safe to
repeat, the token scrubbed from every reason. The SDK sends some requests with ``timeout=None``
(create, file uploads): the per-operation timeouts are put back beneath it, and the wall clock
of `exchange` bounds each attempt whatever they are.

What the SDK sees: a 2xx answer (its body read in full, at most ``answer_bytes``), or an
exception. Every other outcome — an error status after the retries, a timeout, the deadline, a
lost answer — raises `RequestFailedError` carrying the `Failure`,
which goes straight through the SDK to the caller. So the ``RetryTransport`` the SDK wraps
around its transport (which retries 429/503/504 of GET requests, honouring any ``Retry-After``
uncapped) never sees a status to retry, and the SDK never raises ``ReplicateError`` for an
error status.

Each SDK call states what it is doing in a `Call` (`calling`): what to say in
messages, the budget of one attempt, the caller's deadline, whether the request may be repeated.
A create may not: an attempt that may have reached Replicate is never sent again; it fails with
``Failure.maybe_sent`` and the caller looks for the prediction instead.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from replicate.client import Client as SdkClient
from replicate.exceptions import ReplicateError, ReplicateException

from sam2_autotrack.backends.replicate.exchange import Deadline, Reader, read_capped
from sam2_autotrack.backends.replicate.transport import Failure, Transport

__all__ = [
    "SDK_ANSWER_ERRORS",
    "Call",
    "RequestFailedError",
    "SdkTransport",
    "calling",
    "describe",
    "sdk_client",
    "unreadable",
]

SDK_ANSWER_ERRORS: tuple[type[Exception], ...] = (
    ReplicateException,
    ValueError,  # json.JSONDecodeError, pydantic's ValidationError (an unknown status)
    TypeError,  # an answer that is JSON but not an object (``[]``, ``null``)
    LookupError,
    AttributeError,
)
"""What the SDK raises when it cannot read a 2xx answer into its models."""

_UNSAFE_METHODS = frozenset({"POST", "PATCH"})


@dataclass
class Call:
    """How the requests of one SDK call are sent, and how many 2xx answers it was handed.

    Parameters
    ----------
    what
        What is being done, for messages (``"creating a prediction"``).
    budget
        Wall-clock seconds of one attempt, answer included.
    deadline
        The caller's overall deadline (no attempt, backoff or rate-limit wait goes past it).
    idempotent
        Whether repeating the request is harmless; when not, an attempt that may have reached
        the server fails with ``maybe_sent=True`` instead of being repeated.
    max_retries
        Overrides ``Retries.max_retries`` (``0`` for best-effort calls).
    answered
        Counted by the transport: the 2xx answers handed to the SDK. An SDK error with none
        happened before anything reached the server.
    """

    what: str
    budget: float
    deadline: Deadline | None = None
    idempotent: bool = True
    max_retries: int | None = None
    answered: int = 0


_CALL: contextvars.ContextVar[Call | None] = contextvars.ContextVar("sdk_call", default=None)


@contextlib.contextmanager
def calling(call: Call) -> Iterator[Call]:
    """Send the SDK requests made inside the block (in this thread) as ``call`` says."""
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)


class RequestFailedError(Exception):
    """Internal: an SDK request failed (after the retries); ``failure`` says why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.what}: {failure.reason}")
        self.failure = failure


def _read_answer(limit: int) -> Reader[tuple[str, bytes]]:
    def read(response: httpx.Response, stopped: Callable[[], bool]) -> tuple[str, bytes]:
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return content_type, read_capped(response, limit, stopped)

    return read


class SdkTransport(httpx.BaseTransport):
    """The ``httpx`` transport beneath the SDK: each request goes through `Transport`.

    Parameters
    ----------
    transport
        The rate gate, retry policy, deadlines and scrubbing shared with the client's own
        requests.
    client
        The client's API connection pool the requests are sent on (redirects are followed
        there; the token is dropped when one leaves the API's origin).
    answer_bytes
        The largest answer read (a bigger one is malformed).
    """

    def __init__(self, transport: Transport, client: httpx.Client, *, answer_bytes: int) -> None:
        self._transport = transport
        self._client = client
        self._answer_bytes = answer_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` as the current `Call` says; return its 2xx answer.

        Raises
        ------
        RequestFailedError
            Any other outcome (the SDK does not catch it).
        """
        call = _CALL.get() or Call(
            f"{request.method} {request.url.path}",
            self._transport.timeouts.request,
            idempotent=request.method not in _UNSAFE_METHODS,
        )
        reply = self._transport.send(
            self._client,
            lambda _: self._attempt(request),
            what=call.what,
            read=_read_answer(self._answer_bytes),
            fail=RequestFailedError,
            budget=call.budget,
            idempotent=call.idempotent,
            deadline=call.deadline,
            max_retries=call.max_retries,
        )
        assert reply.value is not None
        call.answered += 1
        content_type, body = reply.value
        return httpx.Response(reply.status, headers={"Content-Type": content_type}, content=body)

    def _attempt(self, request: httpx.Request) -> httpx.Request:
        """Return a fresh copy of ``request`` for one attempt, with per-operation timeouts.

        The body stream is shared: JSON bodies are bytes, and a multipart file field rewinds
        its file each time it is sent.
        """
        given = request.extensions.get("timeout") or {}
        ours = self._transport.httpx_timeout().as_dict()
        timeout = {key: ours[key] if given.get(key) is None else given[key] for key in ours}
        return httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "timeout": timeout},
        )


def sdk_client(
    *, api_token: str, base_url: str, transport: SdkTransport, timeout: httpx.Timeout
) -> SdkClient:
    """Return a ``replicate.Client`` that sends everything through ``transport``."""
    return SdkClient(api_token=api_token, base_url=base_url, timeout=timeout, transport=transport)


def unreadable(what: str, error: Exception, redact: Callable[[str], str]) -> Failure:
    """Return the `Failure` of an SDK call whose 2xx answer the SDK could not read.

    The request reached the server (``maybe_sent``): a create may have made a prediction.

    Examples
    --------
    >>> failure = unreadable("creating a prediction", ValueError("Expecting value"), str)
    >>> failure.kind, failure.maybe_sent, failure.reason
    ('protocol', True, 'replicate could not read the answer (ValueError: Expecting value)')
    """
    if isinstance(error, ReplicateError):
        detail = error.detail or error.title or ""
        reason = f"HTTP {error.status}: {detail}" if detail else f"HTTP {error.status}"
        return Failure(what, "status", redact(reason), error.status, maybe_sent=True)
    reason = f"replicate could not read the answer ({describe(error)})"
    return Failure(what, "protocol", redact(reason), maybe_sent=True)


def describe(error: BaseException) -> str:
    r"""Return an exception as one line: its class and the start of its message.

    Examples
    --------
    >>> describe(ValueError("1 validation error\nstatus\n  unexpected value"))
    'ValueError: 1 validation error status unexpected value'
    """
    text = " ".join(str(error).split())[:240]
    return f"{type(error).__name__}: {text}"
