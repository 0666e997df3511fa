"""render/escape.py: the one-line escape, the workflow-command guard and the JSON pass."""

from __future__ import annotations

import json

import pytest

from deploytool import redaction
from deploytool.core.model import EnvVar
from deploytool.render.escape import escape_document, guard_commands, json_text, one_line, shown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain value", "plain value"),
        ("", ""),
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("\x00\x07\x08\x0b\x0c\x1f", "\\x00\\x07\\x08\\x0b\\x0c\\x1f"),
        ("\x1b[2K\x1b[31mred", "\\x1b[2K\\x1b[31mred"),
        ("del\x7f", "del\\x7f"),
        ("nel\x85csi\x9b2K", "nel\\x85csi\\x9b2K"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        (
            "\u202aLRE\u202bRLE\u202cPDF\u202dLRO\u202eRLO",
            "\\u202aLRE\\u202bRLE\\u202cPDF\\u202dLRO\\u202eRLO",
        ),
        ("\u2066LRI\u2067RLI\u2068FSI\u2069PDI", "\\u2066LRI\\u2067RLI\\u2068FSI\\u2069PDI"),
        ("\u200emarks\u200f\u061c", "\\u200emarks\\u200f\\u061c"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("non\ufffe\uffff", "non\\ufffe\\uffff"),
        # Left alone: printable text of any script, emoji, backslashes, markup, commands.
        ("Grüße ✓ 日本 😀", "Grüße ✓ 日本 😀"),
        ("C:\\path\\n", "C:\\path\\n"),
        (
            "[bold red]x[/bold red] *y* ::error::z ##[w]",
            "[bold red]x[/bold red] *y* ::error::z ##[w]",
        ),
        ("nbsp\u00a0zwsp\u200b", "nbsp\u00a0zwsp\u200b"),
    ],
)
def test_one_line(raw, escaped):
    assert one_line(raw) == escaped
    assert one_line(escaped) == escaped  # idempotent: escaping twice changes nothing
    assert len(one_line(raw).splitlines()) <= 1  # nothing Python (or a terminal) breaks on


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("diff production: DRIFT (exit 3)", "diff production: DRIFT (exit 3)"),
        ("::error::forged", "\\x3a:error::forged"),
        ("  ::warning title=x::y", "  \\x3a:warning title=x::y"),
        ("\u00a0\u2003::error::x", "\u00a0\u2003\\x3a:error::x"),  # the runner trims Unicode blanks
        ("ok\n::error::a\n\t::notice::b\n", "ok\n\\x3a:error::a\n\t\\x3a:notice::b\n"),
        ("a value ::error::mid-line", "a value ::error::mid-line"),  # not a command there
        ("x ##[error]legacy anywhere", "x ##\\x5berror]legacy anywhere"),
        ("IPv6 :: and a:b", "IPv6 :: and a:b"),
        (": single", ": single"),
    ],
)
def test_guard_commands(text, guarded):
    assert guard_commands(text) == guarded


@pytest.mark.parametrize(
    "value",
    [
        "a\u2028b\u2029c",
        "nel\x85 csi\x9b del\x7f",
        "\u202eevil\u2066",
        "##[error]legacy",
        "lone \udfff",
        "new\nline \x1b[2K",
    ],
)
def test_json_text_parses_to_the_same_value(value):
    encoded = json_text(json.dumps({"v": value}, ensure_ascii=False))
    assert json.loads(encoded) == {"v": value}
    assert one_line(encoded) == encoded  # nothing raw left that one_line would escape
    assert "##[" not in encoded


def test_escape_document_and_shown_scrub_before_escaping():
    secret = "multi\nline-secret-value"
    redaction.remember([EnvVar("API_KEY", secret)])
    assert shown(f"error: {secret}!") == "error: ***!"
    assert shown(None) == ""
    assert shown(3) == "3"
    doc = {"a\nkey": ["x\ry", {"n": 1, "m": None, "s": secret}], "t": True}
    assert escape_document(doc) == {
        "a\\nkey": ["x\\ry", {"n": 1, "m": None, "s": "***"}],
        "t": True,
    }
