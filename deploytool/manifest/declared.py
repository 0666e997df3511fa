"""The names a manifest declares under `secrets:`, found before anything else is read: the
redaction decision must know them before the first value of that file is checked or echoed."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deploytool.redaction import declare


def declare_secret_names(root: Node | None) -> None:
    """Tell the redaction decision every key of every `secrets:` mapping in the document
    (services, the e2e block, and whatever else a newer manifest format nests)."""
    if root is not None:
        declare(_secret_names(root))


def _secret_names(root: Node) -> Iterator[str]:
    stack = [root]
    while stack:  # depth is bounded by the safe composer
        node = stack.pop()
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        if not isinstance(node, MappingNode):
            continue
        for key, value in node.value:
            if key.value == "secrets" and isinstance(value, MappingNode):
                yield from (str(k.value) for k, _ in value.value if isinstance(k, ScalarNode))
            stack.append(value)
