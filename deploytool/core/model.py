"""Values the whole tool speaks in: what a manifest wants and what Cloud Run has.

Pure data. Nothing here knows about YAML, protobuf or the terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deploytool.core.ack_spec import Acknowledgement
from deploytool.core.secret_names import is_secret_name
from deploytool.core.verify_spec import VerifySpec

# Cloud Run sets these itself; a manifest may not.
RESERVED_NAMES = frozenset({"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"})
RESERVED_PREFIX = "X_GOOGLE_"
MAX_VARS_PER_CONTAINER = 1000
MAX_VALUE_BYTES = 32768

# The kinds of Cloud Run workload. What they share (containers with env, a template, things
# that run from older templates) is one model; what differs lives in per-kind adapter modules.
SERVICE = "service"
JOB = "job"
WORKER_POOL = "worker_pool"
KINDS = (SERVICE, JOB, WORKER_POOL)
# How each kind is named in prose ("worker pool wp-1") and in the manifest (`worker_pools:`).
KIND_WORDS = {SERVICE: "service", JOB: "job", WORKER_POOL: "worker pool"}
KIND_SECTIONS = {SERVICE: "services", JOB: "jobs", WORKER_POOL: "worker_pools"}

_SECRET_PATH = re.compile(r"^projects/(?P<project>[^/]+)/secrets/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class SecretRef:
    """A Secret Manager reference. `secret` is kept as written: a short name (same project)
    or `projects/P/secrets/NAME`."""

    secret: str
    version: str

    @property
    def short_name(self) -> str:
        match = _SECRET_PATH.match(self.secret)
        return match.group("name") if match else self.secret

    @property
    def project(self) -> str | None:
        match = _SECRET_PATH.match(self.secret)
        return match.group("project") if match else None

    def same_as(
        self, other: SecretRef, service_project: str, project_number: str | None = None
    ) -> bool:
        """Both spellings of one secret compare equal: a short name is the service's own
        project, and so is `projects/N/...` when N is that project's known number
        (`project_number:` in the manifest). Any other number stays a number: it cannot be
        resolved offline, and two different projects' secrets must never compare equal
        (CONTRACT "What the gate reads (v2)"), so an unknown number differs from an id."""
        if self.version != other.version or self.short_name != other.short_name:
            return False
        return self._owner(service_project, project_number) == other._owner(
            service_project, project_number
        )

    def _owner(self, service_project: str, project_number: str | None) -> str:
        project = self.project
        if project is None or (project_number is not None and project == project_number):
            return service_project
        return project

    def __str__(self) -> str:
        return f"{self.secret}:{self.version}"


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: a plain value or a secret reference, never both.
    `line` is where a manifest declared it (None for live values) and takes no part in
    equality."""

    name: str
    value: str | None = None
    secret: SecretRef | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def is_secret_ref(self) -> bool:
        return self.secret is not None

    def same_as(
        self, other: EnvVar, service_project: str, project_number: str | None = None
    ) -> bool:
        """Same value, or same secret and version; plain never equals a secret."""
        if self.secret is not None and other.secret is not None:
            return self.secret.same_as(other.secret, service_project, project_number)
        if self.secret is None and other.secret is None:
            # Cloud Run treats an entry with neither value nor source as the empty string.
            return (self.value or "") == (other.value or "")
        return False


def workload_label(kind: str, name: str) -> str:
    """`worker pool wp-1`, `job migrate`; a service keeps its bare name, as reports always
    named it."""
    return name if kind == SERVICE else f"{KIND_WORDS.get(kind, kind)} {name}"


@dataclass(frozen=True)
class WorkloadSpec:
    """What the manifest wants for one workload's managed container (a service's, a job's
    task template's, a worker pool's)."""

    name: str
    project: str
    region: str
    env: tuple[EnvVar, ...]
    container: str | None = None
    ignore: tuple[str, ...] = ()
    e2e_names: frozenset[str] = frozenset()
    line: int | None = field(default=None, compare=False)
    kind: str = SERVICE
    # The number of `project` when the manifest gives it (`project_number:`): a secret
    # reference through that number is one through `project`.
    project_number: str | None = None

    def env_by_name(self) -> dict[str, EnvVar]:
        return {var.name: var for var in self.env}


ServiceSpec = WorkloadSpec


@dataclass(frozen=True)
class E2EBlock:
    """The manifest's `e2e:` block: the test-bypass variables and where they go."""

    env: tuple[EnvVar, ...]
    services: tuple[str, ...] | None = None
    line: int | None = field(default=None, compare=False)
    jobs: tuple[str, ...] | None = None
    worker_pools: tuple[str, ...] | None = None

    def applies_to(self, kind: str, name: str) -> bool:
        """Whether the set goes to this workload: every workload when none of e2e.services,
        e2e.jobs, e2e.worker_pools is given, else exactly those listed."""
        lists = {SERVICE: self.services, JOB: self.jobs, WORKER_POOL: self.worker_pools}
        if all(listed is None for listed in lists.values()):
            return True
        return name in (lists.get(kind) or ())


@dataclass(frozen=True)
class Manifest:
    """One environment's manifest (`configs/<environment>.yaml`), e2e set already merged."""

    environment: str
    path: str
    project: str
    region: str
    services: tuple[ServiceSpec, ...]
    ignore: tuple[str, ...] = ()
    e2e: E2EBlock | None = None
    project_line: int | None = field(default=None, compare=False)
    verify: VerifySpec | None = None
    project_number: str | None = None  # optional `project_number:` (exported files use it)
    jobs: tuple[WorkloadSpec, ...] = ()
    worker_pools: tuple[WorkloadSpec, ...] = ()
    acknowledge: tuple[Acknowledgement, ...] = ()  # known drift, accepted for a while

    @property
    def workloads(self) -> tuple[WorkloadSpec, ...]:
        """Every managed workload: services, then jobs, then worker pools."""
        return (*self.services, *self.jobs, *self.worker_pools)

    def service(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)

    def workload(self, kind: str, name: str) -> WorkloadSpec | None:
        return next((w for w in self.workloads if (w.kind, w.name) == (kind, name)), None)

    def locations(self) -> list[tuple[str, str]]:
        """Every (project, region) this manifest touches, sorted."""
        return sorted({(s.project, s.region) for s in self.workloads})


@dataclass(frozen=True)
class LiveContainer:
    name: str
    env: tuple[EnvVar, ...]
    has_port: bool = False


@dataclass(frozen=True)
class TrafficShare:
    """One entry of the service's `traffic_statuses`: a revision's share, and the tag (with
    the URL it is served at) when the entry has one."""

    revision: str
    percent: int
    tag: str = ""
    uri: str = ""
    # A LATEST target moves to the next revision on its own; a share pinned by name stays
    # on this revision after a write. Unknown means pinned: the cautious reading for apply.
    follows_latest: bool = False


@dataclass(frozen=True)
class LiveWorkload:
    """A Cloud Run workload (service, job or worker pool) as read from the API, reduced to
    what deploytool reasons about. `traffic` is a service's traffic or a worker pool's
    instance split (a job has none); `containers` are the template's."""

    name: str
    project: str
    region: str
    containers: tuple[LiveContainer, ...]
    etag: str = ""
    annotations: tuple[tuple[str, str], ...] = ()
    latest_created_revision: str = ""
    latest_ready_revision: str = ""
    ready: bool | None = None
    condition_message: str = ""
    traffic: tuple[TrafficShare, ...] = ()
    uri: str = ""
    kind: str = SERVICE
    # Who changed it last and when (last_modifier, update_time; ISO-8601 UTC), "" unknown.
    last_modifier: str = ""
    update_time: str = ""

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)


LiveService = LiveWorkload


@dataclass(frozen=True)
class LiveRevision:
    """One revision's containers, read when it serves traffic, carries a tag or has an
    instance split but is not the template's. `service` names the parent workload of `kind`
    (a service or a worker pool)."""

    name: str
    service: str
    project: str
    region: str
    containers: tuple[LiveContainer, ...]
    ready: bool | None = None
    condition_message: str = ""
    kind: str = SERVICE
    creator: str = ""  # Revision.creator and create_time (ISO-8601 UTC), "" unknown
    create_time: str = ""


@dataclass(frozen=True)
class LiveExecution:
    """One run of a job: its `template` is what that run used (the job's env merged with
    the overrides it was started with). Times are ISO-8601 UTC, empty when unknown."""

    name: str
    job: str
    project: str
    region: str
    containers: tuple[LiveContainer, ...]
    create_time: str = ""
    start_time: str = ""
    running: bool = False


def is_secret_like(name: str) -> bool:
    """Names whose values never print (CONTRACT: "Secrets (v2)"; the words live in
    core/secret_names.py). The policy's `redact.names` are added by `deploytool.redaction`."""
    return is_secret_name(name)


def select_container(
    containers: tuple[LiveContainer, ...], wanted: str | None
) -> LiveContainer | None:
    """The managed container: the one named, else the only one, else the one with a port."""
    if wanted is not None:
        return next((c for c in containers if c.name == wanted), None)
    if len(containers) == 1:
        return containers[0]
    with_port = [c for c in containers if c.has_port]
    return with_port[0] if len(with_port) == 1 else None
