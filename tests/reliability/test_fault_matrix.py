"""The fault matrix: `diff`, `apply --yes` and `audit` through the CLI (real google-cloud-run
client, emulator on 127.0.0.1) under 429/500/503 per route and on every route, dropped
connections, slow operations, failing rollouts and etag races, at several rates and seeds.

Every run is judged against ground truth the test controls (see harness.py):
1. never exit 0 unless every read succeeded: a run is a false green when it exits 0 while the
   same command without faults does not, or while a request failed for good (its last
   attempt was faulted), or (apply) while a fault-free diff afterwards is not green. A lost
   operation poll alone may end green only if apply read the services back and the ground
   truth agrees with every outcome;
2. never a traceback: exit code in {0, 2, 3, 4, 5}, one JSON document on stdout;
3. no concurrent change lost: an out-of-band change landing between preflight and write
   survives (etag races on top);
4. a half-finished apply says exactly which services changed: `applied` iff the service now
   serves other env than before.

The in-CI part is bounded (about 50 s on 2 cores, most of it the 2 s retry deadline of the
rate-1.0 cells); `-m soak` runs the full product (scripts/soak.sh, about 10 minutes).
DEPLOYTOOL_RELIABILITY_REPORT=path writes the figures as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from google.cloud import run_v2

from tests.reliability.harness import (
    STAGING_NAMES,
    Cell,
    CellResult,
    CliRun,
    EmulatorState,
    Figures,
    RecordingFaultPlan,
    RunRecord,
    ScopedError,
    command_args,
    full_name,
    instrument,
    prepare,
    run_cell,
    run_cli,
    running,
    template_env,
    write_configs,
)

STATUSES = (429, 500, 503)
RATES = (0.1, 0.3, 1.0)
OP_DELAY = 0.1  # operations stay not done this long, so apply polls operations.get
ROUTES_BY_COMMAND = {
    "diff": ("services.list", "revisions.get", "*"),
    "audit": ("services.list", "revisions.get", "*"),
    "apply": (
        "services.list",
        "services.get",
        "services.update",
        "revisions.get",
        "operations.get",
        "*",
    ),
}


def ci_cells() -> list[Cell]:
    """Bounded: every (command, route it uses) meets each status once and each rate once (a
    Latin square of status x rate), the seeds rotating; then drops, slow operations,
    failing rollouts and etag races with out-of-band changes."""
    cells = []
    for c_index, (command, routes) in enumerate(ROUTES_BY_COMMAND.items()):
        for r_index, route in enumerate(routes):
            # At 1.0, "*" fails the first call (the list) exactly as services.list at 1.0
            # does, and operations.get at 1.0 is test_lost_rollout_is_reported_as_what_happened.
            rates = {"*": (0.1, 0.2, 0.3), "operations.get": (0.1, 0.3, 0.5)}.get(route, RATES)
            for s_index, status in enumerate(STATUSES):
                rate = rates[(r_index + s_index) % len(rates)]
                seed = 1 + (c_index + r_index + 2 * s_index) % 4
                if rate == 1.0:
                    # Even seeds are in sync for diff/audit (truth 0): where a false green
                    # would show.
                    seed = 2 + 2 * ((c_index + r_index) % 2)
                cells.append(
                    Cell(
                        command,
                        "http",
                        route,
                        rate=rate,
                        seed=seed,
                        status=status,
                        delay=OP_DELAY if route == "operations.get" else 0.0,
                    )
                )
    cells += [
        Cell("diff", "drop", "*", 0.3, seed=2),
        Cell("audit", "drop", "*", 0.3, seed=4),
        Cell("audit", "drop", "*", 1.0, seed=2),
        Cell("apply", "drop", "services.get", 0.3, seed=1),
        Cell("apply", "drop", "services.update", 0.3, seed=2),
        Cell("apply", "drop", "operations.get", 0.3, seed=3, delay=OP_DELAY),
        Cell("apply", "drop", "*", 0.1, seed=4),
        Cell("apply", "slow", seed=1, delay=0.2),
        Cell("apply", "slow", seed=4, delay=0.2),
        Cell("apply", "rollout", seed=1, times=1),
        Cell("apply", "rollout", seed=4, times=2),
        # race_etag's first redeploy meets the validate-only preflight (harmless: it carries
        # no etag); the rest meet real writes, of which apply makes 1 + 3 conflict retries.
        Cell("apply", "race", seed=2, times=2),
        Cell("apply", "race", seed=3, times=4),
        Cell("apply", "race", seed=1, times=5),
        Cell("apply", "race", seed=4, times=2, oob="ignored"),
        Cell("apply", "race", seed=2, times=4, oob="ignored"),  # 4 conflicts: gives up
        Cell("apply", "race", seed=1, times=1, oob="foreign"),
        Cell("apply", "none", seed=2, oob="ignored"),
        Cell("apply", "none", seed=3, oob="foreign"),
    ]
    return cells


def soak_cells() -> list[Cell]:
    """The full product; DEPLOYTOOL_SOAK_SEEDS (default 4) seeds per cell."""
    seeds = range(1, 1 + int(os.environ.get("DEPLOYTOOL_SOAK_SEEDS", "4")))
    cells = []
    for command, routes in ROUTES_BY_COMMAND.items():
        # Routes the command never calls must not matter either.
        for route in (*routes, "revisions.list"):
            delay = OP_DELAY if route in ("operations.get", "*") and command == "apply" else 0.0
            for status in STATUSES:
                for rate in (0.1, 0.3, 0.6, 1.0):
                    # At rate 1.0 every request fails: the seed only changes the world.
                    for seed in list(seeds)[:2] if rate == 1.0 else seeds:
                        cells.append(Cell(command, "http", route, rate, seed, status, delay=delay))
            for rate in (0.1, 0.3, 1.0):
                for seed in list(seeds)[:2]:
                    cells.append(Cell(command, "drop", route, rate, seed, delay=delay))
    for seed in seeds:
        for delay in (0.2, 0.6):
            cells.append(Cell("apply", "slow", seed=seed, delay=delay))
            for status in STATUSES:
                cells.append(Cell("apply", "slow", "*", 0.2, seed, status, delay=delay))
        for times in (1, 2, 3, 4):
            cells.append(Cell("apply", "rollout", seed=seed, times=times))
        for times in (1, 2, 3, 4, 5, 6):
            for oob in ("", "ignored", "foreign"):
                cells.append(Cell("apply", "race", seed=seed, times=times, oob=oob))
    return cells


READ_ROUTES = ("services.list", "services.get", "revisions.get", "*")


def judge(result: CellResult, figures: Figures, cell: Cell | None = None) -> None:
    """The four invariants; the run's figures are kept whatever the outcome."""
    figures.add(result.record)
    record = result.record
    if (
        cell is not None
        and cell.fault in ("http", "drop")
        and cell.rate == 1.0
        and cell.route in READ_ROUTES
        and cell.route in ROUTES_BY_COMMAND[cell.command]
    ):
        assert record.exit_code != 0, "(1) rate 1.0 on a read route: " + result.explain()
    assert not record.traceback, "(2) traceback, exit 1 or no JSON: " + result.explain()
    assert not record.false_green, "(1) FALSE GREEN: " + result.explain()
    assert not record.lost_change, "(3) a concurrent change was lost: " + result.explain()
    assert not record.outcome_mismatches, "(4) outcome vs ground truth: " + result.explain()
    assert record.verdict_correct, "verdict: " + result.explain()


@pytest.mark.parametrize("cell", ci_cells(), ids=lambda cell: cell.id)
def test_fault_matrix(cell: Cell, tmp_path: Path, figures: Figures) -> None:
    judge(run_cell(cell, tmp_path), figures, cell)


@pytest.mark.soak
@pytest.mark.parametrize("cell", soak_cells(), ids=lambda cell: cell.id)
def test_fault_matrix_soak(cell: Cell, tmp_path: Path, figures: Figures) -> None:
    judge(run_cell(cell, tmp_path), figures, cell)


# -- (3) concurrent changes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [("GIT_SHA", "sha-hotfix", 0), ("HOTFIX", "on", 5)],
    ids=["ignored-variable", "foreign-variable"],
)
def test_a_change_made_while_the_engineer_reads_the_plan_survives(
    tmp_path: Path, figures: Figures, mocker, variable: str, value: str, code: int
) -> None:
    """Someone deploys while the confirmation prompt is open; etag races on top. A variable
    the manifest ignores is kept by the write; one apply would remove stops the run."""
    cell = Cell("apply", "race", seed=1, times=3)
    state = prepare(cell)
    api = full_name("p-staging", "api")
    configs = write_configs(tmp_path / "configs")

    def someone_else_deploys(*_args, **_kwargs) -> bool:
        env = template_env(state, api) | {variable: value}
        state.set_env(api, [run_v2.EnvVar(name=k, value=v) for k, v in env.items()])
        return True

    mocker.patch("deploytool.cli.stdin_is_terminal", return_value=True)
    mocker.patch("typer.confirm", side_effect=someone_else_deploys)
    args = [a for a in command_args("apply", configs, tmp_path / "audit.jsonl") if a != "--yes"]
    with running(state) as emulator:
        plan = RecordingFaultPlan(cell.seed)
        cell.install(plan, state)
        instrument(emulator, plan)
        run = run_cli(args, emulator)
    assert "Traceback" not in run.output and run.exception is None, run.output
    assert run.exit_code == code, run.output
    assert template_env(state, api)[variable] == value, "the concurrent change was lost"
    outcomes = {s["service"]: s for s in run.json()["services"]}
    if code == 5:
        assert outcomes["api"]["outcome"] == "conflict"
        assert variable in {c["name"] for c in outcomes["api"]["new_changes"]}
        writes = [d for d in plan.decisions if d.route == "services.update" and not d.validate_only]
        assert writes == [], "a preflight conflict stops the run before any write"
    else:
        assert outcomes["api"]["outcome"] == "applied"
        assert template_env(state, api)["LOG_LEVEL"] == "info"
    _record_scenario(figures, f"apply-confirm-oob-{variable}-race-x3-s1", run, plan, code)


def _record_scenario(
    figures: Figures, name: str, run: CliRun, plan: RecordingFaultPlan, expected: int
) -> None:
    figures.add(
        RunRecord(
            cell=name,
            command="apply",
            fault=name.split("-", 1)[1].rsplit("-s", 1)[0],
            rate=0.0,
            seed=1,
            exit_code=run.exit_code,
            truth=0,
            acceptable=[expected],
            failed_for_good=[],
            requests=len(plan.decisions),
            injected=dict(plan.injected()),
            false_green=False,
            verdict_correct=run.exit_code == expected,
            traceback="Traceback" in run.output,
            seconds=round(run.seconds, 3),
        )
    )


# -- (4) a half-finished apply --------------------------------------------------------------


def test_a_half_finished_apply_reports_exactly_which_services_changed(
    tmp_path: Path, figures: Figures
) -> None:
    """Seed 4 drifts api, eu, web and worker. api's new revision fails to start; every real
    write to europe-west1 (eu) answers 503; web and worker go through."""
    cell = Cell("apply", "none", seed=4)
    api = full_name("p-staging", "api")

    def customize(plan: RecordingFaultPlan, state: EmulatorState) -> None:
        state.set_fail_rollout(api, "Container failed to start: missing DB_HOST")
        plan.scoped.append(
            ScopedError(
                "projects/p-staging/locations/europe-west1", "services.update", 503, 1.0, "writes"
            )
        )

    result = run_cell(cell, tmp_path, customize)
    judge(result, figures)
    assert result.run.exit_code == 5, result.explain()
    outcomes = {s["service"]: s["outcome"] for s in result.run.json()["services"]}
    assert outcomes == {"api": "failed", "eu": "failed", "web": "applied", "worker": "applied"}
    changed = {name.rsplit("/", 1)[-1] for name, did in result.changed.items() if did}
    assert changed == {"web", "worker"}
    trail = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert {e["service"] for e in trail if e["outcome"] == "applied"} == changed
    assert {e["service"] for e in trail if e["outcome"] != "applied"} == {"api", "eu"}
    assert "missing DB_HOST" in json.dumps(result.run.json())


# -- regressions: bugs the matrix found (fixed in f90acee) ----------------------------------------


def test_preflight_retries_a_transient_error(tmp_path: Path, figures: Figures) -> None:
    """One 503 on a validate-only preflight used to abort the whole apply (exit 5, nothing
    written): apply clears the preflight's etag and send_update retried only etag-guarded
    calls. A validate-only update writes nothing, so it is retried like a read."""
    cell = Cell("apply", "none", seed=1)

    def customize(plan: RecordingFaultPlan, state: EmulatorState) -> None:
        plan.scoped.append(
            ScopedError(
                full_name("p-staging", "api"), "services.update", 503, 1.0, "preflight", limit=1
            )
        )

    result = run_cell(cell, tmp_path, customize)
    judge(result, figures)
    assert result.record.injected == {"http-503 services.update": 1}
    assert result.run.exit_code == 0, result.explain()
    assert all(result.changed[name] for name in STAGING_NAMES if "web" not in name)


def test_lost_rollout_is_reported_as_what_happened(tmp_path: Path, figures: Figures) -> None:
    """Every operations.get poll fails. apply used to report each service `failed` (audit
    log too) although its write was accepted and its new revision serves. services.get still
    works, so the services are read back: `applied` iff the new revision serves (4), and a
    green exit only if a fault-free diff afterwards agrees (1)."""
    cell = Cell("apply", "slow", "operations.get", 1.0, seed=1, status=503, delay=0.3)
    result = run_cell(cell, tmp_path)
    judge(result, figures, cell)
    assert result.record.failed_for_good, "every poll failed"
    assert all(result.changed[name] for name in STAGING_NAMES if "web" not in name)
    assert result.run.exit_code in (0, 5), result.explain()
