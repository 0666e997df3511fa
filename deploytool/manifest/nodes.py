"""Strict reading of composed YAML nodes: mappings without duplicate or unknown keys, values
that are strings in the YAML sense (not `yes`, `1` or `~`). Every complaint names the line,
the key and what to do, and is collected rather than raised, so one run reports them all."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deploytool.errors import ManifestProblem
from deploytool.manifest.yamlsafe import ALIAS_TAG, line_of

STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_SHOWN_CHARS = 60
_VARIABLE_LIKE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Problems:
    """The problems of one file, in the order found."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[ManifestProblem] = []

    def add(self, where: Node | int | None, message: str) -> None:
        line = line_of(where) if isinstance(where, Node) else where
        self.items.append(ManifestProblem(self.path, line, message))


@dataclass(frozen=True)
class Entry:
    """One `key: value` of a mapping; `line` is the key's line."""

    key: str
    line: int
    value: Node


def report_duplicate_keys(root: Node, problems: Problems) -> None:
    """Every repeated key in every mapping of the document (PyYAML would keep the last one
    silently). Bounded depth is guaranteed by the composer."""
    for mapping in _mappings(root):
        first_seen: dict[tuple[str, str], int] = {}
        for key_node, _ in mapping.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == ALIAS_TAG:
                continue
            identity = (key_node.tag, key_node.value)
            if identity in first_seen:
                problems.add(
                    key_node,
                    f"{shown(key_node.value)}: duplicate key; rename or remove the duplicate "
                    f"(first at line {first_seen[identity]})",
                )
            else:
                first_seen[identity] = line_of(key_node)


def _mappings(root: Node) -> Iterator[MappingNode]:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            yield node
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def mapping_entries(
    node: Node, label: str, expected: str, problems: Problems
) -> list[Entry] | None:
    """The entries of a mapping node with string keys, first occurrence of each key only
    (duplicates are reported by `report_duplicate_keys`). None when it is not a mapping."""
    if node.tag == ALIAS_TAG:
        return None
    if not isinstance(node, MappingNode):
        problems.add(node, _wrong_kind(node, label, expected))
        return None
    entries: list[Entry] = []
    seen: set[str] = set()
    for key_node, value in node.value:
        if key_node.tag == ALIAS_TAG:
            continue
        if not isinstance(key_node, ScalarNode) or key_node.tag != STR_TAG:
            problems.add(key_node, f"{label}: {_non_string_key(key_node)}")
            continue
        if key_node.value in seen:
            continue
        seen.add(key_node.value)
        entries.append(Entry(key_node.value, line_of(key_node), value))
    return entries


def known_keys(
    entries: list[Entry], allowed: Sequence[str], where: str, problems: Problems
) -> dict[str, Entry]:
    """The entries whose key is allowed; an unknown key is reported with a did-you-mean."""
    known: dict[str, Entry] = {}
    for entry in entries:
        if entry.key in allowed:
            known[entry.key] = entry
            continue
        guess = difflib.get_close_matches(entry.key, allowed, n=1, cutoff=0.6)
        if guess:
            advice = f"did you mean {guess[0]}:?"
        elif _VARIABLE_LIKE.match(entry.key):
            advice = "variables go under env: or secrets:"
        else:
            advice = "remove it or fix its spelling"
        problems.add(
            entry.line,
            f"{shown(entry.key)}: unknown key {where}; {advice} (allowed: {', '.join(allowed)})",
        )
    return known


def string_value(node: Node, label: str, problems: Problems, *, redact: bool = False) -> str | None:
    """The string in a scalar node, or None after reporting why it is not one. With
    `redact`, the offending source text is never shown (values of secret-looking names)."""
    if node.tag == ALIAS_TAG:
        return None
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return str(node.value)
    problems.add(node, f"{label}: {_non_string_value(node, redact)}")
    return None


def string_list(node: Node, label: str, expected: str, problems: Problems) -> list[Entry] | None:
    """The non-empty, distinct strings of a sequence node, each with its line."""
    if node.tag == ALIAS_TAG:
        return None
    if not isinstance(node, SequenceNode):
        problems.add(node, _wrong_kind(node, label, expected))
        return None
    items: list[Entry] = []
    first_seen: dict[str, int] = {}
    for item in node.value:
        text = string_value(item, f"{label} entry", problems)
        if text is None:
            continue
        if not text.strip():
            problems.add(item, f"{label}: empty entry; remove it or write a name")
        elif text in first_seen:
            problems.add(
                item,
                f"{label}: {shown(text)} is listed twice; remove the duplicate "
                f"(first at line {first_seen[text]})",
            )
        else:
            first_seen[text] = line_of(item)
            items.append(Entry(text, line_of(item), item))
    return items


def describe(node: Node) -> str:
    """What a node is, in words a YAML user recognises."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == STR_TAG:
        return "a string"
    kind = _SCALAR_KINDS.get(node.tag)
    if kind is not None:
        return kind
    return f"a value tagged {str(node.tag).replace('tag:yaml.org,2002:', '!!')}"


_SCALAR_KINDS = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a merge key (<<)",
    "tag:yaml.org,2002:value": "a YAML value indicator (=)",
}


def _wrong_kind(node: Node, label: str, expected: str) -> str:
    if isinstance(node, ScalarNode) and node.tag == _NULL_TAG and node.value == "":
        return f"{label}: expected {expected}, found nothing; fill it in or remove the key"
    return f"{label}: expected {expected}, found {describe(node)}"


def _non_string_value(node: Node, redact: bool) -> str:
    if isinstance(node, MappingNode | SequenceNode):
        return f"value is {describe(node)}, not a string; write one quoted string instead"
    text = str(node.value)
    if node.tag == _NULL_TAG and text == "":
        return 'has no value (YAML reads it as null); write "" for an empty string'
    text_shown = "***" if redact else shown(text)
    quoted = "quote it" if redact else f"quote it: {_quoted(text)}"
    kind = describe(node)
    if node.tag == "tag:yaml.org,2002:bool":
        return (
            f"value {text_shown} is a boolean, not a string (YAML 1.1 parses yes/no/on/off/"
            f"true/false as booleans); {quoted}"
        )
    if node.tag == _NULL_TAG:
        return (
            f'value {text_shown} is null, not a string; {quoted}, or write "" for an empty string'
        )
    if node.tag in _SCALAR_KINDS:
        return f"value {text_shown} is {kind}, not a string; {quoted}"
    if redact:
        # The "tag" may be the secret itself, written unquoted after a `!`.
        return "value *** carries a YAML tag, not a string; remove the tag and quote the value"
    return f"value {text_shown} is {kind}, not a string; remove the tag and quote the value"


def _non_string_key(node: Node) -> str:
    if isinstance(node, MappingNode | SequenceNode):
        return f"a key is {describe(node)}; keys must be plain names"
    text = str(node.value)
    if node.tag == _NULL_TAG and text == "":
        return "a key is empty; write a name before the colon"
    if node.tag == "tag:yaml.org,2002:merge":
        return "merge keys (<<) are not allowed in manifests; write the keys out in full"
    return f"key {shown(text)} is {describe(node)}, not a string; quote it: {_quoted(text)}"


def _quoted(text: str) -> str:
    return json.dumps(_shorten(text), ensure_ascii=False)


def shown(text: str) -> str:
    """Text from the file as it appears in a message: shortened, control characters escaped."""
    short = _shorten(text)
    if short.isprintable():
        return short
    return json.dumps(short, ensure_ascii=False)


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
