"""How a read is retried: which failures are worth another attempt, within what deadline, and
who hears about each retry (api_core's Retry `on_error` hook)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry

from deploytool.cloudrun.failures import is_refused, is_transient

log = logging.getLogger("deploytool.cloudrun")


@dataclass(frozen=True)
class RetryNotice:
    """A read is about to be tried again: `doing` names it, `reason` says what failed."""

    doing: str
    reason: str
    attempt: int  # the attempt about to be made (2 for the first retry)

    def line(self) -> str:
        return f"retrying {self.doing} after {self.reason} (attempt {self.attempt})…"


RetryListener = Callable[[RetryNotice], None]


class RetryWatch:
    """The retries of one read (every page of a list included): each failed attempt is logged
    (seen with --debug), and the listener hears of the first retry only, so a terminal gets
    one line per retried read, not one per attempt."""

    def __init__(self, doing: str, listener: RetryListener | None) -> None:
        self.doing = doing
        self._listener = listener
        self._lock = threading.Lock()
        self._attempts = 0
        self._announced = False

    def new_request(self) -> None:
        """A new page: its attempts count from 1 again."""
        with self._lock:
            self._attempts = 0

    def failed(self, exc: Exception) -> None:
        with self._lock:
            self._attempts += 1
            attempt = self._attempts
            first = not self._announced
            self._announced = True
        reason = reason_of(exc)
        log.debug("attempt %d to %s failed: %s; retrying", attempt, self.doing, reason)
        if first and self._listener is not None:
            self._listener(RetryNotice(self.doing, reason, attempt + 1))


def read_retry(
    deadline: float, *, watch: RetryWatch | None = None, emulator: bool = False
) -> gretry.Retry:
    """Reads are idempotent: retry 429, 5xx and dropped connections with backoff and jitter
    (api_core's Retry adds the jitter) until the total deadline.

    A connection refused by an emulator host is not retried: the emulator is on this machine
    and is simply not running, so waiting for --timeout would only delay the answer. Real
    Cloud Run behind a flaky network may refuse for a moment: that is retried."""

    def worth_retrying(exc: BaseException) -> bool:
        if emulator and is_refused(exc):
            return False
        return is_transient(exc)

    return gretry.Retry(
        predicate=worth_retrying,
        initial=0.1,
        maximum=min(5.0, max(deadline / 4, 0.2)),
        multiplier=2.0,
        timeout=deadline,
        on_error=watch.failed if watch is not None else None,
    )


def reason_of(exc: BaseException) -> str:
    """A few words for a failed attempt: `503 Service Unavailable`, `connection refused`."""
    if isinstance(exc, gexc.GoogleAPICallError) and isinstance(exc.code, int) and exc.code:
        try:
            return f"{exc.code} {HTTPStatus(exc.code).phrase}"
        except ValueError:
            return f"HTTP {exc.code}"
    if is_refused(exc):
        return "connection refused"
    if isinstance(exc, requests.exceptions.Timeout):
        return "a timeout"
    if isinstance(
        exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
    ):
        return "a dropped connection"
    return type(exc).__name__
