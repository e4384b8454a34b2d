"""Turning a request's `Failure` into the library's typed errors.

Every message names what was being done, what went wrong (the server's own text, token
scrubbed), the prediction when one is known, and the fix.
"""

from __future__ import annotations

from sam2_autotrack.backends.replicate.options import TOKEN_ENV
from sam2_autotrack.backends.replicate.transport import Failure
from sam2_autotrack.errors import PredictionTimeoutError, RateLimitError, ReplicateAPIError

__all__ = ["api_error", "create_error"]


def api_error(failure: Failure, *, prediction_id: str | None = None) -> Exception:
    """Return the typed error of a failed API request.

    Examples
    --------
    >>> error = api_error(Failure("reading prediction p1", "status", "HTTP 401: no", 401))
    >>> type(error).__name__, error.status_code
    ('ReplicateAPIError', 401)
    """
    status = failure.status
    if failure.kind == "deadline":
        return PredictionTimeoutError(
            f"{failure.what}: the run's deadline passed ({failure.reason}); raise "
            "Timeouts.prediction (--timeout) or try again later",
            prediction_id=prediction_id,
        )
    if failure.kind == "throttled":
        return RateLimitError(
            f"{failure.what}: Replicate kept throttling (429): {failure.reason}; wait a "
            "minute, lower the concurrency, or add a payment method to raise the rate limit",
            status_code=429,
            prediction_id=prediction_id,
        )
    if failure.kind == "status" and status is not None and status < 500:
        if status in (401, 403):
            fix = f"check the token in {TOKEN_ENV} (or api_token=) — it was rejected"
        elif status == 404:
            fix = "check the model version id (ModelVersions) and base_url"
        elif status == 422:
            fix = "an input was rejected by the model's schema; check the options passed"
        else:
            fix = "see the detail above"
        return ReplicateAPIError(
            f"{failure.what} failed with {failure.reason}; {fix}",
            status_code=status,
            prediction_id=prediction_id,
        )
    if failure.kind == "timeout":
        return ReplicateAPIError(
            f"{failure.what} got no complete answer ({failure.reason}); the server is "
            "unreachable or too slow — check https://www.replicatestatus.com, raise "
            "Timeouts.request (or .upload) if your connection is slow, then re-run",
            status_code=status,
            prediction_id=prediction_id,
        )
    return ReplicateAPIError(
        f"{failure.what} failed: {failure.reason}; check your network and "
        "https://www.replicatestatus.com, then re-run (the journal resumes created "
        "predictions)",
        status_code=status,
        prediction_id=prediction_id,
    )


def create_error(failure: Failure) -> Exception:
    """Return the typed error of a failed create (saying so when the prediction may exist)."""
    if not failure.maybe_sent:
        return api_error(failure)
    message = (
        f"creating a prediction lost its answer ({failure.reason}); it may have reached "
        "Replicate and be running (it was not found in the prediction listing): the request "
        "is journaled as pending, so re-running the same job looks for it again before "
        "paying for a new one — or see https://replicate.com/predictions"
    )
    if failure.kind == "deadline":
        return PredictionTimeoutError(message)
    return ReplicateAPIError(message, status_code=failure.status)
