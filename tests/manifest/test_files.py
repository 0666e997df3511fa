"""Files that are missing, hostile or not text: exit 2 with a clear message, never a crash."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from deploytool.errors import ManifestError, UsageError
from deploytool.manifest import list_environments, load_all, load_manifest
from deploytool.manifest.yamlsafe import MAX_DEPTH, MAX_FILE_BYTES
from tests.manifest.conftest import manifest_problems, write

VALID = "project: p\nregion: r\nservices: {api: {}}\n"

BILLION_LAUGHS = (
    b'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    b"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    b"e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)

HOSTILE: list[tuple[str, bytes, int | None, list[str]]] = [
    # id, file bytes, expected line, fragments
    (
        "latin-1",
        b'project: p\nregion: r\nservices: {api: {env: {A: "caf\xe9"}}}\n',
        3,
        ["not valid UTF-8", "byte 0xe9 at byte offset", "save the file as UTF-8"],
    ),
    ("utf-16", "project: p\n".encode("utf-16"), 1, ["NUL byte", "UTF-16", "UTF-8"]),
    ("nul", b"project: p\nregion: r\x00\n", 2, ["NUL byte at byte offset 20"]),
    ("control-char", b"project: p\nregion: r\x07\n", 2, ["control character U+0007"]),
    ("too-big", b"#" * (MAX_FILE_BYTES + 1), None, ["larger than 1024 KiB"]),
    ("deep-flow", b"a: " + b"[" * 50_000, 1, [f"nesting deeper than {MAX_DEPTH} levels"]),
    (
        "deep-block",
        b"".join(b"  " * i + b"k:\n" for i in range(200)),
        MAX_DEPTH + 1,
        ["nesting deeper than"],
    ),
    ("billion-laughs", BILLION_LAUGHS, 2, ["aliases (*name) are not allowed"]),
]


@pytest.mark.parametrize(
    ("data", "line", "fragments"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_hostile_file_is_a_manifest_error_not_a_crash(
    configs: Path, data: bytes, line: int | None, fragments: list[str]
) -> None:
    (configs / "staging.yaml").write_bytes(data)
    started = time.monotonic()

    problems = manifest_problems(configs, "staging")

    assert time.monotonic() - started < 2
    assert any(
        p.line == line
        and p.path == "configs/staging.yaml"
        and all(f in p.message for f in fragments)
        for p in problems
    ), "\n".join(map(str, problems))


def test_utf8_bom_is_accepted(configs: Path) -> None:
    (configs / "staging.yaml").write_bytes(b"\xef\xbb\xbf" + VALID.encode())

    assert load_manifest(configs, "staging").project == "p"


def test_missing_manifest_names_path_and_available_environments(configs: Path) -> None:
    write(configs, "staging.yaml", VALID)
    write(configs, "production.yaml", VALID)

    with pytest.raises(UsageError) as raised:
        load_manifest(configs, "prod")

    assert not isinstance(raised.value, ManifestError)
    assert raised.value.exit_code == 2
    assert "configs/prod.yaml" in str(raised.value)
    assert "available environments: production, staging" in str(raised.value)


def test_load_all_names_every_missing_environment(configs: Path) -> None:
    write(configs, "staging.yaml", VALID)

    with pytest.raises(UsageError) as raised:
        load_all(configs, ["staging", "qa", "dev"])

    assert "configs/qa.yaml" in str(raised.value) and "configs/dev.yaml" in str(raised.value)


@pytest.mark.parametrize("name", ["", "Staging", "../staging", "a/b", "policy", "-x", "st aging"])
def test_invalid_environment_name_is_a_usage_error(configs: Path, name: str) -> None:
    with pytest.raises(UsageError) as raised:
        load_manifest(configs, name)

    assert raised.value.exit_code == 2
    assert "not a valid environment name" in str(raised.value)


def test_missing_config_dir_and_empty_config_dir(configs: Path) -> None:
    with pytest.raises(UsageError, match="config directory nowhere not found"):
        list_environments(Path("nowhere"))
    with pytest.raises(UsageError, match="no manifests found in configs"):
        load_all(configs, None)


def test_yml_is_a_manifest_like_yaml(configs: Path) -> None:
    write(configs, "staging.yml", VALID)
    write(configs, "production.yaml", VALID)

    assert list_environments(configs) == ["production", "staging"]
    assert load_manifest(configs, "staging").path == "configs/staging.yml"
    assert [m.environment for m in load_all(configs, None)[1]] == ["production", "staging"]


@pytest.mark.parametrize("asked", [None, ["staging"], ["production"]], ids=["all", "it", "other"])
def test_yaml_and_yml_for_one_environment_is_ambiguous(
    configs: Path, asked: list[str] | None
) -> None:
    write(configs, "staging.yaml", VALID)
    write(configs, "staging.yml", VALID)
    write(configs, "production.yaml", VALID)

    with pytest.raises(ManifestError) as raised:
        load_all(configs, asked)

    (problem,) = raised.value.problems
    assert problem.path == "configs/staging.yml"
    assert "both configs/staging.yaml and configs/staging.yml exist" in problem.message
    assert "keep only one of them" in problem.message


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("production.YAML", "rename it to production.yaml"),
        ("staging.Yml", "rename it to staging.yml"),
        ("policy.YML", "rename it to policy.yml"),
        ("qa.yAmL", "rename it to qa.yaml"),
    ],
)
@pytest.mark.parametrize("asked", [None, ["dev"]], ids=["all", "another-environment"])
def test_another_spelling_of_the_extension_is_never_skipped(
    configs: Path, name: str, fix: str, asked: list[str] | None
) -> None:
    write(configs, "dev.yaml", VALID)
    write(configs, name, VALID)

    with pytest.raises(ManifestError) as raised:
        load_all(configs, asked)

    (problem,) = raised.value.problems
    assert problem.path == f"configs/{name}"
    assert fix in problem.message and "would be skipped" in problem.message


def test_an_extension_spelling_beside_the_right_one_says_merge_and_delete(configs: Path) -> None:
    write(configs, "production.yaml", VALID)
    write(configs, "production.YAML", VALID)

    (problem,) = manifest_problems(configs, "production")

    assert problem.path == "configs/production.YAML"
    assert "production.yaml exists too: merge the two and delete production.YAML" in (
        problem.message
    )


def test_a_yaml_file_that_names_no_environment_is_never_skipped(configs: Path) -> None:
    write(configs, "staging.yaml", VALID)
    write(configs, "Production.yaml", VALID)

    with pytest.raises(ManifestError) as raised:
        load_all(configs, ["staging"])

    (problem,) = raised.value.problems
    assert problem.path == "configs/Production.yaml"
    assert "not a valid environment name" in problem.message


def test_other_files_and_hidden_files_are_left_alone(configs: Path) -> None:
    write(configs, "staging.yaml", VALID)
    write(configs, "README.md", "# configs\n")
    write(configs, ".hidden", "x")
    write(configs, ".staging.YAML", "not: read")
    write(configs, "staging.yaml.bak", "not: read")
    (configs / "archive").mkdir()

    assert [m.environment for m in load_all(configs, None)[1]] == ["staging"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_resolving_outside_the_config_dir_is_refused(configs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(VALID, encoding="utf-8")
    (configs / "staging.yaml").symlink_to(outside)
    write(configs, "real.yaml", VALID)
    (configs / "alias.yaml").symlink_to("real.yaml")

    (problem,) = manifest_problems(configs, "staging")

    assert problem.path == "configs/staging.yaml"
    assert "outside the config directory" in problem.message
    assert load_manifest(configs, "alias").project == "p"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
@pytest.mark.parametrize("target", ["staging.yaml", "missing.yaml"], ids=["loop", "dangling"])
def test_broken_symlink_is_a_manifest_error(configs: Path, target: str) -> None:
    (configs / "staging.yaml").symlink_to(target)

    (problem,) = manifest_problems(configs, "staging")

    assert problem.path == "configs/staging.yaml"


def test_a_directory_in_place_of_the_manifest(configs: Path) -> None:
    (configs / "staging.yaml").mkdir()

    (problem,) = manifest_problems(configs, "staging")

    assert "cannot read the file" in problem.message


def test_load_all_reports_problems_of_every_file_together(configs: Path) -> None:
    write(configs, "staging.yaml", "project: p\nregion: r\nservices: {api: {env: {A: 1}}}\n")
    write(configs, "production.yaml", "project: p\nregion: r\nservices: {}\n")
    (configs / "qa.yaml").write_bytes(b"\xff")
    write(configs, "policy.yaml", "e2e: {name: [A]}\n")

    with pytest.raises(ManifestError) as raised:
        load_all(configs, None)

    assert sorted({p.path for p in raised.value.problems}) == [
        "configs/policy.yaml",
        "configs/production.yaml",
        "configs/qa.yaml",
        "configs/staging.yaml",
    ]
