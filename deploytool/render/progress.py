"""Progress on stderr, only when stderr is a terminal: reports on stdout stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from deploytool.render.escape import shown


class RolloutBar:
    """A bar of services written, with one line per finished service above it. Silent when
    stderr is not a terminal."""

    def __init__(self) -> None:
        self.console = Console(file=sys.stderr, highlight=False)
        self._bar: Any = None
        self._task: Any = None

    def begin(self, total: int) -> None:
        if not self.console.is_terminal or self._bar is not None:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("rolling out"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("", total=total)

    def __call__(self, outcome: Any) -> None:
        if self._bar is None:
            return
        service = shown(outcome.service)
        self._bar.console.print(Text(f"  {service}: {outcome.outcome.value}"))
        # A TextColumn reads its description as markup.
        self._bar.update(self._task, advance=1, description=escape(service))

    def end(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def rollout_bar() -> Iterator[RolloutBar]:
    bar = RolloutBar()
    try:
        yield bar
    finally:
        bar.end()


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
            last = escape(shown(where))
            bar.update(task, description=f"{label}: {done} locations read (last {last})")

        yield tick
