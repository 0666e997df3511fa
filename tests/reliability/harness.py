"""The fault-matrix harness: a seeded world, a fault plan that records what it injected, the CLI
run in-process against the emulator, and the ground truth each run is judged by.

Ground truth never comes from deploytool itself:
- the verdict of the same command against a fault-free emulator holding the same state;
- the fault plan's own record of which requests it faulted, so "every read succeeded" is
  known per request key (route, resource, page, validateOnly): a key whose last request was
  faulted is a read (or write) that failed for good;
- for apply, the emulator's state afterwards: which services now serve a revision whose env
  differs from before (the env of the revision that serves, not the template).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from google.cloud import run_v2

from deploytool.commands.apply_service import MAX_CONFLICT_RETRIES
from deploytool.emulator import Emulator, EmulatorState
from deploytool.emulator.faults import FaultDecision, FaultPlan
from tests.conftest import service_message

REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST

# Small on purpose: at rate 1.0 a read retries until this deadline and then gives up.
TIMEOUT = "2"
ROLLOUT_TIMEOUT = "5"
ALLOWED_EXITS = frozenset({0, 2, 3, 4, 5})

STAGING = "p-staging"
PROD = "p-prod"
US, EU = "us-central1", "europe-west1"

# name -> (project, region). `worker` serves 50% from an older revision pinned by name, so
# the gate also reads revisions (revisions.get); `eu` lives in a second region.
STAGING_SERVICES = {"api": US, "worker": US, "web": US, "eu": EU}
PROD_SERVICES = {"backend": US, "eu-backend": EU}

STAGING_MANIFEST = """\
project: p-staging
region: us-central1
ignore: [GIT_SHA]
services:
  api: {env: {ENVIRONMENT: staging, LOG_LEVEL: info, FEATURE_X: "on"}}
  worker: {env: {ENVIRONMENT: staging, LOG_LEVEL: info, QUEUE: jobs}}
  web: {env: {ENVIRONMENT: staging, LOG_LEVEL: info}}
  eu: {region: europe-west1, env: {ENVIRONMENT: staging, LOG_LEVEL: info}}
"""
PROD_MANIFEST = """\
project: p-prod
region: us-central1
services:
  backend: {env: {ENVIRONMENT: production, LOG_LEVEL: warning}}
  eu-backend: {region: europe-west1, env: {ENVIRONMENT: production, LOG_LEVEL: warning}}
"""
DESIRED = {
    (STAGING, "api"): {"ENVIRONMENT": "staging", "LOG_LEVEL": "info", "FEATURE_X": "on"},
    (STAGING, "worker"): {"ENVIRONMENT": "staging", "LOG_LEVEL": "info", "QUEUE": "jobs"},
    (STAGING, "web"): {"ENVIRONMENT": "staging", "LOG_LEVEL": "info"},
    (STAGING, "eu"): {"ENVIRONMENT": "staging", "LOG_LEVEL": "info"},
    (PROD, "backend"): {"ENVIRONMENT": "production", "LOG_LEVEL": "warning"},
    (PROD, "eu-backend"): {"ENVIRONMENT": "production", "LOG_LEVEL": "warning"},
}


def full_name(project: str, service: str) -> str:
    region = (STAGING_SERVICES if project == STAGING else PROD_SERVICES)[service]
    return f"projects/{project}/locations/{region}/services/{service}"


def write_configs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "staging.yaml").write_text(STAGING_MANIFEST, encoding="utf-8")
    (root / "production.yaml").write_text(PROD_MANIFEST, encoding="utf-8")
    return root


# -- the world --------------------------------------------------------------------------------


def drifted_services(seed: int, command: str) -> set[tuple[str, str]]:
    """Which services differ from their manifest. diff/audit: even seeds are fully in sync
    (truth 0, where a false green would show), odd seeds drift one service (truth 3).
    apply: most of staging drifts, so there is something to write."""
    rng = random.Random(seed * 7919 + len(command))
    if command == "apply":
        chosen = {(STAGING, "api"), (STAGING, "worker"), (STAGING, "eu")}
        if rng.random() < 0.5:
            chosen.add((STAGING, "web"))
        return chosen
    if seed % 2 == 0:
        return set()
    return {rng.choice(sorted(DESIRED))}


def _drifted_env(desired: Mapping[str, str], rng: random.Random) -> dict[str, str]:
    env = dict(desired)
    how = rng.choice(["changed", "missing", "unexpected"])
    if how == "changed":
        env["LOG_LEVEL"] = "debug"
    elif how == "missing":
        env.pop("LOG_LEVEL")
    else:
        env["OLD_FLAG"] = "1"
    return env


def build_state(seed: int, command: str) -> EmulatorState:
    """The same seed and command always build the same world."""
    rng = random.Random(seed)
    state = EmulatorState(seed=seed)
    drifted = drifted_services(seed, command)
    for (project, service), desired in sorted(DESIRED.items()):
        env = _drifted_env(desired, rng) if (project, service) in drifted else dict(desired)
        if project == STAGING:
            env["GIT_SHA"] = f"sha-{seed}"  # live only: staging's manifest ignores it
        name = full_name(project, service)
        region = name.split("/")[3]
        if service in ("worker", "backend"):
            # An older revision, with the desired env, pinned to 50% of the traffic.
            old = f"{service}-00001-old"
            old_env = dict(desired) | {k: v for k, v in env.items() if k == "GIT_SHA"}
            state.add_revision(
                run_v2.Revision(
                    name=f"{name}/revisions/{old}",
                    containers=[
                        run_v2.Container(
                            name="app",
                            image=f"gcr.io/{project}/app:0",
                            env=[run_v2.EnvVar(name=k, value=v) for k, v in old_env.items()],
                            ports=[run_v2.ContainerPort(container_port=8080)],
                        )
                    ],
                )
            )
            message = service_message(
                project,
                region,
                service,
                env,
                traffic=[
                    run_v2.TrafficTarget(type_=REVISION, revision=old, percent=50),
                    run_v2.TrafficTarget(type_=LATEST, percent=50),
                ],
            )
            message.generation = 2
        else:
            message = service_message(project, region, service, env)
        state.put_service(message)
    return state


# -- recording the faults ---------------------------------------------------------------------

_REQUEST = threading.local()  # the query of the request being decided, per handler thread


@dataclass(frozen=True)
class Decision:
    route: str
    resource: str
    page: str
    validate_only: bool
    kind: str  # "ok", "http-503", "drop", "etag_race"

    @property
    def key(self) -> tuple[str, str, str, bool]:
        return (self.route, self.resource, self.page, self.validate_only)

    @property
    def failed(self) -> bool:
        """Whether the caller got no usable answer. An etag race on a validate-only update is
        harmless: that request carries no etag and is then served."""
        if self.kind == "etag_race":
            return not self.validate_only
        return self.kind != "ok"


@dataclass(frozen=True)
class ScopedError:
    """An error rule limited to resources under `prefix` (FaultPlan's own rules are per
    route, for every resource). `updates`: "all", "writes" (real updates only) or
    "preflight" (validate-only updates only); `limit`: at most this many hits."""

    prefix: str
    route: str
    status: int
    rate: float = 1.0
    updates: str = "all"
    limit: int | None = None


class RecordingFaultPlan(FaultPlan):
    """The product's FaultPlan, plus: a record of every decision (what was injected where),
    scoped error rules, and a hook run just before the first real write of each service
    (an out-of-band change landing between preflight and write)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.decisions: list[Decision] = []
        self.scoped: list[ScopedError] = []
        self.before_first_write: Callable[[str], None] | None = None
        self.hooked: set[str] = set()  # services the out-of-band change was made to
        self._written: set[str] = set()
        self._record_lock = threading.Lock()
        self._scoped_rng = random.Random(seed + 1)
        self._scoped_hits: Counter[int] = Counter()

    def decide(self, route: str, resource: str) -> FaultDecision | None:
        query: Mapping[str, str] = getattr(_REQUEST, "query", {})
        validate_only = query.get("validateOnly", "").lower() in ("true", "1")
        decision = self._decide_scoped(route, resource, validate_only)
        if decision is None:
            decision = super().decide(route, resource)
        hook = None
        if decision is None and route == "services.update" and not validate_only:
            with self._record_lock:
                if resource not in self._written:
                    self._written.add(resource)
                    hook = self.before_first_write
        if hook is not None:
            hook(resource)
            with self._record_lock:
                self.hooked.add(resource)
        if decision is None:
            kind = "ok"
        elif decision.kind == "error":
            kind = f"http-{decision.status}"
        else:
            kind = decision.kind
        with self._record_lock:
            self.decisions.append(
                Decision(route, resource, query.get("pageToken", ""), validate_only, kind)
            )
        return decision

    def _decide_scoped(
        self, route: str, resource: str, validate_only: bool
    ) -> FaultDecision | None:
        for index, rule in enumerate(self.scoped):
            if rule.route not in ("*", route):
                continue
            if route == "services.update" and (
                (rule.updates == "writes" and validate_only)
                or (rule.updates == "preflight" and not validate_only)
            ):
                continue
            if not (resource == rule.prefix or resource.startswith(rule.prefix + "/")):
                continue
            with self._record_lock:
                if rule.limit is not None and self._scoped_hits[index] >= rule.limit:
                    continue
                hit = self._scoped_rng.random() < rule.rate
                if hit:
                    self._scoped_hits[index] += 1
            if hit:
                return FaultDecision("error", rule.status, "Injected (scoped) by the test.")
        return None

    def injected(self) -> Counter[str]:
        """Faulted requests by kind and route, e.g. `http-503 services.list`."""
        return Counter(f"{d.kind} {d.route}" for d in self.decisions if d.kind != "ok")

    def failed_keys(self) -> list[tuple[str, str, str, bool]]:
        """Requests whose last attempt was faulted: a read or write that failed for good."""
        last: dict[tuple[str, str, str, bool], Decision] = {}
        for decision in self.decisions:
            last[decision.key] = decision
        return sorted(key for key, decision in last.items() if decision.failed)


def instrument(emulator: Emulator, plan: RecordingFaultPlan) -> None:
    """Install `plan` and let it see each request's query (record_request runs first, on the
    same handler thread)."""
    original = emulator.record_request

    def record(method: str, path: str, query: Mapping[str, str]) -> None:
        _REQUEST.query = dict(query)
        original(method, path, query)

    emulator.record_request = record  # type: ignore[method-assign]
    emulator.state.faults = plan


@contextmanager
def running(state: EmulatorState, operation_delay: float = 0.0) -> Iterator[Emulator]:
    with Emulator(state, operation_delay=operation_delay) as emulator:
        yield emulator


# -- running the CLI --------------------------------------------------------------------------


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    exception: str | None
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


_BUILT: dict[int, Any] = {}


@contextmanager
def _click_command_built_once() -> Iterator[None]:
    """typer's runner rebuilds the click command from the app on every invoke (~50 ms, ~6 s
    over the matrix): build it once, for this module's runs only. Skipped if typer's
    internals change."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:
        yield
        return

    def cached(app: Any) -> Any:
        if id(app) not in _BUILT:
            _BUILT[id(app)] = build(app)
        return _BUILT[id(app)]

    typer.testing._get_command = cached
    try:
        yield
    finally:
        typer.testing._get_command = build


def run_cli(args: Sequence[str], emulator: Emulator, input: str | None = None) -> CliRun:
    """deploytool in-process through typer's runner; an exception escaping the CLI is kept
    (and judged), not raised."""
    from typer.testing import CliRunner

    from deploytool.cli import app

    started = time.perf_counter()
    with _click_command_built_once():
        result = CliRunner().invoke(
            app,
            list(args),
            input=input,
            env={"CLOUD_RUN_EMULATOR_HOST": emulator.host_port, "NO_COLOR": "1"},
            catch_exceptions=True,
        )
    exception = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exception = f"{type(result.exception).__name__}: {result.exception}"
    return CliRun(
        result.exit_code,
        result.stdout,
        result.stderr,
        exception,
        time.perf_counter() - started,
    )


def command_args(command: str, config_dir: Path, audit_log: Path) -> list[str]:
    common = ["--config-dir", str(config_dir), "-o", "json", "--timeout", TIMEOUT]
    if command == "diff":
        return ["diff", "staging", *common]
    if command == "audit":
        return ["audit", *common]
    return [
        "apply",
        "staging",
        "--yes",
        "--rollout-timeout",
        ROLLOUT_TIMEOUT,
        "--audit-log",
        str(audit_log),
        *common,
    ]


# -- ground truth after an apply --------------------------------------------------------------


def serving_env(state: EmulatorState, name: str) -> tuple[str, dict[str, str]]:
    """(latest ready revision, env of its `app` container): what serves the LATEST share."""
    service = state.get_service(name)
    assert service is not None, name
    revision = state.get_revision(service.latest_ready_revision)
    assert revision is not None, service.latest_ready_revision
    container = next(c for c in revision.containers if c.name == "app")
    return service.latest_ready_revision, {v.name: v.value for v in container.env}


def template_env(state: EmulatorState, name: str) -> dict[str, str]:
    service = state.get_service(name)
    assert service is not None, name
    container = next(c for c in service.template.containers if c.name == "app")
    return {v.name: v.value for v in container.env}


# -- figures ----------------------------------------------------------------------------------


@dataclass
class RunRecord:
    cell: str
    command: str
    fault: str
    rate: float
    seed: int
    exit_code: int
    truth: int  # the same command's exit code without faults
    acceptable: list[int]  # exit codes the contract allows given what failed for good
    failed_for_good: list[str]  # requests whose last attempt was faulted
    requests: int
    injected: dict[str, int]  # faulted requests by "kind route"
    false_green: bool
    verdict_correct: bool
    traceback: bool  # a traceback, an escaping exception, exit 1 or no JSON document
    lost_change: bool = False
    outcome_mismatches: list[str] = field(default_factory=list)
    failed_closed_under_transient_faults: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Figures:
    records: list[RunRecord] = field(default_factory=list)

    def add(self, record: RunRecord) -> None:
        self.records.append(record)

    def summary(self) -> dict[str, Any]:
        injected: Counter[str] = Counter()
        for record in self.records:
            injected.update(record.injected)
        by_kind: Counter[str] = Counter()
        for label, count in injected.items():
            by_kind[label.split(" ", 1)[0]] += count
        return {
            "runs": len(self.records),
            "requests": sum(r.requests for r in self.records),
            "faults_injected": sum(injected.values()),
            "faults_injected_by_kind": dict(sorted(by_kind.items())),
            "faults_injected_by_kind_and_route": dict(sorted(injected.items())),
            "runs_with_a_read_or_write_failed_for_good": sum(
                1 for r in self.records if r.failed_for_good
            ),
            "failed_for_good_by_route": dict(
                sorted(
                    Counter(
                        key.split(" ", 1)[0]
                        + (" (validateOnly)" if key.endswith("(validateOnly)") else "")
                        for r in self.records
                        for key in r.failed_for_good
                    ).items()
                )
            ),
            "failed_closed_under_transient_faults": sum(
                1 for r in self.records if r.failed_closed_under_transient_faults
            ),
            "verdicts_correct": sum(1 for r in self.records if r.verdict_correct),
            "false_greens": sum(1 for r in self.records if r.false_green),
            "tracebacks_or_bad_exit_codes": sum(1 for r in self.records if r.traceback),
            "lost_concurrent_changes": sum(1 for r in self.records if r.lost_change),
            "outcome_mismatches": sum(len(r.outcome_mismatches) for r in self.records),
            "exit_codes": dict(sorted(Counter(str(r.exit_code) for r in self.records).items())),
            "seconds": round(sum(r.seconds for r in self.records), 2),
        }

    def write(self, path: Path) -> None:
        document = {
            "summary": self.summary(),
            "runs": [r.as_dict() for r in self.records],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- one cell of the matrix -------------------------------------------------------------------

OOB_VARIABLE = {"ignored": "GIT_SHA", "foreign": "HOTFIX"}

OOB_VALUE = {"ignored": "sha-hotfix", "foreign": "on"}


@dataclass(frozen=True)
class Cell:
    """One run: `command` under one fault.

    fault: "http" (inject `status` on `route` at `rate`), "drop" (drop connections on
    `route` at `rate`), "slow" (operations take `delay` s; with `status`/`route`/`rate` set,
    errors on top), "rollout" (rollouts of `times` drifted services fail), "race" (each
    written service is redeployed under the caller `times` times), "none".
    oob: an out-of-band env change landing just before the first real write of each service:
    "ignored" (a variable the manifest ignores: apply must go on and keep it) or "foreign"
    (a variable apply would remove: apply must stop and keep it).
    """

    command: str
    fault: str
    route: str = "*"
    rate: float = 1.0
    seed: int = 1
    status: int = 0
    times: int = 0
    delay: float = 0.0
    oob: str = ""

    @property
    def id(self) -> str:
        parts = [self.command, self.fault]
        if self.status:
            parts.append(str(self.status))
        if self.fault in ("http", "drop") or self.status:
            parts += [self.route, f"r{self.rate:g}"]
        if self.times:
            parts.append(f"x{self.times}")
        if self.delay:
            parts.append(f"d{self.delay:g}")
        if self.oob:
            parts.append(f"oob-{self.oob}")
        parts.append(f"s{self.seed}")
        return "-".join(parts)

    @property
    def label(self) -> str:
        return self.id.rsplit("-s", 1)[0].split("-", 1)[1]

    def install(self, plan: RecordingFaultPlan, state: EmulatorState) -> None:
        if self.fault in ("http", "slow") and self.status:
            plan.inject_error(self.route, self.status, self.rate)
        if self.fault == "drop":
            plan.drop_connections(self.route, self.rate)
        if self.fault == "race":
            for project, service in sorted(drifted_services(self.seed, self.command)):
                plan.race_etag(full_name(project, service), self.times)
        if self.oob:
            variable, value = OOB_VARIABLE[self.oob], OOB_VALUE[self.oob]

            def change(resource: str) -> None:
                env = template_env(state, resource) | {variable: value}
                state.set_env(resource, [run_v2.EnvVar(name=k, value=v) for k, v in env.items()])

            plan.before_first_write = change

    def failing_rollouts(self) -> list[str]:
        if self.fault != "rollout":
            return []
        drifted = sorted(drifted_services(self.seed, self.command))
        random.Random(self.seed).shuffle(drifted)
        return [full_name(project, service) for project, service in drifted[: self.times]]


def prepare(cell: Cell) -> EmulatorState:
    state = build_state(cell.seed, cell.command)
    for name in cell.failing_rollouts():
        state.set_fail_rollout(name, "Container failed to start (injected by the test)")
    return state


STAGING_NAMES = [full_name(STAGING, s) for s in sorted(STAGING_SERVICES)]


@dataclass
class CellResult:
    record: RunRecord
    run: CliRun
    truth_run: CliRun
    failed_keys: list[tuple[str, str, str, bool]]
    changed: dict[str, bool]
    post_diff: int | None

    def explain(self) -> str:
        return (
            f"{self.record.cell}: exit {self.run.exit_code}, truth {self.record.truth}, "
            f"acceptable {self.record.acceptable}, failed for good {self.failed_keys}, "
            f"changed {self.changed}, post-apply diff {self.post_diff}, "
            f"mismatches {self.record.outcome_mismatches}\n"
            f"stdout: {self.run.stdout[-3000:]}\nstderr: {self.run.stderr[-2000:]}"
        )


def _strip_oob(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in OOB_VARIABLE.values()}


Customize = Callable[[RecordingFaultPlan, EmulatorState], None]
_APPLY_TRUTH: dict[tuple[int, tuple[str, ...]], CliRun] = {}


def run_cell(cell: Cell, workdir: Path, customize: Customize | None = None) -> CellResult:
    """Run `cell` and judge it against the ground truth (see the module docstring).
    `customize` adds faults to the faulted run only (not to the fault-free truth)."""
    configs = write_configs(workdir / "configs")
    args = command_args(cell.command, configs, workdir / "audit.jsonl")
    if cell.command == "apply":
        # Truth: the same apply on a twin world without faults (the same for every cell with
        # this world, so computed once).
        key = (cell.seed, tuple(cell.failing_rollouts()))
        if key not in _APPLY_TRUTH:
            twin_args = command_args(cell.command, configs, workdir / "twin-audit.jsonl")
            with running(prepare(cell)) as twin:
                _APPLY_TRUTH[key] = run_cli(twin_args, twin)
        truth_run = _APPLY_TRUTH[key]
    state = prepare(cell)
    with running(state, cell.delay) as emulator:
        if cell.command != "apply":
            # Truth: the same read-only command against the same state, before any fault.
            truth_run = run_cli(args, emulator)
            emulator.reset_requests()
        before = {name: serving_env(state, name) for name in STAGING_NAMES}
        plan = RecordingFaultPlan(cell.seed)
        cell.install(plan, state)
        if customize is not None:
            customize(plan, state)
        instrument(emulator, plan)
        run = run_cli(args, emulator)
        requests = len(emulator.requests)
        emulator.state.faults = FaultPlan()  # the ground-truth reads below are fault-free
        changed: dict[str, bool] = {}
        post_diff = None
        lost_change = False
        mismatches: list[str] = []
        if cell.command == "apply":
            time.sleep(cell.delay + 0.05)  # let rollouts still in flight finish
            for name in STAGING_NAMES:
                _, env = serving_env(state, name)
                changed[name] = _strip_oob(env) != _strip_oob(before[name][1])
            post_diff = run_cli(
                ["diff", "staging", "--config-dir", str(configs), "--timeout", TIMEOUT],
                emulator,
            ).exit_code
            if cell.oob:
                variable, value = OOB_VARIABLE[cell.oob], OOB_VALUE[cell.oob]
                for name in sorted(plan.hooked):
                    if template_env(state, name).get(variable) != value:
                        lost_change = True
            mismatches = _outcome_mismatches(run, changed)
    failed = plan.failed_keys()
    truth = truth_run.exit_code
    # A lost operation poll is not lost live state when the service itself was read back
    # and verified: such a run may be green if the ground truth agrees (checked below).
    hard = [key for key in failed if key[0] != "operations.get"]
    acceptable = {5} if failed or cell.oob == "foreign" else {truth}
    if cell.fault == "race" or cell.oob:
        # Real writes that meet a 409: the races the preflight did not absorb, plus the one
        # the out-of-band change causes. apply tries 1 + MAX_CONFLICT_RETRIES times.
        conflicts = max(cell.times - 1, 0) + (1 if cell.oob else 0)
        if conflicts > MAX_CONFLICT_RETRIES:
            acceptable = {5}
    if cell.command == "apply":
        false_green = run.exit_code == 0 and (
            bool(hard) or truth != 0 or post_diff != 0 or bool(mismatches)
        )
        if failed and not hard and post_diff == 0 and not mismatches:
            acceptable.add(0)
    else:
        false_green = run.exit_code == 0 and (bool(failed) or truth != 0)
    bad = (
        run.exception is not None
        or "Traceback" in run.output
        or run.exit_code not in ALLOWED_EXITS
        or run.json() is None
    )
    transient = cell.fault in ("http", "drop") and cell.rate < 1.0
    record = RunRecord(
        cell=cell.id,
        command=cell.command,
        fault=cell.label,
        rate=cell.rate if (cell.fault in ("http", "drop") or cell.status) else 0.0,
        seed=cell.seed,
        exit_code=run.exit_code,
        truth=truth,
        acceptable=sorted(acceptable),
        failed_for_good=[_describe_key(key) for key in failed],
        requests=requests,
        injected=dict(plan.injected()),
        false_green=false_green,
        verdict_correct=run.exit_code in acceptable,
        traceback=bad,
        lost_change=lost_change,
        outcome_mismatches=mismatches,
        failed_closed_under_transient_faults=transient and run.exit_code == 5 and truth != 5,
        seconds=round(run.seconds, 3),
    )
    return CellResult(record, run, truth_run, failed, changed, post_diff)


def _outcome_mismatches(run: CliRun, changed: Mapping[str, bool]) -> list[str]:
    """`applied` iff the service now serves other env than before."""
    document = run.json()
    if not isinstance(document, dict):
        return ["no JSON document"]
    reported = {
        full_name(STAGING, s["service"]): s.get("outcome") for s in document.get("services", [])
    }
    out = []
    for name, did_change in sorted(changed.items()):
        outcome = reported.get(name)
        if (outcome == "applied") != did_change:
            short = name.rsplit("/", 1)[-1]
            out.append(f"{short}: outcome {outcome!r} but changed={did_change}")
    return out


def _describe_key(key: tuple[str, str, str, bool]) -> str:
    route, resource, page, validate_only = key
    extra = (" page " + page if page else "") + (" (validateOnly)" if validate_only else "")
    return f"{route} {resource}{extra}"
