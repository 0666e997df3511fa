"""Strict, line-aware access to a parsed export: every complaint names file:line and raises
a ManifestError (exit 2)."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deploytool.errors import ManifestError, ManifestProblem
from deploytool.manifest.yamlsafe import line_of

_NULL = "tag:yaml.org,2002:null"
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


class Doc:
    """One node of an exported file, with the file it came from."""

    def __init__(self, node: Node, path: str) -> None:
        self.node = node
        self.path = path

    @property
    def line(self) -> int:
        return line_of(self.node)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def fail(self, message: str) -> ManifestError:
        return ManifestError([ManifestProblem(self.path, self.line, message)])

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, ScalarNode) and self.node.tag == _NULL

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, SequenceNode)

    def fields(self, what: str) -> dict[str, Doc]:
        """A mapping's entries by key (first of each); each Doc is the value, and `key_line`
        finds the key's line."""
        if not isinstance(self.node, MappingNode):
            raise self.fail(f"{what}: expected a mapping")
        out: dict[str, Doc] = {}
        for key, value in self.node.value:
            if isinstance(key, ScalarNode):
                out.setdefault(str(key.value), Doc(value, self.path))
        return out

    def get(self, key: str, what: str) -> Doc | None:
        """`key` of this mapping; None when absent or null."""
        found = self.fields(what).get(key)
        return None if found is None or found.is_null else found

    def require(self, key: str, what: str) -> Doc:
        found = self.get(key, what)
        if found is None:
            raise self.fail(f"{what}: {key} is missing")
        return found

    def items(self, what: str) -> list[Doc]:
        if self.is_null:
            return []
        if not isinstance(self.node, SequenceNode):
            raise self.fail(f"{what}: expected a list")
        return [Doc(item, self.path) for item in self.node.value]

    def text(self, what: str) -> str:
        if not isinstance(self.node, ScalarNode):
            raise self.fail(f"{what}: expected a string")
        return "" if self.node.tag == _NULL else str(self.node.value)

    def integer(self, what: str) -> int:
        text = self.text(what)
        try:
            return int(text)
        except ValueError:
            raise self.fail(f"{what}: expected a whole number, found {text[:40]!r}") from None

    def boolean(self, what: str) -> bool:
        text = self.text(what)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.fail(f"{what}: expected true or false, found {text[:40]!r}")

    def string_map(self, what: str) -> dict[str, str]:
        if self.is_null:
            return {}
        return {key: value.text(f"{what}.{key}") for key, value in self.fields(what).items()}


def optional_text(doc: Doc, key: str, what: str) -> str:
    found = doc.get(key, what)
    return found.text(f"{what}.{key}") if found is not None else ""
