from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from deploytool.errors import ManifestError, ManifestProblem
from deploytool.manifest import load_manifest

MARK = "# <-"


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A relative `configs` directory, as users pass it, so paths in messages are relative."""
    monkeypatch.chdir(tmp_path)
    directory = Path("configs")
    directory.mkdir()
    return directory


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def marked_line(text: str) -> int:
    """The 1-based line of `text` (dedented as `write` does) that carries the `# <-` mark."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return next(number for number, line in enumerate(lines, 1) if MARK in line)


def manifest_problems(directory: Path, environment: str) -> list[ManifestProblem]:
    with pytest.raises(ManifestError) as raised:
        load_manifest(directory, environment)
    assert raised.value.exit_code == 2
    assert raised.value.problems, "a ManifestError always carries problems"
    return raised.value.problems
