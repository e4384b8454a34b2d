"""Finding a prediction whose create answer was lost, so it is resumed or canceled, never lost.

A create request that times out, breaks mid-answer or gets a malformed answer may still have
created (and started billing) a prediction. Replicate has no idempotency key, but it lists an
account's predictions newest first (``GET /v1/predictions``, with the ``input`` of each), and the
inputs this client sends carry the URLs of files it has just uploaded, which are unique: the
prediction with the same version and the same input is the one that was created.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sam2_autotrack.backends.replicate.journal import parse_time

__all__ = ["LIST_PATH", "find_prediction"]

LIST_PATH = "/v1/predictions"
_PAGES = 5
_LOOKUPS = 10
_CLOCK_SKEW = timedelta(minutes=5)

Json = dict[str, Any]


def _normal(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def find_prediction(
    list_page: Callable[[str], Json],
    get: Callable[[str], Json | None],
    *,
    version: str,
    inputs: Mapping[str, Any],
    created_after: datetime | None = None,
) -> Json | None:
    """Return the newest listed prediction with ``version`` and exactly ``inputs``, or ``None``.

    Parameters
    ----------
    list_page
        Reads one page of the listing (``LIST_PATH`` first, then each page's ``next`` URL).
    get
        Reads one prediction, for listings that leave out the inputs.
    version, inputs
        What the create request sent.
    created_after
        Predictions created more than a few minutes (clock skew) before this are not it; the
        search stops at the first page that reaches back that far.

    Examples
    --------
    >>> page = {"results": [{"id": "p1", "version": "v", "input": {"x": 1}}], "next": None}
    >>> find_prediction(lambda url: page, lambda pid: None, version="v", inputs={"x": 1})["id"]
    'p1'
    >>> find_prediction(lambda url: page, lambda pid: None, version="v", inputs={"x": 2}) is None
    True
    """
    wanted = _normal(dict(inputs))
    oldest = None if created_after is None else created_after - _CLOCK_SKEW
    url: str = LIST_PATH
    lookups = 0
    for _ in range(_PAGES):
        page = list_page(url)
        results = page.get("results")
        if not isinstance(results, list):
            return None
        reached_back = False
        for item in results:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                continue
            created = parse_time(item.get("created_at"))
            if oldest is not None and created is not None and created < oldest:
                reached_back = True
                continue
            if item.get("version") != version:
                continue
            if "input" in item:
                if _normal(item.get("input")) == wanted:
                    return dict(item)
            elif lookups < _LOOKUPS:
                lookups += 1
                full = get(str(item["id"]))
                if full is not None and _normal(full.get("input")) == wanted:
                    return full
        following = page.get("next")
        if reached_back or not isinstance(following, str) or not following:
            return None
        url = following
    return None
