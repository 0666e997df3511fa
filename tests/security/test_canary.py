"""Secrets never leave (CONTRACT.md): distinct canaries planted wherever a secret can sit, every
command run in every output format, and no canary may come out anywhere.

A canary is `canary-<uuid4 hex>` (or a spelling built around that hex: a PEM, a value full of
characters that JSON, XML, Markdown and workflow commands escape differently). A leak is the hex,
or any 8-character slice of it, appearing in any output, whatever the escaping: that catches
`a\\"b` as surely as `a"b`, and a truncated or wrapped value as surely as the whole one.

Besides, the corpus of tests/security/credential_shapes.py (30 credential shapes: URLs with
passwords, Bearer/Basic values, PEM keys, JWTs, AWS, GitHub, GitLab, Slack, Stripe, Google, npm,
OpenAI and SendGrid keys, service-account JSON, password parameters, high-entropy strings) is
planted fresh, each
value unique, under innocuous names (APP_CFG_00...) where only the value can give it away: in the
staging manifest, live on managed services (against the manifest's: masked changes), on an old
serving revision and on an unmanaged service. A leak is any 8-character slice of its random part.
The names of issue 9 (DB_PASS, DB_PASSWD, STRIPE_SK, GITHUB_PAT, SENTRY_DSN, AUTH_HEADER), a
policy word (`redact.names: [WIDGET]`) and a name declared under `secrets:` but plain live
(DATABASE_URL) carry ordinary-looking canaries.

Where the uuid canaries are planted (under secret-looking names: KEY, SECRET, TOKEN, PASSWORD,
CREDENTIAL, PRIVATE in any case):
- live plaintext env of managed services (template), of an unmanaged service, and of old
  revisions that still serve traffic, in a protected and an unprotected environment;
- manifests, where a user might wrongly put them: a plaintext `env:` value (valid; the loader
  warns), a non-string value (int, list, YAML tag), a malformed `secrets:` reference;
- messages that echo them: a failed rollout's condition message (set by the test, echoed by the
  emulator like Cloud Run does), and an unexpected exception raised inside deploytool (mocker).

The redaction registry is process-wide and cleared per test by the autouse fixture in
tests/conftest.py, so every test plants, reads and checks within itself.

Coverage (T text, J json; every run also checks stdout, stderr, every file under the test's
directory, and every log record that left deploytool's handler, via caplog):

| command / path                                         | T | J | also checked                  |
|--------------------------------------------------------|---|---|-------------------------------|
| validate, valid manifests with plaintext "secrets"     | x | x | loader warnings               |
| validate, diff, apply, audit: bad manifest (exit 2)    | x | x | non-string, bad secret refs   |
| validate: a secret unquoted after `!` (a YAML tag)     | x | x |                               |
| diff staging (drift), plain and --debug                | x | x | debug log records             |
| diff production (leakage, exit 4)                      | x | x | unmanaged, serving revisions  |
| apply --dry-run (preflight)                            | x | x |                               |
| apply --yes --audit-log (3: canary), again, prod (4)   | x | x | audit log                     |
| audit --report --junit --markdown, GITHUB_ACTIONS=true | x | x | 4 files, ::error annotations  |
| audit --shard I/N --report; audit --merge              | x | x | shard and merged reports      |
| unreachable Cloud Run (exit 5): diff; apply; audit    | x | x | apply text only, audit json   |
| 403: diff, audit (read) and apply (write) (exit 5)     | x | x | audit log                     |
| failed rollout whose message quotes secrets: apply     | x | x | audit log                     |
| ... then diff and audit (the not-ready message)        | x | x | report file                   |
| ... the same with JSON-special characters              | x | x | audit log                     |
| unexpected exception quoting a secret (exit 1):        | x | x | --debug traceback             |
|   validate, diff, apply, audit, with and w/o --debug   |   |   |                               |
| --debug, GOOGLE_SDK_PYTHON_LOGGING_SCOPE=google        | x | - | subprocess stderr             |
| plaintext_secrets: error: validate, diff, audit, apply | x | x | 4 report files, annotations   |
| unexpected exception quoting a PEM/JSON/JWT, --debug   | x | x | traceback                     |

Not covered: `emulator` (it *is* the fake Cloud Run: serving values is its job), rich terminal
rendering (tests run piped; on a terminal tables may wrap a value across lines).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google.cloud import run_v2

import deploytool
import deploytool.cli_exec
from tests.conftest import service_message
from tests.security.credential_shapes import SLICE, Canary, corpus

REGION = "us-central1"
REPO = Path(deploytool.__file__).resolve().parents[1]
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
PINNED = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION


# -- canaries ------------------------------------------------------------------------------------


@dataclass
class Canaries:
    """Distinct values, each recognisable by its uuid hex in any escaping, plus the credential
    shapes of tests/security/credential_shapes.py, each recognisable by any 8-character slice
    of its random material."""

    marks: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (value, mark)
    shaped: dict[str, Canary] = field(default_factory=dict)  # label -> corpus canary

    def new(self, label: str, template: str = "canary-{hex}") -> str:
        mark = uuid.uuid4().hex
        value = template.format(hex=mark)
        self.marks[label] = (value, mark)
        return value

    def number(self, label: str) -> str:
        """A canary YAML reads as an integer: 18 digits no other output could contain."""
        mark = str(uuid.uuid4().int)[:18]
        self.marks[label] = (mark, mark)
        return mark

    def shapes(self, where: str, name: str = "APP_CFG_{i:02d}") -> dict[str, str]:
        """One fresh canary of every credential shape, as {variable name: value}; the names
        are innocuous unless `name` says otherwise, so only the value can give them away."""
        planted = {}
        for i, canary in enumerate(corpus()):
            self.shaped[f"{where} {canary.shape}"] = canary
            planted[name.format(i=i)] = canary.value
        return planted

    def value(self, label: str) -> str:
        if label in self.shaped:
            return self.shaped[label].value
        return self.marks[label][0]

    def leaks(self, places: Mapping[str, str]) -> list[str]:
        # Every 8-character slice of every place, once: then each slice is a set lookup.
        slices = {
            piece: label for label, canary in self.shaped.items() for piece in canary.slices()
        }
        slices.update(
            {
                mark[i : i + SLICE]: label
                for label, (_value, mark) in self.marks.items()
                if not mark.isdigit()  # digits: whole only (log records carry timestamps)
                for i in range(len(mark) - SLICE + 1)
            }
        )
        found = []
        for where, text in places.items():
            for label, (value, mark) in self.marks.items():
                if (i := text.find(mark)) >= 0:
                    found.append(
                        f"canary {label} ({value!r}) leaked in {where}: "
                        f"...{text[max(0, i - 80) : i + 60]!r}..."
                    )
            windows = {text[i : i + SLICE] for i in range(len(text) - SLICE + 1)}
            for piece in sorted(windows & slices.keys()):
                i = text.find(piece)
                found.append(
                    f"slice {piece!r} of canary {slices[piece]} leaked in {where}: "
                    f"...{text[max(0, i - 80) : i + 60]!r}..."
                )
        return found


# JSON escapes `"` and `\`; XML `<&>"'`; Markdown `|*_` and backticks; workflow commands `%,:`.
NASTY = "n\"q\\{hex}'<&>%,:|*_`"
PEM = "-----BEGIN PRIVATE KEY-----\n{hex}\n-----END PRIVATE KEY-----"


# -- the world: manifests and live state full of canaries ---------------------------------------

POLICY = """
    environments:
      staging: {projects: [p-stg]}
      production: {projects: [p-prod]}
    redact:
      names: [WIDGET]
"""
# The names of the issue: masked by name (a word anywhere, or PASS/SK/PAT as a whole word).
ISSUE_NAMES = ("DB_PASS", "DB_PASSWD", "STRIPE_SK", "GITHUB_PAT", "SENTRY_DSN", "AUTH_HEADER")


def yaml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def yaml_env(values: Mapping[str, str], indent: int) -> str:
    """`NAME: "value"` lines for an `env:` block at `indent` columns."""
    return "\n".join(f"{' ' * indent}{name}: {yaml_string(v)}" for name, v in values.items())


def env_vars(values: Mapping[str, str | tuple[str, str]]) -> list[run_v2.EnvVar]:
    return list(service_message("p", REGION, "x", values).template.containers[0].env)


@dataclass
class World:
    canaries: Canaries
    config: Path
    emulator: Any

    def service(self, project: str, name: str) -> str:
        return f"projects/{project}/locations/{REGION}/services/{name}"


def seed_with_old_revision(
    emulator: Any,
    project: str,
    name: str,
    env: Mapping[str, str | tuple[str, str]],
    old_env: Mapping[str, str],
    old_percent: int,
) -> None:
    """A service whose template is `env`, while an old revision with `old_env` still serves
    `old_percent` of the traffic."""
    old = f"{name}-00001-old"
    template = service_message(project, REGION, name, old_env).template
    emulator.state.add_revision(
        run_v2.Revision(
            name=f"projects/{project}/locations/{REGION}/services/{name}/revisions/{old}",
            containers=list(template.containers),
        )
    )
    emulator.state.put_service(
        service_message(
            project,
            REGION,
            name,
            env,
            traffic=[
                run_v2.TrafficTarget(type_=PINNED, revision=old, percent=old_percent),
                run_v2.TrafficTarget(type_=LATEST, percent=100 - old_percent),
            ],
        )
    )


@pytest.fixture
def world(emulator: Any, configs: Any) -> World:
    c = Canaries()
    staging = f"""
        project: p-stg
        region: {REGION}
        e2e:
          env: {{E2E_TESTING: "1"}}
          secrets: {{E2E_OAUTH_SIMULATION_KEY: "e2e-oauth:latest"}}
        services:
          api:
            env:
              ENVIRONMENT: staging
              API_KEY: {yaml_string(c.new("manifest API_KEY"))}
              db_password: {yaml_string(c.new("manifest db_password"))}
            secrets: {{JWT_SECRET: "jwt:1", DATABASE_URL: "db-url:1"}}
          worker:
            env:
              ENVIRONMENT: staging
              MY_CREDENTIALS: {yaml_string(c.new("manifest MY_CREDENTIALS"))}
{yaml_env(c.shapes("manifest worker"), 14)}
    """
    production = f"""
        project: p-prod
        region: {REGION}
        services:
          api:
            env:
              ENVIRONMENT: production
              PRIVATE_PEM: {yaml_string(c.new("manifest PRIVATE_PEM", PEM))}
    """
    config = configs(staging=staging, production=production, policy=POLICY)

    seed_with_old_revision(
        emulator,
        "p-stg",
        "api",
        {
            "ENVIRONMENT": "staging",
            "API_KEY": c.new("live API_KEY"),
            "db_password": c.value("manifest db_password"),  # in sync: shown nowhere
            "SESSION_TOKEN": c.new("live SESSION_TOKEN"),
            "CLIENT_SECRET": c.new("live CLIENT_SECRET", NASTY),
            "JWT_SECRET": c.new("live JWT_SECRET (plain, manifest says secret)"),
            "E2E_TESTING": "1",
            "E2E_OAUTH_SIMULATION_KEY": ("e2e-oauth", "latest"),
            # declared under secrets: in the manifest, a plain value live that looks like none
            "DATABASE_URL": c.new("live DATABASE_URL (declared)", "postgres://db.internal/{hex}"),
            **c.shapes("live staging api"),
        },
        old_env={
            "ENVIRONMENT": "staging",
            "API_KEY": c.new("old revision API_KEY"),
            "PRIVATE_KEY_PEM": c.new("old revision PRIVATE_KEY_PEM", PEM),
        },
        old_percent=20,
    )
    emulator.state.put_service(
        service_message(
            "p-stg",
            REGION,
            "worker",
            {
                "ENVIRONMENT": "staging",
                "MY_CREDENTIALS": c.new("live MY_CREDENTIALS"),
                "Password": c.new("live Password"),
                "ACME_WIDGET": c.new("live ACME_WIDGET (policy redact.names)"),
                **{name: c.new(f"live {name}", "pw {hex}") for name in ISSUE_NAMES},
                **c.shapes("live staging worker"),  # against the manifest's: all changed
            },
        )
    )
    emulator.state.put_service(
        service_message(
            "p-stg",
            REGION,
            "scratch",
            {"SECRET_SAUCE": c.new("unmanaged SECRET_SAUCE"), "E2E_TESTING": "1"},
        )
    )
    seed_with_old_revision(
        emulator,
        "p-prod",
        "api",
        {
            "ENVIRONMENT": "production",
            "PRIVATE_PEM": c.new("live PRIVATE_PEM", PEM),
            "api_key_id": c.new("live api_key_id"),
        },
        old_env={
            "ENVIRONMENT": "production",
            "OLD_TOKEN": c.new("old revision OLD_TOKEN"),
            "E2E_OAUTH_SIMULATION_KEY": c.new("old revision E2E_OAUTH_SIMULATION_KEY"),
            **c.shapes("old production revision"),
        },
        old_percent=10,
    )
    emulator.state.put_service(
        service_message(
            "p-prod",
            REGION,
            "legacy",
            {
                "GITHUB_TOKEN": c.new("unmanaged GITHUB_TOKEN"),
                "E2E_OAUTH_SIMULATION_KEY": c.new("unmanaged E2E_OAUTH_SIMULATION_KEY"),
                **c.shapes("unmanaged legacy", "LEGACY_SECRET_{i:02d}"),
            },
        )
    )
    return World(c, config, emulator)


# -- running commands and looking everywhere -----------------------------------------------------


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """deploytool replaces the root handlers with its own (scrubbing) one on every run;
    caplog's handler is put back after it, so it sees each record as it left deploytool."""
    setup = deploytool.cli_exec.setup_logging

    def with_capture(debug: bool) -> None:
        setup(debug)
        logging.getLogger().addHandler(caplog.handler)

    monkeypatch.setattr(deploytool.cli_exec, "setup_logging", with_capture)
    return caplog


@dataclass
class Runner:
    """Runs commands against the world and fails on the first canary found anywhere."""

    world: World
    cli: Any
    logs: pytest.LogCaptureFixture
    root: Path  # the test's tmp_path (the CLI's cwd): every file written under it is read

    @property
    def out(self) -> Path:
        path = self.root / "out"
        path.mkdir(exist_ok=True)
        return path

    def __call__(
        self,
        *args: str,
        code: int,
        shows: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        emulator: bool = True,
    ) -> Any:
        self.logs.clear()
        result = self.cli(
            *args,
            "--config-dir",
            str(self.world.config),
            emulator=self.world.emulator if emulator else None,
            env=env,
        )
        what = " ".join(args)
        assert "Traceback" not in result.output or "--debug" in args, result.output
        assert result.exit_code == code, f"{what}: exit {result.exit_code}\n{result.output}"
        for text in shows:  # proof that the secret-looking variables were in play
            assert text in result.output, f"{what}: {text!r} not shown\n{result.output}"
        places = {f"stdout of `{what}`": result.stdout, f"stderr of `{what}`": result.stderr}
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and self.world.config not in path.parents:
                places[f"file {path.relative_to(self.root)}"] = path.read_text("utf-8", "replace")
        for record in self.logs.records:
            places[f"log record {record.name}:{record.lineno}"] = record.getMessage() + repr(
                vars(record)
            )
        leaks = self.world.canaries.leaks(places)
        assert not leaks, "\n".join(leaks)
        return result


@pytest.fixture
def run(world: World, cli: Any, logs: Any, tmp_path: Path) -> Runner:
    return Runner(world, cli, logs, tmp_path)


def both(*args: str) -> list[tuple[str, ...]]:
    return [(*args, "-o", "text"), (*args, "-o", "json")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- values at rest: live state and manifests ----------------------------------------------------

PLAIN_WARNING = "holds a plain value but its name looks secret"


def test_validate(run: Runner) -> None:
    for args in both("validate"):
        run(*args, code=0, shows=[PLAIN_WARNING, "API_KEY", "PRIVATE_PEM"])


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_diff_with_drift(run: Runner, debug: bool) -> None:
    extra = ("--debug",) if debug else ()
    for args in both("diff", "staging", *extra):
        run(*args, code=3, shows=["***", "SESSION_TOKEN", "PRIVATE_KEY_PEM", PLAIN_WARNING])
    if debug:  # the log check above had records to look at
        assert any("list services in" in r.getMessage() for r in run.logs.records)


def test_diff_with_leakage(run: Runner) -> None:
    for args in both("diff", "production"):
        run(*args, code=4, shows=["***", "E2E_OAUTH_SIMULATION_KEY", "PRIVATE_PEM", "legacy"])


def test_apply_dry_run(run: Runner) -> None:
    for args in both("apply", "staging", "--dry-run"):
        run(*args, code=3, shows=["***", "SESSION_TOKEN", "preflight"])


@pytest.mark.parametrize("output", ["text", "json"])
def test_apply_yes_with_audit_log(run: Runner, output: str) -> None:
    log = run.out / "audit.jsonl"
    # api's old revision still serves 20% with other env: apply v2 reads it back and says
    # partially_serving (exit 3) where it used to claim in sync.
    run("apply", "staging", "--yes", "-o", output, "--audit-log", str(log), code=3, shows=["***"])

    assert {json.loads(line)["service"] for line in log.read_text().splitlines()} == {
        "api",
        "worker",
    }
    # Idempotent second run (nothing to write, the old revision still serves: still 3), and
    # production (leakage apply cannot remove) refused before any write.
    run("apply", "staging", "--yes", "-o", output, "--audit-log", str(log), code=3)
    run("apply", "production", "--yes", "-o", output, "--audit-log", str(log), code=4)


@pytest.mark.parametrize("output", ["text", "json"])
def test_audit_with_every_report_and_github_actions(run: Runner, output: str) -> None:
    out = run.out
    summary = out / "summary.md"
    run(
        "audit",
        "-o",
        output,
        "--report",
        str(out / "report.json"),
        "--junit",
        str(out / "junit.xml"),
        "--markdown",
        str(out / "report.md"),
        code=4,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
        shows=["***", "::error", "scratch", "legacy", "PRIVATE_KEY_PEM"],
    )
    for name in ("report.json", "junit.xml", "report.md", "summary.md"):
        assert "***" in (out / name).read_text(), f"{name} shows no masked value"


def test_audit_shards_and_merge(run: Runner) -> None:
    shards = [run.out / f"shard-{i}.json" for i in range(2)]
    for i, shard in enumerate(shards):
        run(
            "audit", "--shard", f"{i}/2", "--report", str(shard), "-o", "json", "--run-id", "r1",
            code=4,
        )
    merge = [arg for shard in shards for arg in ("--merge", str(shard))]
    for args in both("audit", *merge):
        run(
            *args,
            "--junit",
            str(run.out / "merged.xml"),
            "--markdown",
            str(run.out / "merged.md"),
            code=4,
            shows=["***"],
        )


# -- manifests with secrets where they do not belong ---------------------------------------------


VERSIONS_PATH = "projects/p/secrets/{hex}/versions/1"


def bad_manifest(c: Canaries) -> str:
    """Non-string values and malformed references under secret-looking names: exit 2."""
    return f"""
        project: p-stg
        region: {REGION}
        services:
          api:
            env:
              API_KEY: {c.number("int under API_KEY")}
              DB_PASSWD: {c.number("int under DB_PASSWD")}
              db_password: [{c.new("list under db_password")}]
              SESSION_TOKEN: {{nested: {c.new("mapping under SESSION_TOKEN")}}}
              MY_CREDENTIALS: {c.new("too long under MY_CREDENTIALS", "{hex}" + "x" * 33_000)}
            secrets:
              CLIENT_SECRET: {yaml_string(c.new("ref without version"))}
              PRIVATE_PEM: {yaml_string(c.new("ref with bad version", "{hex}:v1"))}
              GITHUB_TOKEN: {yaml_string(c.new("ref with bad name", "x/{hex}:1"))}
              OAUTH_KEY: {yaml_string(c.new("versions path", VERSIONS_PATH))}
              NPM_TOKEN: {c.number("int as a ref")}
    """


def test_invalid_manifest_never_echoes_the_values(run: Runner, configs: Any) -> None:
    configs(staging=bad_manifest(run.world.canaries))
    problems = ["API_KEY", "CLIENT_SECRET", "secret reference has no version", "quote it"]
    for args in both("validate"):
        run(*args, code=2, shows=problems)
    for command in (("diff", "staging"), ("apply", "staging", "--yes"), ("audit",)):
        for args in both(*command):
            run(*args, code=2, shows=["API_KEY"])


def test_a_value_read_as_a_yaml_tag_is_not_echoed(run: Runner, configs: Any) -> None:
    """A password that starts with `!` and is left unquoted is a YAML tag to the parser:
    `DB_PASSWORD: !Xk9-...` is an empty value tagged `!Xk9-...`. The message says the value
    is tagged and must not spell the tag, which *is* the secret."""
    c = run.world.canaries
    configs(
        staging=f"""
        project: p-stg
        region: {REGION}
        services:
          api:
            env:
              DB_PASSWORD: {c.new("local tag under DB_PASSWORD", "!{hex}")}
              API_KEY: {c.new("secondary tag under API_KEY", "!!{hex}")}
            secrets:
              CLIENT_SECRET: {c.new("tag under CLIENT_SECRET", "!{hex}")}
        """
    )
    for args in both("validate", "staging"):
        run(*args, code=2, shows=["DB_PASSWORD", "CLIENT_SECRET", "not a string"])


def test_plaintext_secrets_as_violations(run: Runner, configs: Any) -> None:
    """`redact.plaintext_secrets: error`: the corpus live in production (and the PEM in its
    manifest) become `plaintext-secret` violations, and their messages name no value."""
    configs(policy=POLICY + "      plaintext_secrets: error\n")
    for args in both("validate"):
        run(*args, code=4, shows=["plaintext-secret", "PRIVATE_PEM"])
    for args in both("diff", "production"):
        run(*args, code=4, shows=["plaintext-secret", "LEGACY_SECRET_00", "Secret Manager"])
    out = run.out
    run(
        "audit",
        "-o",
        "json",
        "--report",
        str(out / "report.json"),
        "--junit",
        str(out / "junit.xml"),
        "--markdown",
        str(out / "report.md"),
        code=4,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(out / "summary.md")},
        shows=["plaintext-secret", "::error"],
    )
    run("apply", "production", "--dry-run", "-o", "text", code=4, shows=["plaintext-secret"])


# -- error paths ---------------------------------------------------------------------------------


def test_unreachable_cloud_run(run: Runner) -> None:
    """Each run retries until its 1 s deadline, so diff gets both formats and apply and audit
    one each."""
    env = {"CLOUD_RUN_EMULATOR_HOST": f"127.0.0.1:{closed_port()}"}
    for args in [
        *both("diff", "staging"),
        ("apply", "staging", "--yes", "-o", "text"),
        ("audit", "-o", "json"),
    ]:
        run(*args, "--timeout", "1", code=5, env=env, emulator=False, shows=["cannot reach"])


def test_permission_denied_on_read_and_on_write(run: Runner) -> None:
    run.world.emulator.faults.deny("projects/p-prod")
    run.world.emulator.faults.deny(run.world.service("p-stg", "worker"))
    for args in both("diff", "production"):
        run(*args, code=5, shows=["permission denied"])
    for args in both("audit"):
        run(*args, code=5, shows=["permission denied"])
    log = str(run.out / "audit.jsonl")
    for args in both("apply", "staging", "--yes", "--audit-log", log):
        run(*args, code=5, shows=["Permission", "***"])


def crash_message(c: Canaries, *labels: str) -> str:
    return "Container failed to start: " + ", ".join(
        f"{label.split()[-1]}={c.value(label)} rejected" for label in labels
    )


@pytest.mark.parametrize("output", ["text", "json"])
def test_failed_rollout_message_echoing_a_secret(run: Runner, output: str) -> None:
    """The app crashes and its message quotes values deploytool has read (live and from the
    manifest it is applying): apply's outcome, the audit log and later reads must mask them."""
    w = run.world
    message = crash_message(w.canaries, "live API_KEY", "manifest API_KEY", "live SESSION_TOKEN")
    w.emulator.state.set_fail_rollout(w.service("p-stg", "api"), message)
    log = str(run.out / "audit.jsonl")

    run("apply", "staging", "--yes", "-o", output, "--audit-log", log, code=5, shows=["failed"])
    run("diff", "staging", "-o", output, code=3, shows=["not ready"])
    run("audit", "staging", "-o", output, "--report", str(run.out / "r.json"), code=3)


@pytest.mark.parametrize("output", ["text", "json"])
def test_failed_rollout_message_echoing_a_secret_with_json_special_characters(
    run: Runner, output: str
) -> None:
    """The same with CLIENT_SECRET = n"q\\...: JSON writes it n\\"q\\\\..., so scrubbing the
    encoded document instead of its strings misses it."""
    w = run.world
    w.emulator.state.set_fail_rollout(
        w.service("p-stg", "api"), crash_message(w.canaries, "live CLIENT_SECRET")
    )
    log = str(run.out / "audit.jsonl")

    run("apply", "staging", "--yes", "-o", output, "--audit-log", log, code=5, shows=["failed"])
    run("diff", "staging", "-o", output, code=3, shows=["not ready"])


# Where an unexpected exception is raised, after the command has read the canary it quotes.
CRASH_SITES = {
    "validate": ("deploytool.commands.validate.manifest_violations", "manifest API_KEY"),
    "diff": ("deploytool.commands.diff.evaluate", "live SESSION_TOKEN"),
    "apply": ("deploytool.commands.diff.evaluate", "live API_KEY"),  # apply plans via diff
    "audit": ("deploytool.commands.audit.evaluate", "unmanaged GITHUB_TOKEN"),
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("command", list(CRASH_SITES))
def test_unexpected_exception_quoting_a_secret(
    run: Runner, mocker: Any, command: str, debug: bool
) -> None:
    site, label = CRASH_SITES[command]
    secret = run.world.canaries.value(label)
    mocker.patch(site, side_effect=RuntimeError(f"cannot compare value {secret!r}"))
    args = {"validate": (), "diff": ("staging",), "apply": ("staging", "--yes"), "audit": ()}
    extra = ("--debug",) if debug else ()
    shows = ["unexpected RuntimeError"] + (["Traceback"] if debug else [])
    for cli_args in both(command, *args[command], *extra):
        run(*cli_args, code=1, shows=shows)


@pytest.mark.parametrize("shape", ["PEM RSA PRIVATE KEY", "service-account JSON", "JWT"])
def test_unexpected_exception_quoting_a_credential_shape(
    run: Runner, mocker: Any, shape: str
) -> None:
    """The crash quotes (with repr, as a traceback would) a value masked only by its shape."""
    secret = run.world.canaries.value(f"live staging api {shape}")
    mocker.patch(
        "deploytool.commands.diff.evaluate",
        side_effect=RuntimeError(f"cannot compare value {secret!r}"),
    )
    for cli_args in both("diff", "staging", "--debug"):
        run(*cli_args, code=1, shows=["unexpected RuntimeError", "Traceback"])


# -- the Google client's own request logging -----------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_google_client_logging_scope_with_debug(world: World, debug: bool) -> None:
    """GOOGLE_SDK_PYTHON_LOGGING_SCOPE=google (documented by google-api-core) makes the client
    attach its own structured handler, with request and response payloads, to any "google"
    logger nobody configured. deploytool configures it only without --debug. A subprocess:
    api_core reads the variable once per process."""
    env = {
        **os.environ,
        "CLOUD_RUN_EMULATOR_HOST": world.emulator.host_port,
        "GOOGLE_SDK_PYTHON_LOGGING_SCOPE": "google",
        "PYTHONPATH": str(REPO),
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "deploytool", "apply", "staging", "--dry-run"]
    command += ["--config-dir", str(world.config)] + (["--debug"] if debug else [])

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    assert done.returncode == 3, done.stdout + done.stderr
    leaks = world.canaries.leaks({"stdout": done.stdout, "stderr": done.stderr})
    assert not leaks, "\n".join(leaks)


@pytest.fixture(autouse=True)
def _no_stray_handlers() -> Iterator[None]:
    """deploytool rewires the root logger on every run; leave it as pytest had it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
