"""Following a list's pages ourselves, not through the generated pager: the pager follows
`next_page_token` forever (a server that repeats a token would hang the gate), and it gives
every page the whole deadline again (so `--timeout` would not bound the read)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from deploytool.errors import LiveStateError


class Page(Protocol):
    @property
    def next_page_token(self) -> str: ...


PageT = TypeVar("PageT", bound=Page)

# fetch(page_token, seconds_left) -> one page; "" asks for the first page.
FetchPage = Callable[[str, float], PageT]


def read_pages(
    fetch: FetchPage[PageT],
    *,
    doing: str,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[PageT]:
    """Every page of one list, within `deadline` seconds in all. A page token that comes
    back a second time, or a deadline spent between pages, is a LiveStateError: the read
    fails (closed) instead of never ending or being cut short silently."""
    started = clock()
    seen: set[str] = set()
    token = ""
    pages = 0
    while True:
        left = deadline - (clock() - started)
        if pages and left <= 0:
            raise LiveStateError(
                f"timed out trying to {doing}: {pages} pages read within --timeout "
                f"({deadline:g} s) and more to come",
                "raise --timeout",
            )
        page = fetch(token, max(left, 0.001))
        pages += 1
        yield page
        token = page.next_page_token
        if not token:
            return
        if token in seen:
            raise LiveStateError(
                f"Cloud Run sent the same page token twice while trying to {doing} (after "
                f"{pages} pages): following it would never end, so this read failed",
                "a fault of the API or of a proxy in between: re-run later, and report it "
                "if it persists",
            )
        seen.add(token)
