"""Secret references through project numbers (CONTRACT "What the gate reads (v2)": two secret
references through two different project numbers are different secrets): a number resolves to
the manifest's project only through `project_number:`, never by assumption."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

MANIFEST = """
    project: p-prod
    region: us-central1
    {number}
    services:
      api:
        secrets: {{DB_PASSWORD: "db-password:3"}}
"""


def seed(emulator, secret):
    emulator.state.put_service(
        service_message("p-prod", "us-central1", "api", {"DB_PASSWORD": (secret, "3")})
    )


@pytest.mark.parametrize(
    ("number", "live_secret", "exit_code"),
    [
        ('project_number: "111111111"', "projects/111111111/secrets/db-password", 0),
        ('project_number: "111111111"', "db-password", 0),
        # Another project's number: another project's secret, drift whatever the manifest says.
        ('project_number: "111111111"', "projects/222222222/secrets/db-password", 3),
        # No number in the manifest: a number cannot be resolved, so it is not assumed.
        ("", "projects/111111111/secrets/db-password", 3),
        ("", "db-password", 0),
    ],
)
def test_a_secret_by_number_matches_only_the_manifest_projects_number(
    emulator, cli, configs, number, live_secret, exit_code
):
    cfg = configs(production=MANIFEST.format(number=number))
    seed(emulator, live_secret)
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == exit_code, result.output
    if exit_code == 3:
        (service,) = result.json()["services"]
        (change,) = service["changes"]
        assert (change["name"], change["kind"]) == ("DB_PASSWORD", "changed")


def test_two_serving_revisions_through_two_numbers_are_not_both_in_sync(emulator, cli, configs):
    """The template's reference resolves through the known number; an older revision still
    serving through another project's number is drift, not a second match."""
    from google.cloud import run_v2

    cfg = configs(production=MANIFEST.format(number='project_number: "111111111"'))
    old = "api-00001-old"
    emulator.state.add_revision(
        run_v2.Revision(
            name=f"projects/p-prod/locations/us-central1/services/api/revisions/{old}",
            containers=list(
                service_message(
                    "p-prod",
                    "us-central1",
                    "api",
                    {"DB_PASSWORD": ("projects/222222222/secrets/db-password", "3")},
                ).template.containers
            ),
        )
    )
    latest = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    pinned = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
    emulator.state.put_service(
        service_message(
            "p-prod",
            "us-central1",
            "api",
            {"DB_PASSWORD": ("projects/111111111/secrets/db-password", "3")},
            traffic=[
                run_v2.TrafficTarget(type_=latest, percent=50),
                run_v2.TrafficTarget(type_=pinned, revision=old, percent=50),
            ],
        )
    )
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3, result.output
    (service,) = result.json()["services"]
    assert service["changes"] == []
    (revision,) = service["revisions"]
    assert revision["revision"] == old
    assert [c["name"] for c in revision["changes"]] == ["DB_PASSWORD"]
