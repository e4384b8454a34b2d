"""The connections of one client: the API pool, the file-host pool, and the SDK on the API pool.

They are opened at the first request, when the token is read (a missing token raises
[`MissingTokenError`][sam2_autotrack.MissingTokenError] before anything is uploaded), and opened
again after `Connections.close`. Only the API's own host gets the token: output files are fetched on
a pool without it, and redirects drop it when they leave the API's origin (httpx does).
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from dataclasses import dataclass

import httpx
from replicate.client import Client as SdkClient

from sam2_autotrack.backends.replicate.options import BASE_URL_ENV, DEFAULT_BASE_URL, TOKEN_ENV
from sam2_autotrack.backends.replicate.sdk import SdkTransport, sdk_client
from sam2_autotrack.backends.replicate.transport import Transport
from sam2_autotrack.errors import MissingTokenError

__all__ = ["USER_AGENT", "Connected", "Connections"]

USER_AGENT = "sam2_autotrack (httpx)"
"""The User-Agent of the requests the client sends itself (the SDK sends its own)."""


def _close_clients(clients: list[httpx.Client]) -> None:
    while clients:
        with contextlib.suppress(Exception):
            clients.pop().close()


@dataclass(frozen=True)
class Connected:
    """Open connections: ``api`` (with the token), ``files`` (without) and ``sdk`` (on ``api``)."""

    api: httpx.Client
    files: httpx.Client
    sdk: SdkClient


class Connections:
    """Opens, shares and closes a client's connections (thread-safe).

    Parameters
    ----------
    transport
        The rate gate, retries, deadlines and scrubbing of every request (the token is added
        to its secrets when it is read).
    api_token, base_url
        As given to the client (``None``: ``$REPLICATE_API_TOKEN`` / ``$REPLICATE_BASE_URL``).
    inner
        The ``httpx`` transport beneath everything (default: a fresh ``httpx.HTTPTransport``).
    answer_bytes
        The largest API answer the SDK is handed.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        api_token: str | None,
        base_url: str | None,
        inner: httpx.BaseTransport | None,
        answer_bytes: int,
    ) -> None:
        self._transport = transport
        self._api_token = api_token
        self._base_url = base_url
        self._inner = inner
        self._answer_bytes = answer_bytes
        self._lock = threading.Lock()
        self._connected: Connected | None = None
        # Close the pools when this is garbage collected (no ResourceWarning); the finalizer
        # holds the list, not this object.
        self._open: list[httpx.Client] = []
        weakref.finalize(self, _close_clients, self._open)

    @property
    def base_url(self) -> str:
        """The API root: ``base_url=``, else ``$REPLICATE_BASE_URL``, else Replicate's."""
        connected = self._connected
        if connected is not None:
            return str(connected.api.base_url).rstrip("/")
        return (self._base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")

    def open(self) -> Connected:
        """Return the open connections, opening them first if needed.

        Raises
        ------
        MissingTokenError
            No token was given and ``$REPLICATE_API_TOKEN`` is not set.
        """
        with self._lock:
            if self._connected is None:
                self._connected = self._connect()
            return self._connected

    def _connect(self) -> Connected:
        token = (self._api_token or os.environ.get(TOKEN_ENV) or "").strip()
        if not token:
            raise MissingTokenError(
                f"no Replicate API token: set the {TOKEN_ENV} environment variable (or pass "
                "api_token=...); get one at https://replicate.com/account/api-tokens — or use "
                "the embedded CPU engine with backend='local'"
            )
        self._transport.add_secret(token)
        inner = self._inner if self._inner is not None else httpx.HTTPTransport()
        timeout = self._transport.httpx_timeout()
        base_url = self.base_url
        # Redirects are followed (httpx drops the token when one leaves the API's origin).
        api = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=inner,
            follow_redirects=True,
        )
        files = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            transport=inner,
            follow_redirects=True,
        )
        self._open.extend([api, files])
        sdk = sdk_client(
            api_token=token,
            base_url=base_url,
            transport=SdkTransport(self._transport, api, answer_bytes=self._answer_bytes),
            timeout=timeout,
        )
        return Connected(api, files, sdk)

    def close(self) -> None:
        """Close the connection pools (the SDK holds none of its own); they reopen lazily."""
        with self._lock:
            _close_clients(self._open)
            self._connected = None
