"""Progress on stderr, only when stderr is a terminal: reports on stdout stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console


@contextmanager
def outcome_ticker() -> Iterator[Callable[[Any], None]]:
    """Yields a callback printing one line per finished service (apply)."""
    console = Console(file=sys.stderr, highlight=False)
    if not console.is_terminal:
        yield lambda _outcome: None
        return

    def tick(outcome: Any) -> None:
        console.print(f"  {outcome.service}: {outcome.outcome.value}")

    yield tick


@contextmanager
def location_bar(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with a count of (project, region) pairs read, for long audits."""
    console = Console(file=sys.stderr, highlight=False)
    if not console.is_terminal:
        yield lambda _where: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as bar:
        task = bar.add_task(label, total=None)
        done = 0

        def tick(where: str) -> None:
            nonlocal done
            done += 1
            bar.update(task, description=f"{label}: {done} locations read (last {where})")

        yield tick
