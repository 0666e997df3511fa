"""The Markdown report: status per environment, violations first, drift table, escaping."""

from __future__ import annotations

from dataclasses import replace

from deploytool.commands.results import GateResult
from deploytool.core.diff import ServiceDiff, ServiceStatus
from deploytool.render.markdown import code, render_markdown, text
from tests.reports import sample


def section(markdown: str, environment: str) -> str:
    start = markdown.index(f"### {environment}:")
    end = markdown.find("\n### ", start + 1)
    return markdown[start : end if end != -1 else None]


def test_headline_and_overview_give_status_and_exit_code_per_environment():
    md = render_markdown(sample.full())
    assert md.splitlines()[0] == "## deploytool audit: ⛔ LEAKAGE (exit 4)"
    assert "| production | ⛔ LEAKAGE | 4 | 2 | 1 | 0 | 0 | 1 | 3 | 1 |" in md
    assert "| staging | ⚠️ DRIFT | 3 | 3 | 1 | 1 | 1 | 0 | 0 | 1 |" in md
    assert "### production: ⛔ LEAKAGE (exit 4)" in md
    assert "### staging: ⚠️ DRIFT (exit 3)" in md


def test_violations_come_first_then_errors():
    production = section(render_markdown(sample.full()), "production")
    order = [
        production.index("Policy violations (3)"),
        production.index("Live state not read (2)"),
        production.index("Unmanaged services (1)"),
    ]
    assert order == sorted(order)
    assert (
        "- **e2e-leakage** `legacy-admin` `E2E_OAUTH_SIMULATION_KEY` (live): "
        "E2E_OAUTH_SIMULATION_KEY is set live on legacy-admin" in production
    )
    assert "- **project-pin** (manifest): configs/production.yaml:1: project" in production
    assert "- `eu-backend` (p-prod/europe-west1): permission denied" in production
    assert "- p-prod/asia-east1: 503 unavailable" in production
    assert "- `legacy-admin` (p-prod/us-central1)" in production
    assert "- configs/production.yaml:3: 'E2E_TESTlNG' looks like E2E_TESTING" in production


def test_drift_table_lists_each_change_with_redacted_values():
    staging = section(render_markdown(sample.full()), "staging")
    assert "| service | location | variable | change | live | manifest | changed by |" in staging
    # The sample knows no modifier: its "changed by" cells are empty.
    rows = [
        line.removesuffix("  |") for line in staging.splitlines() if line.startswith("| `")
    ]
    assert rows == [
        "| `api` | p-staging/us-central1 | `API_KEY` | changed | `***` | `***` |",
        "| `api` | p-staging/us-central1 | `DB_PASSWORD` | changed | `***` "
        "| `secret:db-password:3` |",
        "| `api` | p-staging/us-central1 | `DEBUG` | unexpected (live, not in manifest, "
        "changed live since apply) | `1` | — |",
        "| `api` | p-staging/us-central1 | `LOG_LEVEL` | changed | ``a\\|b`c`` | `info` |",
        "| `api` revision `api-00007-old` (20%) | p-staging/us-central1 | `LOG_LEVEL` "
        "| changed | `warn` | `info` |",
        "| `worker` (not live) | p-staging/us-central1 | `ENVIRONMENT` "
        "| missing (in manifest, not live) | — | `staging` |",
    ]
    assert "- `auth` (p-staging/us-central1): latest revision auth-00002 is not ready" in staging
    assert "- `scratch` (p-staging/us-central1)" in staging


def test_green_report_says_so_without_sections():
    md = render_markdown(sample.green())
    assert md.startswith("## deploytool audit: ✅ IN SYNC (exit 0)")
    assert "1 of 1 managed service in sync" in md
    assert "####" not in md


def test_diff_result_renders_without_overview():
    report = sample.staging()
    md = render_markdown(GateResult("diff", (report,), report.verdict))
    assert md.startswith("## deploytool diff: ⚠️ DRIFT (exit 3)")
    assert "| environment |" not in md
    assert "### staging: ⚠️ DRIFT (exit 3)" in md


def test_many_unmanaged_services_fold_away():
    unmanaged = tuple(replace(sample.SCRATCH, service=f"extra-{i:02d}") for i in range(12))
    md = render_markdown(sample.audit(sample.report("staging", unmanaged=unmanaged)))
    assert "<details>\n<summary>Unmanaged services (12)</summary>\n\n- `extra-00`" in md
    assert md.rstrip().endswith("</details>")


def test_markup_in_values_and_messages_is_inert():
    assert text("*bold* _it_ [link](x) <b>&amp;</b> | # x\nnext") == (
        "\\*bold\\* \\_it\\_ \\[link\\](x) \\<b\\>&amp;amp;\\</b\\> \\| \\# x next"
    )
    assert text("E2E_TESTING") == "E2E_TESTING"
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert code("") == "*(empty)*"
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("one\ntwo") == "`one⏎two`"
    weird = ServiceDiff("svc|x", "p", "r", ServiceStatus.ERROR, error="<script>alert(1)</script>")
    md = render_markdown(sample.audit(sample.report("env", services=(weird,))))
    assert "<script>" not in md
    assert "\\<script\\>" in md


def test_no_secret_in_the_markdown():
    sample.plant()
    sample.assert_no_canary(render_markdown(sample.full()), "Markdown report")
