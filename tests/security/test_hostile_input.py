"""Hostile manifests and policy files through the real command line: `python -m deploytool
validate` in a subprocess, so a hang is a timeout and a memory blow-up is a number.

Every case must end quickly (TIME_LIMIT), in bounded memory (peak RSS of the child, read with
`os.wait4`, the per-child form of `getrusage(RUSAGE_CHILDREN)`), with exit 2 and a message that
names the file, never a traceback. Look-alikes of E2E names are valid YAML: they exit 0 and are
REPORTED as a warning naming file:line (text on stderr, `warnings` in JSON).

What tests/manifest/test_files.py and test_fuzz.py already cover in-process (the loader API on
Latin-1, UTF-16, NUL, too-big, deep flow/block, billion laughs, manifest symlinks, a directory)
is extended here: through the CLI and its exit codes, with time and memory measured, and with
each hostile blob also tried as `policy.yaml`. The run-as-root case is stated, not skipped.

Small corpus files live in tests/security/corpus/ (see its README); large and file-system-shaped
cases are generated per test.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deploytool

CORPUS = Path(__file__).parent / "corpus"
REPO = Path(deploytool.__file__).resolve().parents[1]
TIME_LIMIT = 5.0  # seconds, start-up included; a normal validate takes about 0.4 s
FIFO_PATIENCE = 3.0  # a FIFO that is waited on never returns: do not wait the full limit
RSS_LIMIT_MB = 300
MESSAGE_LIMIT = 20_000  # characters of stderr: a clear message, not the file echoed back
VALID = b"project: p\nregion: r\nservices: {api: {}}\n"
POLICY_VALID = b"e2e: {allowed_environments: [staging]}\n"
MANIFEST, POLICY = "staging.yaml", "policy.yaml"


@dataclass(frozen=True)
class Run:
    code: int | None  # None: killed after the time limit
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float | None  # None: run in-process, memory not measured

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (
            f"exit {self.code} after {self.seconds:.2f}s, peak RSS {self.peak_rss_mb} MB\n"
            f"stdout: {self.stdout[:2000]!r}\nstderr: {self.stderr[:2000]!r}"
        )


def run_in_process(config_dir: Path, *args: str) -> Run:
    """The same command through typer's runner: for cases that can neither hang nor grow
    (the loader reads at most 1 MiB + 1 of a regular file), where a process start-up per
    case would only cost time."""
    from typer.testing import CliRunner

    from deploytool.cli import app

    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        ["validate", *args, "--config-dir", str(config_dir)],
        env={"NO_COLOR": "1"},
        catch_exceptions=False,
    )
    return Run(result.exit_code, result.stdout, result.stderr, time.monotonic() - started, None)


# Peak memory is read through a launcher: on Linux a child's ru_maxrss starts from the RSS of
# the process it was forked from, and the test process (pytest, emulators, Hypothesis) may
# already be hundreds of MB. The launcher is a fresh small interpreter, so its child's figure
# is the child's own.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(done.returncode)\n"
)


def run_validate(config_dir: Path, *args: str, timeout: float = TIME_LIMIT) -> Run:
    """`python -m deploytool validate ARGS --config-dir DIR`, killed after `timeout`, with
    the child's own peak RSS (ru_maxrss is in KiB on Linux)."""
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "deploytool", "validate", *args]
    command += ["--config-dir", str(config_dir)]
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch) / "maxrss"
        out_path, err_path = Path(scratch) / "out", Path(scratch) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(rss_file), *command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=config_dir.parent,
                start_new_session=True,
            )
            try:
                code: int | None = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = None
        seconds = time.monotonic() - started
        peak = int(rss_file.read_text()) / 1024 if rss_file.exists() else None
        return Run(
            code,
            out_path.read_text("utf-8", "replace"),
            err_path.read_text("utf-8", "replace"),
            seconds,
            peak,
        )


def assert_refused(run: Run, path: Path, *fragments: str) -> None:
    """Exit 2, quickly, in bounded memory, naming the file, no traceback, short output."""
    assert run.code is not None, f"still running after {TIME_LIMIT}s (killed): {run.describe()}"
    assert run.seconds < TIME_LIMIT, run.describe()
    assert run.peak_rss_mb is None or run.peak_rss_mb < RSS_LIMIT_MB, run.describe()
    assert "Traceback" not in run.output, run.describe()
    assert run.code == 2, run.describe()
    assert str(path) in run.stderr, f"the message must name {path}: {run.describe()}"
    for fragment in fragments:
        assert fragment in run.stderr, f"{fragment!r} missing: {run.describe()}"
    assert len(run.stderr) < MESSAGE_LIMIT, f"{len(run.stderr)} characters on stderr"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    return directory


def place(config_dir: Path, target: str, data: bytes) -> Path:
    """`data` as the hostile file `target`; the other file of the pair is valid."""
    (config_dir / MANIFEST).write_bytes(data if target == MANIFEST else VALID)
    if target == POLICY:
        (config_dir / POLICY).write_bytes(data)
    return config_dir / target


# -- hostile bytes, as the manifest and as the policy ------------------------------------------

# id: (bytes, fragments of the message, run in a subprocess because it could recurse/grow)
BLOBS: dict[str, tuple[Callable[[], bytes], tuple[str, ...], bool]] = {
    "random-bytes": (lambda: random.Random(20251126).randbytes(64 * 1024), (), False),
    "deep-10000-brackets": (lambda: b"a: " + b"[" * 10_000, ("nesting deeper than",), True),
    "alias-bomb": (
        lambda: (CORPUS / "alias_bomb.yaml").read_bytes(),
        ("aliases (*name) are not allowed",),
        True,
    ),
    "utf-16": (lambda: (CORPUS / "utf16.yaml").read_bytes(), ("NUL byte", "UTF-16"), False),
    "latin-1": (
        lambda: (CORPUS / "latin1.yaml").read_bytes(),
        ("not valid UTF-8", "0xfc"),
        False,
    ),
    "nul-byte": (
        lambda: (CORPUS / "nul_byte.yaml").read_bytes(),
        ("NUL byte at byte offset",),
        False,
    ),
}


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
@pytest.mark.parametrize("blob", list(BLOBS))
def test_hostile_bytes_are_refused_with_exit_2(config_dir: Path, blob: str, target: str) -> None:
    make, fragments, isolate = BLOBS[blob]
    path = place(config_dir, target, make())

    run = (run_validate if isolate else run_in_process)(config_dir, "staging")

    assert_refused(run, path, *fragments)


def test_hostile_policy_as_json_is_one_error_document(config_dir: Path) -> None:
    path = place(config_dir, POLICY, b"e2e: " + b"[" * 10_000)

    run = run_validate(config_dir, "staging", "-o", "json")

    assert run.code == 2, run.describe()
    doc = json.loads(run.stdout)
    assert (doc["status"], doc["exit_code"]) == ("error", 2)
    assert [p["file"] for p in doc["problems"]] == [str(path)]


@pytest.fixture(scope="module")
def baseline_rss_mb(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Peak RSS of validating one tiny valid manifest: the interpreter and deploytool."""
    directory = tmp_path_factory.mktemp("baseline") / "configs"
    directory.mkdir()
    (directory / MANIFEST).write_bytes(VALID)
    run = run_validate(directory, "staging")
    assert run.code == 0 and run.peak_rss_mb is not None, run.describe()
    return run.peak_rss_mb


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
def test_a_50_mb_file_is_refused_by_size_without_reading_it(
    config_dir: Path, target: str, baseline_rss_mb: float
) -> None:
    path = place(config_dir, target, b"project: p\n")
    with path.open("r+b") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, and no disk used

    run = run_validate(config_dir, "staging")

    assert_refused(run, path, "larger than 1024 KiB")
    # Reading all 50 MB (let alone decoding it) would add far more than this.
    assert run.peak_rss_mb is not None and run.peak_rss_mb < baseline_rss_mb + 25, (
        baseline_rss_mb,
        run.describe(),
    )


# -- absurd sizes inside a well-formed file ----------------------------------------------------

HEAD = b"project: p\nregion: r\nservices:\n  api:\n    env:\n"  # the variable goes on line 6


def test_a_100k_character_name_as_a_simple_key_is_a_syntax_error(config_dir: Path) -> None:
    # YAML caps implicit keys at 1024 characters, so this one never reaches the loader.
    path = place(config_dir, MANIFEST, HEAD + b"      " + b"A" * 100_000 + b': "1"\n')

    assert_refused(run_validate(config_dir, "staging"), path, f"{path}:6:", "YAML syntax error")


def test_a_1_mb_quoted_key_is_a_syntax_error(config_dir: Path) -> None:
    path = place(config_dir, MANIFEST, HEAD + b'      "' + b"A" * 1_000_000 + b'": "1"\n')

    assert_refused(run_validate(config_dir, "staging"), path, f"{path}:6:", "YAML syntax error")


@pytest.mark.parametrize(
    ("block", "name", "value"),
    [
        ("env", b"A" * 100_000, b'"1"'),
        ("env", b"KEY" + b"A" * 1_000_000, b'"1"'),
        ("secrets", b"A" * 100_000, b'"jwt:1"'),
    ],
    ids=["env-100k-name", "env-1MB-name", "secrets-100k-name"],
)
def test_a_variable_name_over_cloud_runs_limit_is_refused(
    config_dir: Path, block: str, name: bytes, value: bytes
) -> None:
    """An explicit key (`? NAME`) has no length cap in YAML, so the loader sees the name.
    Cloud Run documents EnvVar.name as "Must not exceed 32768 characters" (run_v2.EnvVar);
    `validate` must not call such a manifest valid, only for apply's preflight to fail."""
    head = HEAD.replace(b"    env:\n", f"    {block}:\n".encode())
    path = place(config_dir, MANIFEST, head + b"      ? " + name + b"\n      : " + value + b"\n")

    assert_refused(run_validate(config_dir, "staging"), path, f"{path}:6:")


def test_a_100k_character_service_name_is_refused_in_a_short_message(config_dir: Path) -> None:
    data = b"project: p\nregion: r\nservices:\n  ? " + b"a" * 100_000 + b"\n  : {}\n"
    path = place(config_dir, MANIFEST, data)

    assert_refused(
        run_validate(config_dir, "staging"), path, f"{path}:4:", "not a Cloud Run service name"
    )


# -- look-alikes of E2E names: valid YAML, reported as warnings --------------------------------

LOOKALIKES = {
    "cyrillic": ("lookalike_cyrillic.yaml", "'\\u04152\\u0415_TESTING'"),
    "full-width": ("lookalike_fullwidth.yaml", "'\\uff25\\uff12\\uff25_TESTING'"),
}


@pytest.mark.parametrize("case", list(LOOKALIKES))
def test_lookalike_of_an_e2e_name_in_production_is_reported(config_dir: Path, case: str) -> None:
    """Documented behaviour: a look-alike does not match the policy (so it is no leakage,
    exit 4), and the process would not read it as E2E_TESTING either; validate passes
    (exit 0) and warns, naming file:line and the name ASCII-escaped so it can be seen."""
    corpus_file, escaped = LOOKALIKES[case]
    path = config_dir / "production.yaml"
    path.write_bytes((CORPUS / corpus_file).read_bytes())
    warning = f"warning: {path}:8: {escaped} looks like the E2E variable E2E_TESTING"

    text = run_in_process(config_dir, "production")
    as_json = run_in_process(config_dir, "production", "-o", "json")

    assert text.code == 0, text.describe()
    assert warning in text.stderr, text.describe()
    assert "Traceback" not in text.output
    assert text.seconds < TIME_LIMIT, text.describe()
    doc = json.loads(as_json.stdout)
    assert doc["exit_code"] == 0
    (reported,) = [w for w in doc["warnings"] if "looks like the E2E variable" in w]
    assert reported.startswith(warning.removeprefix("warning: ")), reported


def test_a_lower_case_e2e_name_in_production_is_leakage(config_dir: Path) -> None:
    """Names match in any letter case (settings loaders read `e2e_testing` as E2E_TESTING):
    the lower-case corpus file is leakage, exit 4; with `e2e.case_sensitive: true` it is a
    look-alike again: exit 0 and a warning."""
    path = config_dir / "production.yaml"
    path.write_bytes((CORPUS / "lookalike_lowercase.yaml").read_bytes())

    leak = run_in_process(config_dir, "production")
    (config_dir / POLICY).write_bytes(b"e2e: {case_sensitive: true}\n")
    exact = run_in_process(config_dir, "production")

    assert leak.code == 4, leak.describe()
    assert f"{path}:8: e2e_testing is an E2E/test variable" in leak.stdout, leak.describe()
    assert exact.code == 0, exact.describe()
    warning = f"warning: {path}:8: 'e2e_testing' looks like the E2E variable E2E_TESTING"
    assert warning in exact.stderr, exact.describe()


def test_a_long_lookalike_name_gives_a_short_warning(config_dir: Path) -> None:
    """A 30,000-character name (under Cloud Run's 32768 limit) matching `E2E_*` once its
    Cyrillic letters are folded: the warning must shorten it as every other message does
    (nodes.shown), not echo 30 KB into the CI log."""
    name = "\u04152\u0415_".encode() + b"X" * 29_994
    path = place(config_dir, MANIFEST, HEAD + b"      ? " + name + b'\n      : "1"\n')

    run = run_in_process(config_dir, "staging")

    assert run.code == 0, run.describe()
    (warning,) = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert f"{path}:6:" in warning and "looks like the E2E variable" in warning
    assert len(warning) < 2_000, f"the warning is {len(warning)} characters long"


# -- files that are not regular files ----------------------------------------------------------


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
def test_a_fifo_is_refused_not_waited_on(config_dir: Path, target: str) -> None:
    """Opening a FIFO for reading blocks until a writer appears: forever, in CI."""
    place(config_dir, target, VALID)
    (config_dir / target).unlink()
    os.mkfifo(config_dir / target)

    run = run_validate(config_dir, "staging", timeout=FIFO_PATIENCE)

    assert_refused(run, config_dir / target)


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
def test_a_directory_in_place_of_the_file_is_refused(config_dir: Path, target: str) -> None:
    place(config_dir, target, VALID)
    (config_dir / target).unlink()
    (config_dir / target).mkdir()

    assert_refused(run_in_process(config_dir, "staging"), config_dir / target, "cannot read")


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
@pytest.mark.parametrize("link", ["absolute", "relative-dotdot", "dev-zero"])
def test_a_symlink_leaving_the_config_dir_is_refused(
    config_dir: Path, target: str, link: str
) -> None:
    outside = config_dir.parent / "outside.yaml"
    outside.write_bytes(VALID if target == MANIFEST else POLICY_VALID)
    place(config_dir, target, VALID)
    (config_dir / target).unlink()
    pointee = {"absolute": str(outside), "relative-dotdot": "../outside.yaml"}
    (config_dir / target).symlink_to(pointee.get(link, "/dev/zero"))

    # /dev/zero never ends: only a subprocess can prove it is not read.
    run = (run_validate if link == "dev-zero" else run_in_process)(config_dir, "staging")

    assert_refused(run, config_dir / target, "outside the config directory")


@pytest.mark.parametrize("target", [MANIFEST, POLICY])
@pytest.mark.parametrize("pointee", ["missing.yaml", "self"])
def test_a_broken_symlink_is_refused(config_dir: Path, target: str, pointee: str) -> None:
    place(config_dir, target, VALID)
    (config_dir / target).unlink()
    (config_dir / target).symlink_to(target if pointee == "self" else pointee)

    assert_refused(run_in_process(config_dir, "staging"), config_dir / target)


def test_an_unreadable_manifest(config_dir: Path) -> None:
    """Mode 000. Root (uid 0, as in this container) reads it anyway: it validates, exit 0.
    Anyone else gets exit 2 naming the file and saying permission was denied."""
    path = place(config_dir, MANIFEST, VALID)
    path.chmod(0)
    try:
        run = run_in_process(config_dir, "staging")
    finally:
        path.chmod(0o644)

    if os.geteuid() == 0:
        assert run.code == 0, run.describe()
        assert f"{path}: valid" in run.stdout
    else:
        assert_refused(run, path, "Permission denied")


# -- property: whatever the YAML, validate ends in 0, 2 or 4, never in a traceback ------------

NAMES = st.sampled_from(
    [
        "E2E_TESTING",
        "\u0415\u0032\u0415_TESTING",
        "\uff25\uff12\uff25_TESTING",
        "e2e_testing",
        "STAGING_E2E_TEST",
        "PYTEST_RUNNING",
        "API_KEY",
        "db_password",
        "PORT",
        "K_SERVICE",
        "X_GOOGLE_A",
        "A=B",
        "",
        "LOG_LEVEL",
    ]
) | st.text(max_size=10)
SCALARS = st.one_of(
    st.text(max_size=10), st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False)
)
VALUES = SCALARS | st.lists(SCALARS, max_size=2) | st.dictionaries(NAMES, SCALARS, max_size=2)
REFS = st.sampled_from(["jwt:1", "jwt", "jwt:", "jwt:x", "projects/p/secrets/s:latest"]) | VALUES
SERVICE = st.fixed_dictionaries(
    {},
    optional={
        "env": st.dictionaries(NAMES, VALUES, max_size=4) | VALUES,
        "secrets": st.dictionaries(NAMES, REFS, max_size=3),
        "region": VALUES,
        "container": VALUES,
        "ignore": st.lists(NAMES, max_size=2) | VALUES,
        "bogus": VALUES,
    },
)
SERVICE_NAMES = st.sampled_from(["api", "web", "Bad_Name", "x" * 60]) | st.text(max_size=6)
MANIFEST_DOCS = (
    st.fixed_dictionaries(
        {},
        optional={
            "project": st.sampled_from(["p-prod", "p-stg"]) | VALUES,
            "region": st.just("us-central1") | VALUES,
            "services": st.dictionaries(SERVICE_NAMES, SERVICE, max_size=3) | VALUES,
            "e2e": st.fixed_dictionaries(
                {},
                optional={
                    "env": st.dictionaries(NAMES, VALUES, max_size=2),
                    "secrets": st.dictionaries(NAMES, REFS, max_size=2),
                    "services": st.lists(SERVICE_NAMES, max_size=2),
                },
            )
            | VALUES,
            "ignore": st.lists(NAMES, max_size=2) | VALUES,
        },
    )
    | VALUES
)
POLICY_DOCS = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "e2e": st.fixed_dictionaries(
            {},
            optional={
                "names": st.lists(NAMES, max_size=2) | VALUES,
                "patterns": st.lists(st.sampled_from(["E2E_*", "*", "["]), max_size=2),
                "allowed_environments": st.lists(st.sampled_from(["staging", "Bad"]), max_size=2),
            },
        ),
        "environments": st.dictionaries(
            st.sampled_from(["staging", "production", "Bad"]),
            st.fixed_dictionaries({}, optional={"projects": st.lists(VALUES, max_size=2)}),
            max_size=2,
        )
        | VALUES,
    },
)
# Spliced into the dumped YAML to break it in the ways people (and attackers) do.
SPLICES = st.sampled_from(
    ["", "&a ", "*a", "!!binary ", "!x ", "\t", "[", "{", "? ", "<<: ", "\x85", "\ufeff", "%YAML"]
)


def dump(document: object, flow: bool) -> str:
    return yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow, sort_keys=False)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    production=MANIFEST_DOCS,
    staging=MANIFEST_DOCS,
    policy=POLICY_DOCS,
    flow=st.booleans(),
    splice=SPLICES,
    where=st.floats(min_value=0, max_value=1),
    json_output=st.booleans(),
)
def test_validate_of_any_yaml_ends_in_0_2_or_4_without_a_traceback(
    production: object,
    staging: object,
    policy: object,
    flow: bool,
    splice: str,
    where: float,
    json_output: bool,
) -> None:
    from typer.testing import CliRunner

    from deploytool.cli import app

    text = dump(production, flow)
    cut = int(len(text) * where)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "production.yaml").write_text(text[:cut] + splice + text[cut:], "utf-8")
        (directory / "staging.yaml").write_text(dump(staging, flow), "utf-8")
        if policy is not None:
            (directory / "policy.yaml").write_text(dump(policy, flow), "utf-8")
        args = ["validate", "--config-dir", tmp] + (["-o", "json"] if json_output else [])
        started = time.monotonic()
        result = CliRunner().invoke(app, args, catch_exceptions=False)

    output = result.stdout + result.stderr
    assert result.exit_code in (0, 2, 4), output
    assert "Traceback" not in output
    assert time.monotonic() - started < 3
    if json_output:
        assert json.loads(result.stdout)["exit_code"] == result.exit_code
