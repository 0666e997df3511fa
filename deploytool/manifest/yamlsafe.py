"""Reading a YAML file into position-marked nodes, safely.

Every way a file can be hostile or broken (too big, NUL bytes, not UTF-8, syntax errors,
aliases, absurd nesting) becomes a ManifestProblem with a line, never an exception. Nodes,
not Python objects, come out: they keep each key's line and the source text of each scalar,
and composing them never constructs (so never expands) anything.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from deploytool.errors import ManifestProblem

MAX_FILE_BYTES = 1024 * 1024
# Manifests are four levels deep; anything far deeper is a mistake or an attack, and the
# composer is recursive.
MAX_DEPTH = 32
# Stands in for a rejected alias so composing can go on and report every problem; validators
# skip nodes with this tag (the alias itself is already reported).
ALIAS_TAG = "!deploytool/rejected-alias"
_MAX_ALIAS_REPORTS = 10


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _StrictLoader(Reader, Scanner, Parser, Composer, Resolver):
    """SafeLoader's reading, scanning, parsing and resolving; no constructor at all. The
    pure-Python composer is used on purpose: it is the one whose `compose_node` can be
    overridden to refuse aliases and bound the depth."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        Resolver.__init__(self)
        self.alias_lines: list[int] = []
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.get_event()
            self.alias_lines.append(event.start_mark.line + 1)
            return ScalarNode(ALIAS_TAG, "", event.start_mark, event.end_mark)
        is_collection = self.check_event(CollectionStartEvent)
        if is_collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            if is_collection:
                self._depth -= 1


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _NotRegularFile(Exception):
    pass


def _read_regular_file(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file. Opened non-blocking so a FIFO named
    staging.yaml is refused at once instead of hanging the gate."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if not stat.S_ISREG(mode):
            raise _NotRegularFile
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


def read_yaml(path: Path, display: str) -> tuple[Node | None, list[ManifestProblem]]:
    """The root node of the single YAML document in `path` and every problem found reading
    it. `display` is how messages name the file. The root is None for an empty document and
    after a fatal problem; rejected aliases are problems but leave the rest of the tree."""

    def problem(line: int | None, message: str) -> tuple[None, list[ManifestProblem]]:
        return None, [ManifestProblem(display, line, message)]

    try:
        data = _read_regular_file(path, MAX_FILE_BYTES + 1)
    except _NotRegularFile:
        return problem(
            None,
            "not a regular file (a FIFO, device or socket); point the config dir at real files",
        )
    except OSError as exc:
        return problem(None, f"cannot read the file: {exc.strerror or exc}; check the path")
    if len(data) > MAX_FILE_BYTES:
        return problem(
            None,
            f"file is larger than {MAX_FILE_BYTES // 1024} KiB; a manifest is a few hundred "
            "lines at most, so check that this is the right file",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        return problem(
            _line_at(data, nul),
            f"NUL byte at byte offset {nul}; the file looks binary or UTF-16, save it as UTF-8",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return problem(
            _line_at(data, exc.start),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at byte offset {exc.start}); "
            "save the file as UTF-8",
        )
    return _compose(text, display)


def compose_documents(text: str, display: str) -> tuple[list[Node], list[ManifestProblem]]:
    """Every document of a multi-document YAML text (`---` separated, as `gcloud ... --format
    yaml` prints a list), with the same safety as `read_yaml`; empty documents are dropped."""
    nodes: list[Node] = []
    loader: _StrictLoader | None = None
    problems: list[ManifestProblem] = []
    try:
        loader = _StrictLoader(text)
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                nodes.append(node)
    except _TooDeep as exc:
        problems.append(ManifestProblem(display, exc.line, f"nesting deeper than {MAX_DEPTH}"))
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(display, exc))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        problems.append(ManifestProblem(display, None, f"YAML could not be read ({exc})"))
    for line in sorted(set(loader.alias_lines))[:_MAX_ALIAS_REPORTS] if loader else []:
        problems.append(ManifestProblem(display, line, "aliases (*name) are not allowed here"))
    return nodes, problems


def _compose(text: str, display: str) -> tuple[Node | None, list[ManifestProblem]]:
    problems: list[ManifestProblem] = []
    root: Node | None = None
    loader: _StrictLoader | None = None
    try:
        # The reader checks every character up front, so even construction can fail.
        loader = _StrictLoader(text)
        root = loader.get_single_node()
    except _TooDeep as exc:
        problems.append(
            ManifestProblem(
                display,
                exc.line,
                f"nesting deeper than {MAX_DEPTH} levels; a manifest is only a few levels deep, "
                "flatten it",
            )
        )
    except yaml.reader.ReaderError as exc:
        problems.append(
            ManifestProblem(
                display,
                text.count("\n", 0, exc.position) + 1,
                f"control character {_code_point(exc.character)} is not allowed in YAML; "
                "remove it or write it as an escape in a double-quoted string",
            )
        )
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(display, exc))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        problems.append(
            ManifestProblem(display, None, f"YAML could not be read ({exc}); fix the syntax")
        )
    alias_lines = sorted(set(loader.alias_lines)) if loader is not None else []
    for line in alias_lines[:_MAX_ALIAS_REPORTS]:
        problems.append(
            ManifestProblem(
                display,
                line,
                "aliases (*name) are not allowed in manifests; write the value out in full",
            )
        )
    return root, problems


def _syntax_problem(display: str, exc: yaml.MarkedYAMLError) -> ManifestProblem:
    mark = exc.problem_mark or exc.context_mark
    detail = " ".join(part for part in (exc.context, exc.problem) if part)
    if (
        exc.context_mark is not None
        and exc.problem_mark is not None
        and exc.context
        and exc.context_mark.line != exc.problem_mark.line
    ):
        detail = f"{exc.context} (line {exc.context_mark.line + 1}), {exc.problem}"
    advice = "fix the syntax"
    if "'\\t'" in detail:
        advice = "indent with spaces, YAML does not allow tabs there"
    elif "single document" in detail:
        advice = "a manifest is one document: remove the second --- and what follows"
    line = mark.line + 1 if mark is not None else None
    return ManifestProblem(display, line, f"YAML syntax error: {detail}; {advice}")


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _code_point(character: object) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return f"U+{code:04X}"
