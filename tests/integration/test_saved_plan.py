"""Saved plans end to end: `apply --dry-run --plan-out FILE`, then `apply --plan FILE`, through
the real client against the emulator. A plan applies only while it still holds exactly; when it
does not, nothing is written (the emulator's request log has no PATCH at all)."""

from __future__ import annotations

import json
import stat
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.cloud import run_v2

from tests.conftest import service_message
from tests.integration.test_apply import (
    BACKEND,
    E2E_NAMES,
    PRODUCTION,
    STAGING,
    env_of,
    real_writes,
    rich_backend,
    writes,
)
from tests.integration.workloads_seed import put_job
from tests.security.credential_shapes import SHAPES

MIGRATE = "projects/p-staging/locations/us-central1/jobs/migrate"


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


def plan(cli, cfg, emulator, *extra, env="staging", out="plan.json"):
    return cli(
        "apply", env, "--dry-run", "--plan-out", out, "--config-dir", str(cfg), *extra,
        emulator=emulator,
    )  # fmt: skip


def apply_plan(cli, cfg, emulator, *extra, env="staging", path="plan.json"):
    return cli(
        "apply", env, "--plan", path, "--yes", "--config-dir", str(cfg), *extra,
        emulator=emulator,
    )  # fmt: skip


def planned(emulator, cli, cfg, tmp_path: Path) -> Path:
    """backend seeded with drift, planned; the request log cleared after the plan."""
    emulator.state.put_service(rich_backend())
    made = plan(cli, cfg, emulator)
    assert made.exit_code == 3, made.output
    emulator.reset_requests()
    return tmp_path / "plan.json"


def test_a_saved_plan_is_applied_written_and_verified(emulator, cli, cfg, tmp_path):
    emulator.state.put_service(rich_backend())
    made = plan(cli, cfg, emulator)
    assert made.exit_code == 3, made.output
    assert "plan written to plan.json" in made.stderr
    path = tmp_path / "plan.json"
    emulator.reset_requests()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".plan.json.*")), "no temporary file left behind"
    doc = json.loads(path.read_text())
    assert (doc["schema_version"], doc["kind"], doc["environment"]) == (
        1, "deploytool-plan", "staging",
    )  # fmt: skip
    assert set(doc["manifests"]) == {"staging.yaml", "production.yaml"}
    [backend] = doc["workloads"]
    assert backend["etag"] == emulator.state.get_service(BACKEND).etag
    assert {c["name"] for c in backend["changes"]} >= E2E_NAMES | {"LOG_LEVEL", "OLD_FLAG"}

    result = apply_plan(cli, cfg, emulator, "-o", "json")
    assert result.exit_code == 0, result.output
    assert "saved plan plan.json holds" in result.stderr
    assert len(real_writes(emulator)) == 1
    live = env_of(emulator.state.get_service(BACKEND))
    assert live.keys() >= E2E_NAMES and live["LOG_LEVEL"] == "info" and "OLD_FLAG" not in live
    assert result.json()["services"][0]["outcome"] == "applied"


def test_a_saved_plan_asks_for_confirmation_like_apply(emulator, cli, cfg, tmp_path, mocker):
    planned(emulator, cli, cfg, tmp_path)
    mocker.patch("deploytool.cli.stdin_is_terminal", return_value=True)
    asked = mocker.patch("typer.confirm", return_value=False)
    result = cli(
        "apply", "staging", "--plan", "plan.json", "--config-dir", str(cfg), emulator=emulator
    )
    assert asked.called
    assert result.exit_code == 3 and "not confirmed" in result.output
    assert writes(emulator) == []


def test_without_a_terminal_or_yes_the_plan_is_not_applied(emulator, cli, cfg, tmp_path):
    planned(emulator, cli, cfg, tmp_path)
    result = cli(
        "apply", "staging", "--plan", "plan.json", "--config-dir", str(cfg), emulator=emulator
    )
    assert result.exit_code == 2 and "--yes" in result.output
    assert writes(emulator) == []


@pytest.mark.parametrize(
    "out_of_band",
    [
        pytest.param(lambda em: em.state.redeploy(BACKEND), id="redeploy"),
        pytest.param(
            lambda em: em.state.set_env(
                BACKEND,
                [
                    *em.state.get_service(BACKEND).template.containers[0].env,
                    run_v2.EnvVar(name="HOTFIX", value="on"),
                ],
                container="app",
            ),
            id="env-change",
        ),
    ],
)
def test_an_out_of_band_change_since_the_plan_is_refused(emulator, cli, cfg, tmp_path, out_of_band):
    planned(emulator, cli, cfg, tmp_path)
    out_of_band(emulator)
    emulator.reset_requests()
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 5, result.output
    assert "backend's etag changed since the plan: re-plan" in result.output
    assert writes(emulator) == [], "not even a preflight"


def test_a_change_after_the_check_is_caught_by_the_re_read(emulator, cli, cfg, tmp_path):
    planned(emulator, cli, cfg, tmp_path)
    # A concurrent deploy during the preflight (which sends no etag: harmless): the write's
    # re-read then sees an etag other than the plan's and writes nothing, where a plain apply
    # re-plans and writes (test_apply).
    emulator.faults.race_etag(BACKEND, times=1)
    result = apply_plan(cli, cfg, emulator, "-o", "json")
    assert result.exit_code == 5, result.output
    assert real_writes(emulator) == []
    service = result.json()["services"][0]
    assert service["outcome"] == "conflict"
    assert "etag changed since the plan" in service["message"]


def test_a_change_just_before_the_write_is_caught_by_cloud_runs_etag_check(
    emulator, cli, cfg, tmp_path, mocker
):
    """The write carries the plan's etag and a 409 is never retried with a fresh one."""
    from deploytool.cloudrun import writer

    planned(emulator, cli, cfg, tmp_path)
    original = writer.build_update
    calls = []

    def deploy_in_between(*args, **kwargs):
        calls.append(1)
        update = original(*args, **kwargs)
        if len(calls) == 2:  # the first is the preflight's, the second the write's
            emulator.state.redeploy(BACKEND)
        return update

    mocker.patch.object(writer, "build_update", side_effect=deploy_in_between)
    result = apply_plan(cli, cfg, emulator, "-o", "json")
    assert result.exit_code == 5, result.output
    assert len(real_writes(emulator)) == 1, "one write, refused with 409, not retried"
    assert result.json()["services"][0]["outcome"] == "conflict"
    assert "OLD_FLAG" in env_of(emulator.state.get_service(BACKEND)), "nothing was written"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: (d / "staging.yaml").write_text(
            (d / "staging.yaml").read_text().replace("info", "warning")), id="manifest"),
        pytest.param(lambda d: (d / "staging.yaml").write_text(
            (d / "staging.yaml").read_text() + "\n"), id="whitespace"),
        pytest.param(lambda d: (d / "production.yaml").write_text(
            (d / "production.yaml").read_text() + "# x\n"), id="other-environment"),
        pytest.param(lambda d: (d / "policy.yaml").write_text(
            "e2e: {allowed_environments: [staging]}\n"), id="policy-added"),
        pytest.param(lambda d: (d / "production.yaml").unlink(), id="manifest-removed"),
    ],
)  # fmt: skip
def test_a_changed_config_file_is_refused_before_anything_is_read(
    emulator, cli, cfg, tmp_path, edit
):
    planned(emulator, cli, cfg, tmp_path)
    edit(cfg)
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 5, result.output
    assert "since the plan" in result.output and "re-plan" in result.output
    assert emulator.requests == [], "refused offline: nothing read, nothing written"


def rewrite(path: Path, **fields) -> None:
    doc = json.loads(path.read_text())
    doc.update(fields)
    path.write_text(json.dumps(doc))


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("age", "extra", "refused"),
    [
        (timedelta(hours=25), (), True),  # the default --plan-max-age is 24h
        (timedelta(hours=23), (), False),
        (timedelta(minutes=40), ("--plan-max-age", "30m"), True),
        (timedelta(hours=7), ("--plan-max-age", "6h"), True),
        (timedelta(days=1, hours=23), ("--plan-max-age", "2d"), False),
    ],
)
def test_a_plan_older_than_plan_max_age_is_stale(emulator, cli, cfg, tmp_path, age, extra, refused):
    path = planned(emulator, cli, cfg, tmp_path)
    rewrite(path, created_at=iso(age))
    result = apply_plan(cli, cfg, emulator, *extra)
    if refused:
        assert result.exit_code == 5, result.output
        assert "stale plan" in result.output
        assert writes(emulator) == []
    else:
        assert result.exit_code == 0, result.output


def test_a_plan_for_another_environment_is_exit_2(emulator, cli, cfg, tmp_path):
    planned(emulator, cli, cfg, tmp_path)
    result = apply_plan(cli, cfg, emulator, env="production")
    assert result.exit_code == 2, result.output
    assert "plan.json" in result.output and "'staging', not 'production'" in result.output
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "not JSON"),
        ("{not json", "not JSON"),
        ("[1, 2]", "not a plan file"),
        ('{"kind": "terraform-plan", "schema_version": 1}', "not a plan file"),
        ('{"format_version": "1.2", "planned_values": {}}', "not a plan file"),
        ("\udcff", "not JSON"),
    ],
)
def test_a_foreign_or_unreadable_file_is_exit_2_naming_it(
    emulator, cli, cfg, tmp_path, content, says
):
    planned(emulator, cli, cfg, tmp_path)
    (tmp_path / "other.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    result = apply_plan(cli, cfg, emulator, path="other.json")
    assert result.exit_code == 2, result.output
    assert "other.json" in result.output and says in result.output
    assert "Traceback" not in result.output
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"schema_version": 2}, "newer than this deploytool reads"),
        ({"schema_version": "1"}, "schema_version"),
        ({"schema_version": 0}, "schema_version"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": "2026-01-01T00:00:00"}, "no time zone"),
        ({"created_at": iso(-timedelta(days=2))}, "in the future"),
        ({"salt": "not-hex"}, "salt"),
        ({"manifests": {}}, "manifests"),
        ({"manifests": {"staging.yaml": "abc"}}, "sha256"),
        ({"workloads": {}}, "workloads must be a list"),
        ({"workloads": [{"kind": "function"}]}, "workloads[0].kind"),
        ({"environment": 7}, "environment"),
    ],
)
def test_a_malformed_plan_is_exit_2_saying_what_is_wrong(
    emulator, cli, cfg, tmp_path, fields, says
):
    path = planned(emulator, cli, cfg, tmp_path)
    rewrite(path, **fields)
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 2, result.output
    assert "plan.json" in result.output and says in result.output
    assert emulator.requests == []


def test_a_malformed_change_entry_is_exit_2(emulator, cli, cfg, tmp_path):
    path = planned(emulator, cli, cfg, tmp_path)
    doc = json.loads(path.read_text())
    doc["workloads"][0]["changes"][0]["desired_digest"] = "1"
    path.write_text(json.dumps(doc))
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 2 and "workloads[0].changes[0].desired_digest" in result.output


def test_an_edited_plan_is_refused(emulator, cli, cfg, tmp_path):
    """A digest edited by hand (or a plan made by another tool version) no longer matches
    the plan recomputed now."""
    path = planned(emulator, cli, cfg, tmp_path)
    doc = json.loads(path.read_text())
    doc["workloads"][0]["new_env_digest"] = "0" * 64
    path.write_text(json.dumps(doc))
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 5 and "backend's changes differ from the plan" in result.output
    assert writes(emulator) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--yes", "--plan-out", "p.json"), "--plan-out needs --dry-run"),
        (("--plan", "p.json", "--service", "backend", "--yes"), "--service cannot be used"),
        (("--dry-run", "--plan", "p.json", "--plan-out", "q.json"), "cannot be used together"),
        (("--plan", "p.json", "--plan-max-age", "forever"), "--plan-max-age"),
    ],
)
def test_option_misuse_is_exit_2(emulator, cli, cfg, args, says):
    result = cli("apply", "staging", *args, "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert emulator.requests == []


def test_a_plan_with_nothing_to_do_applies_as_nothing_to_do(emulator, cli, cfg, tmp_path):
    emulator.state.put_service(rich_backend())
    assert (
        cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator).exit_code == 0
    )
    made = plan(cli, cfg, emulator)
    assert made.exit_code == 0, made.output
    emulator.reset_requests()
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert writes(emulator) == []


def test_no_value_is_anywhere_in_the_plan_file(emulator, cli, configs, tmp_path):
    """Plain values, secret-looking ones, the E2E values, credential-shaped canaries in the
    manifest and live (changed, unexpected and ignored ones): none is in the file, in any
    8-character slice; every string in it is a name, a kind, a location, an etag or hex."""
    canaries = [shape() for shape in SHAPES[:12]]
    manifest_values = {f"APP_CFG_{i:02}": c.value for i, c in enumerate(canaries[:6])}
    live_values = {f"APP_CFG_{i:02}": c.value for i, c in enumerate(canaries[6:])}
    plain = {"FEATURE_ALPHA": "alpha-value-31d7", "DB_PASSWORD": "hunter2-plain-9c1e"}
    manifest_env = {**plain, **manifest_values}
    cfg = configs(
        staging=textwrap.dedent(STAGING)
        .replace(
            "env: {ENVIRONMENT: staging, LOG_LEVEL: info}",
            "env: " + json.dumps({"ENVIRONMENT": "staging", "LOG_LEVEL": "info", **manifest_env}),
        )
        .replace("e2e-oauth-simulation-key:latest", "e2e-oauth-sim-c0ffee:7"),
        production=PRODUCTION,
    )
    live = {
        **live_values,
        "ENVIRONMENT": "staging-old-5b2f",
        "GIT_SHA": "gitsha-ignored-77aa",
        "LEFTOVER_TOKEN": "leftover-token-e4d1",
        "E2E_TESTING": "e2e-live-value-0a9b",
    }
    emulator.state.put_service(
        service_message(
            "p-staging", "us-central1", "backend", live, containers=[("app", live, True)]
        )
    )
    made = cli(
        "apply", "staging", "--dry-run", "--plan-out", "plan.json", "--config-dir", str(cfg),
        emulator=emulator,
    )  # fmt: skip
    assert made.exit_code == 3, made.output
    text = (tmp_path / "plan.json").read_text()

    values = [*plain.values(), *live.values(), "staging-old-5b2f", "e2e-oauth-sim-c0ffee"]
    for value in values:
        assert value not in text
    for canary in canaries:
        for piece in canary.slices():
            assert piece not in text, f"a slice of the {canary.shape} canary is in the plan"

    doc = json.loads(text)
    names = {*live, *manifest_env, "ENVIRONMENT", "LOG_LEVEL", "JWT_SECRET_KEY", *E2E_NAMES}
    allowed = names | {"staging", "backend", "p-staging", "us-central1", "app", "service",
                       "missing", "unexpected", "changed", "deploytool-plan", "staging.yaml",
                       "production.yaml", doc["tool_version"], doc["created_at"],
                       doc["workloads"][0]["etag"]}  # fmt: skip

    def strings(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from strings(value)
        elif isinstance(node, list):
            for item in node:
                yield from strings(item)
        elif isinstance(node, str):
            yield node

    keys = {"schema_version", "kind", "environment", "created_at", "tool_version", "salt",
            "selection", "manifests", "workloads", "name", "project", "region", "container",
            "etag", "changes", "desired_digest", "new_env_digest"}  # fmt: skip
    for string in strings(doc):
        is_hex = all(ch in "0123456789abcdef" for ch in string) and len(string) >= 32
        assert string in allowed or string in keys or is_hex, f"unexpected string {string!r}"


def test_digests_are_keyed_per_plan(emulator, cli, cfg, tmp_path):
    """Two plans of the same change have different salts and different digests: a digest
    cannot be looked up in a table made once."""
    planned(emulator, cli, cfg, tmp_path)
    first = json.loads((tmp_path / "plan.json").read_text())
    assert plan(cli, cfg, emulator, out="again.json").exit_code == 3
    second = json.loads((tmp_path / "again.json").read_text())
    assert first["salt"] != second["salt"]
    digests = [
        {c["name"]: c["desired_digest"] for c in doc["workloads"][0]["changes"]}
        for doc in (first, second)
    ]
    assert digests[0].keys() == digests[1].keys()
    assert all(digests[0][n] != digests[1][n] for n in digests[0] if digests[0][n])


JOBS = """
    project: p-staging
    region: us-central1
    services:
      backend: {env: {ENVIRONMENT: staging}}
    jobs:
      migrate: {env: {ENVIRONMENT: staging, BATCH_SIZE: "500"}}
"""


def test_a_job_in_the_plan_is_applied_and_refused_like_a_service(emulator, cli, configs, tmp_path):
    cfg = configs(staging=JOBS)
    emulator.state.put_service(
        service_message("p-staging", "us-central1", "backend", {"ENVIRONMENT": "staging"})
    )
    put_job(emulator, "p-staging", "migrate", {"ENVIRONMENT": "staging", "BATCH_SIZE": "100"})

    # Refused when the job moved since the plan.
    assert plan(cli, cfg, emulator).exit_code == 3
    doc = json.loads((tmp_path / "plan.json").read_text())
    kinds = {(w["kind"], w["name"]): w for w in doc["workloads"]}
    assert kinds[("job", "migrate")]["changes"][0]["name"] == "BATCH_SIZE"
    assert kinds[("service", "backend")]["changes"] == [], "in sync, but its etag is bound too"
    emulator.state.jobs.redeploy(MIGRATE)
    emulator.reset_requests()
    refused = apply_plan(cli, cfg, emulator)
    assert refused.exit_code == 5 and "job migrate's etag changed since the plan" in refused.output
    assert writes(emulator) == []

    # Re-planned, it is applied and verified.
    assert plan(cli, cfg, emulator).exit_code == 3
    applied = apply_plan(cli, cfg, emulator, "-o", "json")
    assert applied.exit_code == 0, applied.output
    job = emulator.state.jobs.get_job(MIGRATE)
    env = {e.name: e.value for e in job.template.template.containers[0].env}
    assert env["BATCH_SIZE"] == "500"
    assert [j["outcome"] for j in applied.json()["jobs"]] == ["applied"]


def test_an_in_sync_workload_that_drifts_after_the_plan_is_refused(
    emulator, cli, configs, tmp_path
):
    """Planned with nothing to change, then someone changed it: applying the plan would write
    a change nobody reviewed."""
    cfg = configs(staging=JOBS)
    emulator.state.put_service(
        service_message("p-staging", "us-central1", "backend", {"ENVIRONMENT": "staging"})
    )
    put_job(emulator, "p-staging", "migrate", {"ENVIRONMENT": "staging", "BATCH_SIZE": "100"})
    assert plan(cli, cfg, emulator).exit_code == 3
    emulator.state.set_env(
        "projects/p-staging/locations/us-central1/services/backend",
        [run_v2.EnvVar(name="ENVIRONMENT", value="prod-by-mistake")],
    )
    emulator.reset_requests()
    result = apply_plan(cli, cfg, emulator)
    assert result.exit_code == 5 and "backend's etag changed since the plan" in result.output
    assert writes(emulator) == []
