"""Brief retries of what a starting or briefly overloaded service answers (connection reset,
502/503/504), within the probe's deadline. A refused connection is not retried: nothing
listens at that URL, and waiting will not change it within a probe's few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry

T = TypeVar("T")

RETRY_SECONDS = 5.0  # at most this long spent retrying one probe (the deadline still rules)
TRANSIENT_STATUSES = frozenset({502, 503, 504})


class TransientAnswer(Exception):
    """An answer worth retrying; carries what to report if retries run out."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def refused(exc: BaseException) -> bool:
    """Whether a connection error (requests', urllib3's or a plain OSError) was a refusal."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ConnectionRefusedError):
            return True
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return "connection refused" in str(exc).lower()


def with_retries(
    attempt: Callable[[float], T], deadline: float, transient: Callable[[BaseException], bool]
) -> T:
    """`attempt(seconds_left)` until it succeeds, raises something not `transient`, or time
    runs out; then the last exception is raised as it was (never a RetryError)."""
    budget = max(0.0, min(RETRY_SECONDS, deadline - time.monotonic()))
    policy = gretry.Retry(
        predicate=transient, initial=0.1, maximum=1.0, multiplier=2.0, timeout=budget
    )

    def once() -> T:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer before the deadline")
        return attempt(left)

    try:
        return policy(once)()
    except gexc.RetryError as exc:
        if exc.cause is not None:
            raise exc.cause from None
        raise
