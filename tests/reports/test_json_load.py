"""JSON document → GateResult: the inverse of gate_doc, masked values staying masked."""

from __future__ import annotations

import json

import pytest

from deploytool.commands.results import GateResult
from deploytool.core.model import SecretRef
from deploytool.redaction import scrub_document
from deploytool.render.json_doc import dumps, gate_doc
from deploytool.render.json_load import DocumentError, load_gate
from tests.reports import sample


@pytest.mark.parametrize(
    "result",
    [
        sample.full(),
        sample.green(),
        sample.audit(),
        GateResult("diff", (sample.staging(),), sample.staging().verdict),
        GateResult(
            "audit",
            (sample.staging(),),
            sample.staging().verdict,
            warnings=("configs/policy.yaml:3: e2e.names drops the default E2E name X",),
        ),
    ],
    ids=["audit", "green", "empty-audit", "diff", "audit-with-policy-warnings"],
)
def test_round_trip(result):
    doc = gate_doc(result)
    assert gate_doc(load_gate(doc)) == doc
    # And through the text on disk, as a shard report travels: scrubbed of every value the
    # rendering masked (an error message in the sample quotes one).
    assert gate_doc(load_gate(json.loads(dumps(doc)))) == scrub_document(doc)


def test_masked_values_stay_masked_and_secret_refs_come_back():
    sample.plant()
    loaded = load_gate(json.loads(dumps(gate_doc(sample.full()))))
    staging = next(r for r in loaded.reports if r.environment == "staging")
    api = next(s for s in staging.services if s.service == "api")
    by_name = {c.name: c for c in api.changes}
    assert by_name["API_KEY"].live.value == "***"
    assert by_name["API_KEY"].desired.value == "***"
    assert by_name["DB_PASSWORD"].desired.secret == SecretRef("db-password", "3")
    assert by_name["DB_PASSWORD"].live.value == "***"
    assert by_name["LOG_LEVEL"].live.value == "a|b`c"
    assert str(by_name["DEBUG"].origin) == "drift"
    assert api.revisions[0].percent == 20


def test_verdicts_and_findings_are_loaded():
    loaded = load_gate(gate_doc(sample.full()))
    assert loaded.verdict == sample.full().verdict
    production = loaded.reports[0]
    assert production.violations == sample.production().violations
    assert production.errors == sample.production().errors
    assert production.unmanaged == sample.production().unmanaged
    assert production.warnings == sample.production().warnings


def test_keys_added_later_default_when_absent_and_unknown_keys_are_ignored():
    doc = gate_doc(sample.audit(sample.staging()))
    env = doc["environments"][0]
    del env["warnings"], env["unmanaged"]
    for service in env["services"]:
        del service["revisions"], service["not_ready"], service["container"]
        service["added_in_a_later_version"] = {"x": 1}
    doc["also_new"] = True
    loaded = load_gate(doc)
    assert [s.service for s in loaded.reports[0].services] == ["api", "auth", "worker"]
    assert loaded.reports[0].unmanaged == ()


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d.update(schema_version=True), "schema_version"),
        (lambda d: d.update(command="apply"), "command"),
        (lambda d: d.update(exit_code="3"), "exit_code"),
        (lambda d: d.update(exit_code=42), "exit_code"),
        (lambda d: d.update(status="fine"), "status"),
        (lambda d: d.pop("environments"), "environments"),
        (lambda d: d["environments"][0].update(services={}), "environments[0].services"),
        (
            lambda d: d["environments"][0]["services"][0].update(status="drifty"),
            "environments[0].services[0].status",
        ),
        (
            lambda d: d["environments"][0]["services"][0]["changes"][0].update(live=3),
            "environments[0].services[0].changes[0].live",
        ),
        (
            lambda d: d["environments"][0]["services"][0]["changes"][1].update(
                desired={"secret": "x"}
            ),
            "environments[0].services[0].changes[1].desired.version",
        ),
        (lambda d: d["environments"][0]["violations"].append("x"), "environments[0].violations[0]"),
        (lambda d: d["environments"][0]["errors"].append({}), "environments[0].errors[0].message"),
    ],
)
def test_malformed_documents_name_where(mutate, where):
    doc = gate_doc(sample.audit(sample.staging()))
    mutate(doc)
    with pytest.raises(DocumentError) as caught:
        load_gate(doc)
    assert caught.value.where == where
    assert str(caught.value).startswith(where + ": ")


def test_not_an_object():
    with pytest.raises(DocumentError):
        load_gate([1, 2])


def test_jobs_and_worker_pools_round_trip_and_older_reports_still_load():
    from deploytool.commands.results import GateResult
    from deploytool.core.diff import ServiceDiff, ServiceStatus
    from deploytool.core.policy import Violation
    from deploytool.core.report import EnvironmentReport, ReadError, UnmanagedService
    from deploytool.core.verdict import Status, verdict_for
    from deploytool.render.json_doc import gate_doc
    from deploytool.render.json_load import load_gate

    report = EnvironmentReport(
        "production",
        verdict_for(Status.LEAKAGE),
        services=(
            ServiceDiff("migrate", "p", "r", ServiceStatus.IN_SYNC, kind="job"),
            ServiceDiff("web", "p", "r", ServiceStatus.IN_SYNC),
            ServiceDiff("consumer", "p", "r", ServiceStatus.ERROR, error="x", kind="worker_pool"),
        ),
        violations=(
            Violation(
                "e2e-leakage",
                "production",
                "m",
                "migrate",
                "E2E_TESTING",
                "live",
                kind="job",
                execution="migrate-abc",
            ),
        ),
        errors=(ReadError("denied", None, "p", "r", "execution"),),
        unmanaged=(UnmanagedService("other", "p", "r", "worker_pool"),),
    )
    doc = gate_doc(GateResult("audit", (report,), report.verdict))
    env = doc["environments"][0]
    assert [j["job"] for j in env["jobs"]] == ["migrate"]
    assert [w["worker_pool"] for w in env["worker_pools"]] == ["consumer"]
    assert gate_doc(load_gate(doc)) == doc
    # An older report: no kind anywhere, services only.
    for entry in env["services"]:
        entry.pop("kind"), entry.pop("name")
    del env["jobs"], env["worker_pools"]
    loaded = load_gate(doc)
    assert [d.kind for d in loaded.reports[0].services] == ["service"]
