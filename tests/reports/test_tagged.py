"""Every report format names a tagged revision by its share, tag and URL, in drift and leakage;
the JSON carries `tags`/`uri` (revisions) and `revision`/`tag` (violations) and loads back."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from rich.console import Console

from deploytool.commands.results import GateResult
from deploytool.core.diff import RevisionDrift, ServiceDiff, ServiceStatus
from deploytool.core.policy import RULE_LEAKAGE, Violation
from deploytool.core.reachable import TagRoute
from deploytool.render import github
from deploytool.render.json_doc import dumps, gate_doc
from deploytool.render.json_load import load_gate
from deploytool.render.junit import render_junit
from deploytool.render.markdown import render_markdown
from deploytool.render.text import render_gate
from tests.core.builders import plain
from tests.reports import sample

CANARY_URL = "https://canary---api-abcdefghij-uc.a.run.app"
BETA_URL = "https://beta---api-abcdefghij-uc.a.run.app"
TAGGED = RevisionDrift(
    "api-00003-old",
    0,
    (
        sample.change(
            "LOG_LEVEL", "changed", plain("LOG_LEVEL", "info"), plain("LOG_LEVEL", "warn")
        ),
    ),
    (TagRoute("beta", BETA_URL), TagRoute("canary", CANARY_URL)),
)
DRIFTED = ServiceDiff(
    "api",
    sample.P_STG,
    sample.REGION,
    ServiceStatus.DRIFT,
    container="app",
    revisions=(TAGGED,),
)
LEAK = Violation(
    rule=RULE_LEAKAGE,
    environment=sample.PRODUCTION,
    message=f"E2E_TESTING is set live on revision web-00001-old (0%, tag canary, {CANARY_URL}) "
    "of web in protected environment 'production'; close its URL now",
    service="web",
    variable="E2E_TESTING",
    source="live",
    revision="web-00001-old",
    tags=("canary",),
)


def result() -> GateResult:
    return sample.audit(
        sample.report(sample.PRODUCTION, violations=(LEAK,)),
        sample.report(sample.STAGING, services=(DRIFTED,)),
    )


def text_report() -> str:
    out = io.StringIO()
    render_gate(result(), Console(file=out, no_color=True, width=200))
    return out.getvalue()


def test_json_revision_entry_has_tags_and_uri_and_violation_has_tag():
    doc = gate_doc(result())
    production, staging = doc["environments"]
    (revision,) = staging["services"][0]["revisions"]
    assert set(revision) >= {"revision", "percent", "tags", "uri", "changes"}
    assert (revision["revision"], revision["percent"]) == ("api-00003-old", 0)
    assert revision["tags"] == ["beta", "canary"]
    assert revision["uri"] == BETA_URL
    assert revision["uris"] == [BETA_URL, CANARY_URL]
    (violation,) = production["violations"]
    assert (violation["revision"], violation["tag"], violation["tags"]) == (
        "web-00001-old",
        "canary",
        ["canary"],
    )


def test_json_round_trip_keeps_tags_and_urls():
    doc = gate_doc(result())
    assert gate_doc(load_gate(json.loads(dumps(doc)))) == doc
    loaded = load_gate(doc)
    staging = next(r for r in loaded.reports if r.environment == "staging")
    assert staging.services[0].revisions == (TAGGED,)
    production = next(r for r in loaded.reports if r.environment == "production")
    assert production.violations == (LEAK,)


def test_older_reports_without_tags_still_load():
    doc = gate_doc(result())
    production, staging = doc["environments"]
    for key in ("tags", "uri", "uris"):
        del staging["services"][0]["revisions"][0][key]
    for key in ("tag", "tags"):
        del production["violations"][0][key]
    loaded = load_gate(doc)
    assert loaded.reports[1].services[0].revisions[0].tags == ()
    assert loaded.reports[0].violations[0].tags == ()


def test_a_report_with_only_uri_gives_it_to_the_first_tag():
    doc = gate_doc(result())
    revision = doc["environments"][1]["services"][0]["revisions"][0]
    del revision["uris"]
    loaded = load_gate(doc)
    assert loaded.reports[1].services[0].revisions[0].tags == (
        TagRoute("beta", BETA_URL),
        TagRoute("canary", ""),
    )


def test_text_names_tags_urls_and_share():
    text = text_report()
    assert (
        f"tagged revision api-00003-old (0% of traffic, tag beta, {BETA_URL}; "
        f"tag canary, {CANARY_URL}):" in text
    )
    assert f"revision web-00001-old (0%, tag canary, {CANARY_URL})" in text


def test_junit_names_tags_urls_and_share():
    root = ET.fromstring(render_junit(result()))
    failures = [c.find("failure") for c in root.iter("testcase") if c.find("failure") is not None]
    api = next(f for f in failures if f.get("type") == "drift")
    assert (
        f"tagged revision api-00003-old (0% of traffic, tag beta, {BETA_URL}; "
        f"tag canary, {CANARY_URL}):" in api.text.splitlines()
    )
    names = [c.get("name") for c in root.iter("testcase")]
    assert "e2e-leakage E2E_TESTING on web revision web-00001-old tag canary (live)" in names
    leak = next(f for f in failures if f.get("type") == RULE_LEAKAGE)
    assert CANARY_URL in leak.get("message")


def test_markdown_names_tags_urls_and_share():
    md = render_markdown(result())
    assert f"revision `api-00003-old` (0%, tag beta, {BETA_URL}; tag canary, {CANARY_URL})" in md
    assert "revision `web-00001-old` tag `canary`" in md


def test_github_annotations_name_tags_urls_and_share():
    lines = github.annotation_lines(gate_doc(result()))
    warning = next(line for line in lines if line.startswith("::warning"))
    assert f"tagged revision api-00003-old (0%25, tag beta, {BETA_URL}; tag canary" in warning
    error = next(line for line in lines if line.startswith("::error"))
    assert f"tag canary, {CANARY_URL}" in error
