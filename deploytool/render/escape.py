"""Output hygiene: nothing a value contains can start a line, move the cursor or become a CI
workflow command.

Values, names and API messages are untrusted text: a live variable may hold a newline followed
by `diff production: IN SYNC (exit 0)`, a terminal sequence, or a GitHub Actions command. The
renderers pass every such string through `one_line` (or a document through `escape_document`)
before it meets their own format, so the line breaks in a report are only the tool's own.

- `one_line`: control characters (C0, DEL, C1), Unicode line and paragraph separators, bidi
  controls, lone surrogates and the non-characters U+FFFE/U+FFFF become visible escapes (`\\n`,
  `\\x1b`, `\\u2028`). Everything else, backslashes included, is left as it is.
- `guard_commands`: on the streams the GitHub runner reads (stdout, stderr), a line whose first
  non-blank characters are `::` is a workflow command, and so is `##[` anywhere in a line (the
  runner's legacy format, actions/runner ActionCommand.TryParse). The tool's own text never
  contains either, so any occurrence came from a value and is defused.
- `json_text`: JSON may show the real value, but escaped by JSON itself (`\\u2028`).

Escaping happens after `scrub` (redaction.py): an escaped secret would no longer match it.
"""

from __future__ import annotations

import re
from typing import Any

from deploytool.redaction import scrub

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and DEL, C1 (NEL U+0085 and CSI U+009B among them), line/paragraph separators, bidi
# embeddings/overrides/isolates and marks, lone surrogates, U+FFFE/U+FFFF.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)
# The runner's two command syntaxes (see the module docstring).
_LINE_COMMAND = re.compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)  # the runner trims Unicode blanks
_LEGACY_COMMAND = "##["
# Characters JSON (ensure_ascii=False) writes raw that must not reach a terminal or a runner
# raw; outside strings JSON has none of them, and `#` never appears, so the text can be
# rewritten as a whole without changing what it parses to.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` safe for one line of any output: unsafe characters shown as escapes."""
    return _UNSAFE.sub(_escape, text)


def shown(value: Any) -> str:
    """An untrusted value as a renderer prints it: scrubbed of known secrets, then one line."""
    return one_line(scrub("" if value is None else str(value)))


def escape_document(value: Any) -> Any:
    """A JSON-like document with `shown` applied to every string (keys included), for the
    renderers that turn the JSON document into text (Markdown, JUnit, GitHub annotations)."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {escape_document(k): escape_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_document(v) for v in value]
    return value


def guard_commands(text: str) -> str:
    """Text for stdout/stderr in which no line is a GitHub workflow command: a leading `::`
    becomes `\\x3a:` and every `##[` becomes `##\\x5b`."""
    return _LINE_COMMAND.sub(r"\1\\x3a", text).replace(_LEGACY_COMMAND, "##\\x5b")


def json_text(encoded: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with the characters above and the
    legacy `##[` written as JSON `\\u` escapes: it parses to exactly the same document."""
    encoded = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
    return encoded.replace(_LEGACY_COMMAND, "##\\u005b")
