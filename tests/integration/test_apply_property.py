"""The invariant behind deploytool: a protected environment never receives an E2E variable,
in any letter case, whatever the manifest says and whatever the flags. Generated manifests,
real client, emulator."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from deploytool.cloudrun.connect import ConnectionSettings
from deploytool.cloudrun.gateway import CloudRunGateway
from deploytool.commands import apply
from deploytool.core.policy import Policy
from deploytool.emulator import Emulator
from deploytool.errors import DeployToolError
from tests.conftest import service_message

POLICY = Policy()
E2E_LIKE = [
    "E2E_TESTING",
    "PYTEST_RUNNING",
    "STAGING_E2E_TEST",
    "E2E_OAUTH_SIMULATION_KEY",
    "E2E_TEST_ENV",
    "E2E_ANYTHING",
    "MY_E2E_FLAG",
    "AUTH_E2E",
]
PLAIN = ["ENVIRONMENT", "LOG_LEVEL", "FEATURE_X", "DB_HOST", "E2ETESTING", "TEST_MODE"]


def _case_variants(name: str) -> st.SearchStrategy[str]:
    """`name` with any of its letters lower-cased: `e2e_testing`, `Pytest_Running`, ..."""
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(
        lambda lower: "".join(c.lower() if f else c for c, f in zip(name, lower, strict=True))
    )


# E2E names and names matching the E2E patterns in any letter case (matching is
# case-insensitive by default), and names that are no E2E names in any case.
e2e_names = st.sampled_from(E2E_LIKE).flatmap(_case_variants)
names = st.one_of(e2e_names, st.sampled_from(PLAIN).flatmap(_case_variants))
values = st.text(alphabet="abc01-_", min_size=0, max_size=6)
env_maps = st.dictionaries(names, values, max_size=5)
_projects = itertools.count()


@pytest.fixture(scope="module")
def running_emulator():
    with Emulator() as emulator:
        yield emulator


@given(name=e2e_names)
def test_every_generated_variant_is_an_e2e_name(name: str) -> None:
    # The property below is only as strong as its names: each variant is an E2E name...
    assert POLICY.is_e2e_name(name)


def test_the_generated_names_include_case_variants() -> None:
    # ...and the variants really leave upper case.
    assert find(e2e_names, lambda name: name.startswith("e2e_")).startswith("e2e_")
    assert find(e2e_names, lambda name: "_e2e" in name and name[0].isupper())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    environment=st.sampled_from(["production", "prod-eu", "qa"]),
    desired=st.lists(env_maps, min_size=1, max_size=3),
    live=st.lists(env_maps, min_size=3, max_size=3),
    e2e_block=st.one_of(st.none(), env_maps.filter(bool)),
    dry_run=st.booleans(),
    parallel=st.integers(1, 4),
)
def test_protected_environment_never_receives_an_e2e_variable(
    running_emulator,
    tmp_path_factory,
    environment,
    desired,
    live,
    e2e_block,
    dry_run,
    parallel,
):
    emulator = running_emulator
    project = f"prop-{next(_projects)}"
    services = {
        f"svc-{i}": {"env": env} if env else {"env": {"PLAIN": "x"}}
        for i, env in enumerate(desired)
    }
    manifest = {"project": project, "region": "us-central1", "services": services}
    if e2e_block:
        manifest["e2e"] = {"env": e2e_block}
    config_dir: Path = tmp_path_factory.mktemp("cfg")
    (config_dir / f"{environment}.yaml").write_text(yaml.safe_dump(manifest), "utf-8")
    before: dict[str, set[str]] = {}
    for i, env in enumerate(live):
        svc = f"svc-{i}"
        emulator.state.put_service(service_message(project, "us-central1", svc, env))
        before[svc] = {n for n in env if POLICY.is_e2e_name(n)}
    emulator.reset_requests()

    gateway = CloudRunGateway(ConnectionSettings(emulator_host=emulator.host_port, timeout=10))
    options = apply.ApplyOptions(
        yes=True, dry_run=dry_run, parallel=parallel, audit_log=config_dir / "audit.jsonl"
    )
    try:
        result = apply.run(
            config_dir, environment, [], gateway, options, show_plan=lambda _r: None, confirm=None
        )
        code = int(result.verdict.exit_code)
    except DeployToolError as exc:  # an invalid generated manifest: exit 2, nothing written
        code = int(exc.exit_code)

    writes = [
        r
        for r in emulator.requests
        if r.method == "PATCH" and r.query.get("validateOnly") not in ("true", "True")
    ]
    for i in range(len(live)):
        svc = f"svc-{i}"
        now = emulator.state.get_service(f"projects/{project}/locations/us-central1/services/{svc}")
        after = {
            e.name for c in now.template.containers for e in c.env if POLICY.is_e2e_name(e.name)
        }
        assert after <= before[svc], f"{svc} received {after - before[svc]}"
    in_manifest = bool(e2e_block) or any(POLICY.is_e2e_name(n) for env in desired for n in env)
    # Live leaks on managed services are removed by the write (CONTRACT apply v2); on the
    # unmanaged ones (svc-i beyond the manifest) apply can do nothing, so it writes nothing.
    unremovable = any(before[f"svc-{i}"] for i in range(len(desired), len(live)))
    if in_manifest or unremovable or (dry_run and any(before.values())):
        assert code in (2, 4), code
        assert writes == [], "a violating environment gets no write at all"
    elif code == 0 and not dry_run:
        for i in range(len(desired)):
            name = f"projects/{project}/locations/us-central1/services/svc-{i}"
            left = [
                e.name
                for c in emulator.state.get_service(name).template.containers
                for e in c.env
                if POLICY.is_e2e_name(e.name)
            ]
            assert left == [], f"svc-{i} still leaks {left} after a green apply"
    if any(before.values()) and not (in_manifest or unremovable or dry_run):
        assert code in (0, 2), f"a removable leak ends green (or the manifest is invalid): {code}"


plain_maps = st.dictionaries(st.sampled_from(PLAIN), values, min_size=1, max_size=4)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    environment=st.sampled_from(["production", "prod-eu"]),
    desired=st.lists(plain_maps, min_size=3, max_size=3),
    live=st.lists(env_maps, min_size=3, max_size=3),
    parallel=st.integers(1, 4),
)
def test_live_leaks_on_managed_containers_are_removed_never_added(
    running_emulator, tmp_path_factory, environment, desired, live, parallel
):
    """Every live service is managed and single-container: whatever E2E variables they carry,
    apply removes them all, adds none, and the read-back gate is green."""
    emulator = running_emulator
    project = f"prop-{next(_projects)}"
    services = {f"svc-{i}": {"env": env} for i, env in enumerate(desired)}
    manifest = {"project": project, "region": "us-central1", "services": services}
    config_dir: Path = tmp_path_factory.mktemp("cfg")
    (config_dir / f"{environment}.yaml").write_text(yaml.safe_dump(manifest), "utf-8")
    for i, env in enumerate(live):
        emulator.state.put_service(service_message(project, "us-central1", f"svc-{i}", env))

    gateway = CloudRunGateway(ConnectionSettings(emulator_host=emulator.host_port, timeout=10))
    options = apply.ApplyOptions(yes=True, parallel=parallel, audit_log=config_dir / "a.jsonl")
    result = apply.run(
        config_dir, environment, [], gateway, options, show_plan=lambda _r: None, confirm=None
    )
    assert int(result.verdict.exit_code) == 0, result
    for i, env in enumerate(desired):
        now = emulator.state.get_service(
            f"projects/{project}/locations/us-central1/services/svc-{i}"
        )
        assert {e.name: e.value for e in now.template.containers[0].env} == env
    removed = sorted(n for o in result.outcomes for n in o.removed_leaks)
    assert removed == sorted(n for env in live for n in env if POLICY.is_e2e_name(n))
