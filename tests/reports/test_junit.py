"""JUnit XML: parsed back with ElementTree and checked against the result it reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from deploytool.core.diff import ServiceDiff, ServiceStatus
from deploytool.core.model import EnvVar
from deploytool.render.junit import render_junit
from tests.reports import sample


def parse(result):
    return ET.fromstring(render_junit(result))


def cases(suite, classname=None):
    return [
        c for c in suite.iter("testcase") if classname is None or c.get("classname") == classname
    ]


def test_root_and_suites_carry_correct_counts():
    root = parse(sample.full())
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["production", "staging"]
    for suite in suites.values():
        found = cases(suite)
        assert int(suite.get("tests")) == len(found)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in found)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in found)
    # production: backend, eu-backend (error), 3 violations, 1 unmanaged, 1 location error
    assert (suites["production"].get("tests"), suites["production"].get("failures")) == ("7", "3")
    assert suites["production"].get("errors") == "2"
    # staging: api (drift), auth, worker (missing), scratch (unmanaged)
    assert [suites["staging"].get(k) for k in ("tests", "failures", "errors")] == ["4", "2", "0"]
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in suites.values())


def test_managed_services_are_testcases_named_after_the_service():
    staging = parse(sample.full()).find("testsuite[@name='staging']")
    managed = cases(staging, "deploytool.audit.staging")
    assert [c.get("name") for c in managed] == ["api", "auth", "worker"]
    api, auth, worker = managed
    failure = api.find("failure")
    assert failure.get("message") == "drift: 5 changes in p-staging/us-central1"
    assert failure.get("type") == "drift"
    lines = failure.text.splitlines()
    assert "~ LOG_LEVEL: live a|b`c -> manifest info [changed]" in lines
    assert "- DEBUG: live 1, not in manifest [unexpected] (changed live since apply)" in lines
    assert "~ DB_PASSWORD: live *** -> manifest secret:db-password:3 [changed]" in lines
    assert "serving revision api-00007-old (20% of traffic):" in lines
    assert auth.find("failure") is None and auth.find("error") is None
    assert "not ready" in auth.find("system-out").text
    assert worker.find("failure").get("type") == "missing"
    assert "does not exist live" in worker.find("failure").get("message")
    assert "+ ENVIRONMENT: manifest staging, not live [missing]" in worker.find("failure").text


def test_unreadable_service_is_an_error_not_a_failure():
    production = parse(sample.full()).find("testsuite[@name='production']")
    eu = next(c for c in cases(production) if c.get("name") == "eu-backend")
    assert eu.find("failure") is None
    assert eu.find("error").get("message").startswith("permission denied")
    # The location error no service carries gets its own testcase, so the XML fails closed.
    live = cases(production, "deploytool.audit.production.live")
    assert [c.get("name") for c in live] == ["read p-prod/asia-east1"]
    assert live[0].find("error").get("message").startswith("503 unavailable")


def test_every_violation_is_a_failing_testcase_with_its_reason():
    production = parse(sample.full()).find("testsuite[@name='production']")
    policy = cases(production, "deploytool.audit.production.policy")
    assert [c.get("name") for c in policy] == [
        "e2e-leakage E2E_TESTING on backend (manifest)",
        "e2e-leakage E2E_OAUTH_SIMULATION_KEY on legacy-admin (live)",
        "project-pin (manifest)",
    ]
    expected = [v.message for v in sample.production().violations]
    assert [c.find("failure").get("message") for c in policy] == expected
    assert [c.find("failure").text for c in policy] == expected
    assert {c.find("failure").get("type") for c in policy} == {"e2e-leakage", "project-pin"}


def test_unmanaged_services_pass_with_system_out():
    production = parse(sample.full()).find("testsuite[@name='production']")
    (legacy,) = cases(production, "deploytool.audit.production.unmanaged")
    assert legacy.get("name") == "legacy-admin"
    assert legacy.find("failure") is None and legacy.find("error") is None
    assert "p-prod/us-central1" in legacy.find("system-out").text


def test_green_audit_has_no_failures():
    root = parse(sample.green())
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


def test_empty_audit_is_valid_xml():
    root = parse(sample.audit())
    assert root.findall("testsuite") == [] and root.get("tests") == "0"


def test_characters_xml_cannot_hold_do_not_break_the_file():
    weird = ServiceDiff(
        "svc\x00",
        "p",
        "r",
        ServiceStatus.ERROR,
        error='bad \x1b[31m escape \x07 and <tags> & "quotes"\nsecond line',
    )
    result = sample.audit(sample.report("env", services=(weird,)))
    text = render_junit(result)
    root = ET.fromstring(text)  # parses: the control characters were replaced
    error = root.find(".//error")
    assert '<tags> & "quotes"' in error.get("message")
    assert "\x1b" not in text and "\x00" not in text


def test_no_secret_in_the_xml():
    sample.plant()
    leaky = replace(
        sample.API,
        changes=(
            *sample.API.changes,
            sample.change("X", "unexpected", live=EnvVar("X", value=sample.NASTY + " echoed")),
        ),
    )
    result = sample.audit(sample.report("staging", services=(leaky,)), sample.production())
    text = render_junit(result)
    for canary in sample.CANARIES:
        assert canary not in text
    assert "*** echoed" in ET.fromstring(text).find(".//failure").text
