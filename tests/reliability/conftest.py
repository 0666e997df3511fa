"""The reliability suite's figures (written as JSON when DEPLOYTOOL_RELIABILITY_REPORT names
a file) and the soak guard: `@pytest.mark.soak` tests run only when `-m` selects them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import Figures

REPORT_ENV = "DEPLOYTOOL_RELIABILITY_REPORT"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pyproject's addopts do not deselect soak tests (no `-m "not soak"` there); until they
    # do, deselect them here unless the marker expression names them (`pytest -m soak`, as
    # scripts/soak.sh runs it).
    if "soak" in (config.getoption("markexpr", "") or ""):
        return
    soak = [item for item in items if item.get_closest_marker("soak") is not None]
    if soak:
        config.hook.pytest_deselected(items=soak)
        items[:] = [item for item in items if item.get_closest_marker("soak") is None]


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    collected = Figures()
    yield collected
    target = os.environ.get(REPORT_ENV)
    if target and collected.records:
        collected.write(Path(target))
