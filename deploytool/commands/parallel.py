"""Bounded parallel work that Ctrl-C can stop.

ThreadPoolExecutor's workers are joined at interpreter exit, so a process told to abandon an
in-flight rollout would still wait for it. These workers are daemon threads: the caller decides
whether to wait (first Ctrl-C) or to leave them behind (second Ctrl-C).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Batch(Generic[T, R]):
    """Results by input index; `started` holds the indexes a worker picked up."""

    items: Sequence[T]
    results: dict[int, R] = field(default_factory=dict)
    started: set[int] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def in_flight(self) -> list[int]:
        with self.lock:
            return sorted(self.started - self.results.keys())


def start(
    items: Sequence[T], work: Callable[[T], R], parallel: int, cancel: threading.Event
) -> Batch[T, R]:
    """Begin `work` on every item, at most `parallel` at once. Items not yet picked up when
    `cancel` is set are never started."""
    batch: Batch[T, R] = Batch(items)
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(items)):
        todo.put(index)
    remaining = [len(items)]
    if not items:
        batch.done.set()

    def worker() -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            if cancel.is_set():
                _finish(batch, remaining)
                continue
            with batch.lock:
                batch.started.add(index)
            try:
                result = work(items[index])
                with batch.lock:
                    batch.results[index] = result
            finally:
                _finish(batch, remaining)

    for n in range(max(1, min(parallel, len(items)))):
        threading.Thread(target=worker, name=f"deploytool-worker-{n}", daemon=True).start()
    return batch


def _finish(batch: Batch[T, R], remaining: list[int]) -> None:
    with batch.lock:
        remaining[0] -= 1
        if remaining[0] == 0:
            batch.done.set()


def wait(batch: Batch[T, R], timeout: float | None = None) -> bool:
    """Block until every item finished or was skipped. Waits in short slices so Ctrl-C
    reaches the main thread promptly."""
    while not batch.done.wait(0.1 if timeout is None else min(0.1, timeout)):
        if timeout is not None:
            timeout -= 0.1
            if timeout <= 0:
                return False
    return True
