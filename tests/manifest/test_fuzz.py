"""Whatever is in the file, loading ends quickly in a Manifest, a ManifestError or a
UsageError: never another exception, never a hang."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploytool.errors import ManifestError, UsageError
from deploytool.manifest import load_all, load_manifest

FRAGMENTS = [
    "project: p\n",
    "region: r\n",
    "services:\n",
    "  api:\n",
    "  web: {}\n",
    "    env:\n",
    "    secrets:\n",
    "      A: yes\n",
    '      B: "1"\n',
    '      C: "c:1"\n',
    "      PORT: x\n",
    "e2e:\n",
    '  env: {E2E_TESTING: "1"}\n',
    "  services: [api, nope]\n",
    "ignore: [X]\n",
    "&a ",
    "*a",
    "[",
    "]",
    "{",
    "}",
    "- ",
    ": ",
    ", ",
    "\n",
    "  ",
    "\t",
    "#",
    "---\n",
    '"',
    "'",
    "<<: ",
    "!!binary ",
    "!x ",
    "? ",
    "~",
    "\u0415",
    "\x85",
    "\ufeff",
    "%YAML 1.1\n",
    "|\n",
]
FUZZ = settings(
    max_examples=150,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "project",
                    "region",
                    "services",
                    "env",
                    "secrets",
                    "e2e",
                    "api",
                    "A",
                    "E2E_TESTING",
                    "ignore",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)


def check_loads_or_fails_cleanly(directory: Path, data: bytes) -> None:
    (directory / "fuzz.yaml").write_bytes(data)
    (directory / "policy.yaml").write_bytes(data)
    started = time.monotonic()
    try:
        load_manifest(directory, "fuzz")
    except (ManifestError, UsageError) as error:
        assert error.exit_code == 2
        assert str(error)
    try:
        load_all(directory, ["fuzz"])
    except (ManifestError, UsageError) as error:
        assert error.exit_code == 2
    assert time.monotonic() - started < 1.5


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    check_loads_or_fails_cleanly(tmp_path, data)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text(tmp_path: Path, text: str) -> None:
    check_loads_or_fails_cleanly(tmp_path, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_yaml_like_fragments(tmp_path: Path, parts: list[str]) -> None:
    check_loads_or_fails_cleanly(tmp_path, "".join(parts).encode("utf-8"))


@FUZZ
@given(yaml_values)
def test_well_formed_yaml_of_any_shape(tmp_path: Path, value: object) -> None:
    check_loads_or_fails_cleanly(tmp_path, yaml.safe_dump(value, allow_unicode=True).encode())
