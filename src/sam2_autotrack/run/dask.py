"""Dask distributed as the batch engine for many machines (``pip install "sam2-autotrack[dask]"``).

[`dask_executor`][sam2_autotrack.run.dask_executor] connects to a running scheduler
(``tcp://HOST:8786``, started with ``dask scheduler`` and ``dask worker tcp://HOST:8786`` on each
machine) or starts a `distributed.LocalCluster` on this machine (``"local"``), and yields a
`concurrent.futures.Executor` for
[`AutoTracker.track_many(executor=...)`][sam2_autotrack.AutoTracker.track_many]. Dask is imported
only here, only when asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

from sam2_autotrack.errors import AutotrackError, ConfigError

__all__ = ["DASK_FIX_HINT", "DaskExecutor", "dask_executor"]

DASK_FIX_HINT = 'install it with pip install "sam2-autotrack[dask]"'
"""How to get Dask distributed; every "no Dask" message ends with it."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"Dask distributed is not installed; {DASK_FIX_HINT}") from exc
    return distributed


class DaskExecutor(Executor):
    """A `concurrent.futures.Executor` over a Dask client, knowing how many jobs fit at once.

    Every submission is a new task (``pure=False``: a re-run is really run again, never answered
    from a cached result), and `slots` — the cluster's worker threads — lets
    [`run_jobs`][sam2_autotrack.run.run_jobs] keep exactly that many videos in flight, so none
    waits on a worker behind another (a worker that dies then fails only the video it ran).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)

    @property
    def slots(self) -> int:
        """Worker threads of the cluster now (at least 1)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` on a worker."""
        future: Future[Any] = self._executor.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting jobs (the client itself is closed by `dask_executor`)."""
        self._executor.shutdown(wait=wait)


@contextlib.contextmanager
def dask_executor(
    address: str, *, workers: int | None = None, threads_per_worker: int = 1
) -> Iterator[DaskExecutor]:
    """Yield an executor running jobs on a Dask cluster; close the client (and a local cluster).

    Parameters
    ----------
    address
        ``"local"`` to start a `distributed.LocalCluster` of worker *processes* on this
        machine, or a scheduler address such as ``"tcp://10.0.0.5:8786"``.
    workers
        Worker processes of a local cluster (default: Dask's choice, one per core or so).
    threads_per_worker
        Threads per local worker. One video at a time per worker suits tracking and exports,
        which use several cores themselves (ffmpeg). A local scheduler hands a worker no more
        videos than it has threads (``worker-saturation`` 1.0), so a worker that dies fails only
        the video it was running; Dask retries that video on another worker up to
        ``distributed.scheduler.allowed-failures`` times (default 3) before its row says it
        failed. Configure a remote scheduler the same way for the same behaviour.

    Raises
    ------
    ConfigError
        Dask is not installed, or ``address`` is neither ``"local"`` nor a scheduler address.
    AutotrackError
        The scheduler cannot be reached.

    Yields
    ------
    DaskExecutor
        A `concurrent.futures.Executor` for
        [`AutoTracker.track_many`][sam2_autotrack.AutoTracker.track_many]'s ``executor``.

    Examples
    --------
    >>> with dask_executor("local", workers=1) as executor:  # doctest: +SKIP
    ...     tracker.track_many(videos, out_dir="runs", executor=executor)
    """
    if address != "local" and "://" not in address:
        raise ConfigError(
            f"--dask must be 'local' or a scheduler address such as tcp://HOST:8786; got "
            f"{address!r}"
        )
    distributed = _distributed()
    import dask

    with contextlib.ExitStack() as stack:
        if address == "local":
            # One video per worker thread at a time, none queued behind it on the worker: a worker
            # that dies then takes down only the video it was running.
            stack.enter_context(dask.config.set({"distributed.scheduler.worker-saturation": 1.0}))
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=50,  # logging.CRITICAL: worker chatter stays off stderr
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(address, timeout="30s"))
            except OSError as exc:
                raise AutotrackError(
                    f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
                    "`dask scheduler` and pass its tcp://HOST:PORT"
                ) from exc
        yield DaskExecutor(client)
