"""The E2E policy: which environments may carry test-bypass variables, and which projects each
environment may point at. Pure: manifests and live services in, violations out."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property

from deploytool.core.model import (
    KIND_WORDS,
    SERVICE,
    EnvVar,
    LiveContainer,
    Manifest,
    workload_label,
)
from deploytool.core.parity_settings import ParitySettings
from deploytool.core.reachable import ReachableRevision
from deploytool.core.redact import RedactionSettings

DEFAULT_E2E_NAMES = (
    "E2E_TESTING",
    "PYTEST_RUNNING",
    "STAGING_E2E_TEST",
    "E2E_OAUTH_SIMULATION_KEY",
    "E2E_TEST_ENV",
)
DEFAULT_E2E_PATTERNS = ("E2E_*", "*_E2E_*", "*_E2E")
DEFAULT_ALLOWED = ("staging",)

RULE_LEAKAGE = "e2e-leakage"
RULE_PROJECT_PIN = "project-pin"


@dataclass(frozen=True)
class Policy:
    """`configs/policy.yaml`, or its defaults when the file is absent."""

    e2e_names: tuple[str, ...] = DEFAULT_E2E_NAMES
    e2e_patterns: tuple[str, ...] = DEFAULT_E2E_PATTERNS
    allowed_environments: tuple[str, ...] = DEFAULT_ALLOWED
    pins: tuple[tuple[str, tuple[str, ...]], ...] = ()
    path: str | None = field(default=None, compare=False)
    case_sensitive: bool = False
    # environment -> regions the gate also reads in each of its projects (policy `regions:`)
    regions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # where things were written in policy.yaml ("e2e.names", "environments.prod", ...) -> line
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    redaction: RedactionSettings = field(default_factory=RedactionSettings)  # `redact:`
    parity: ParitySettings = field(default_factory=ParitySettings)  # policy `parity:`

    def is_protected(self, environment: str) -> bool:
        return environment not in self.allowed_environments

    def is_e2e_name(self, name: str) -> bool:
        """Whether `name` is an E2E/test variable. By default in any ASCII letter case: many
        settings loaders read `e2e_testing` as `E2E_TESTING`. Only ASCII letters are folded,
        so a non-ASCII look-alike (Cyrillic, fullwidth, dotless i) stays a warning from
        `lookalike`, never a silent match or a silent miss."""
        if self.case_sensitive:
            return name in self.e2e_names or any(fnmatchcase(name, p) for p in self.e2e_patterns)
        folded = ascii_upper(name)
        names, patterns = self._folded
        return folded in names or any(fnmatchcase(folded, p) for p in patterns)

    @cached_property
    def _folded(self) -> tuple[frozenset[str], tuple[str, ...]]:
        # Asked for every variable of every container of every service: fold once.
        return (
            frozenset(ascii_upper(n) for n in self.e2e_names),
            tuple(ascii_upper(p) for p in self.e2e_patterns),
        )

    def lookalike(self, name: str) -> str | None:
        """The E2E name this one imitates (Unicode confusables; other case too when matching
        is case-sensitive), if any."""
        if self.is_e2e_name(name):
            return None
        folded = unicodedata.normalize("NFKC", name).upper()
        folded = "".join(_CONFUSABLES.get(ch, ch) for ch in folded)
        return folded if self.is_e2e_name(folded) else None

    def pinned_projects(self, environment: str) -> tuple[str, ...] | None:
        return dict(self.pins).get(environment)

    def regions_of(self, environment: str) -> tuple[str, ...]:
        """The regions the gate also reads for `environment` (policy `regions:`)."""
        return dict(self.regions).get(environment, ())

    def line_of(self, key: str) -> int | None:
        return dict(self.lines).get(key)

    def environment_pinning(self, project: str) -> str | None:
        """The first environment (by name) whose pins include `project`, if any."""
        return next((env for env, projects in sorted(self.pins) if project in projects), None)


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_upper(text: str) -> str:
    """`text` with ASCII letters upper-cased and nothing else touched (str.upper would turn
    a dotless i or a long s into ASCII and hide a look-alike)."""
    return text.translate(_ASCII_UPPER)


# Characters that render like ASCII in a terminal; enough to catch a copy-pasted Cyrillic "E2E".
_CONFUSABLES = {
    "\u0415": "E",  # Cyrillic capital IE
    "\u0395": "E",  # Greek capital epsilon
    "\u0405": "S",  # Cyrillic DZE
    "\u0422": "T",  # Cyrillic TE
    "\u03a4": "T",  # Greek TAU
    "\u0410": "A",  # Cyrillic A
    "\u0391": "A",  # Greek ALPHA
    "\u041e": "O",  # Cyrillic O
    "\u039f": "O",  # Greek OMICRON
    "\u0420": "P",  # Cyrillic ER
    "\u03a1": "P",  # Greek RHO
    "\u041d": "H",  # Cyrillic EN
    "\u041a": "K",  # Cyrillic KA
    "\u039a": "K",  # Greek KAPPA
    "\u041c": "M",  # Cyrillic EM
    "\u0406": "I",  # Cyrillic I
    "\u0399": "I",  # Greek IOTA
    "\u0417": "3",
}


@dataclass(frozen=True)
class Violation:
    """A policy breach; any one of them makes the verdict exit 4."""

    rule: str
    environment: str
    message: str
    service: str | None = None
    variable: str | None = None
    source: str = "manifest"  # "manifest" or "live"
    revision: str | None = None
    tags: tuple[str, ...] = ()  # the traffic tags that make `revision` reachable
    kind: str = SERVICE  # the kind of the workload `service` names
    execution: str | None = None  # the job execution that ran with it


def manifest_violations(manifest: Manifest, policy: Policy) -> list[Violation]:
    """Leakage and project pins that can be seen without reading Cloud Run."""
    env_name = manifest.environment
    found: list[Violation] = []
    pinned = policy.pinned_projects(env_name)
    if pinned is not None and manifest.project not in pinned:
        where = _where(manifest.path, manifest.project_line)
        found.append(
            Violation(
                rule=RULE_PROJECT_PIN,
                environment=env_name,
                message=(
                    f"{where}: project {manifest.project!r} is not pinned to environment "
                    f"{env_name!r} (allowed: {', '.join(pinned)}); fix the project or "
                    f"the pin in policy.yaml"
                ),
            )
        )
    owner = policy.environment_pinning(manifest.project)
    if pinned is None and owner is not None and owner != env_name:
        # No pin of its own, but the project belongs to another environment: staging
        # pointed at production's project is exactly the mistake pins exist for.
        found.append(
            Violation(
                rule=RULE_PROJECT_PIN,
                environment=env_name,
                message=(
                    f"{_where(manifest.path, manifest.project_line)}: project "
                    f"{manifest.project!r} is pinned to environment {owner!r}, not "
                    f"{env_name!r}; fix the project, or pin it in policy.yaml"
                ),
            )
        )
    for service in manifest.workloads:
        if (
            pinned is not None
            and service.project != manifest.project
            and service.project not in pinned
        ):
            found.append(
                Violation(
                    rule=RULE_PROJECT_PIN,
                    environment=env_name,
                    service=service.name,
                    kind=service.kind,
                    message=(
                        f"{_where(manifest.path, service.line)}: "
                        f"{KIND_WORDS[service.kind]} {service.name} points "
                        f"at project {service.project!r}, not pinned to {env_name!r}"
                    ),
                )
            )
    if not policy.is_protected(env_name):
        return found
    if manifest.e2e is not None:
        found.append(
            Violation(
                rule=RULE_LEAKAGE,
                environment=env_name,
                message=(
                    f"{_where(manifest.path, manifest.e2e.line)}: an e2e: block in protected "
                    f"environment {env_name!r}; remove it (E2E variables are allowed only in "
                    f"{', '.join(policy.allowed_environments) or 'no environment'})"
                ),
            )
        )
    for service in manifest.workloads:
        for var in service.env:
            if policy.is_e2e_name(var.name):
                found.append(
                    Violation(
                        rule=RULE_LEAKAGE,
                        environment=env_name,
                        service=service.name,
                        kind=service.kind,
                        variable=var.name,
                        source="manifest",
                        message=(
                            f"{_where(manifest.path, var.line)}: {var.name} is an E2E/test "
                            f"variable in protected environment {env_name!r}; remove it"
                        ),
                    )
                )
    return dedupe(found)


def live_violations(
    environment: str,
    service: str,
    containers: Iterable[LiveContainer],
    policy: Policy,
    revision: str | None = None,
    *,
    reachable: ReachableRevision | None = None,
    kind: str = SERVICE,
) -> list[Violation]:
    """E2E variables found live on any container of a workload (or of a revision that serves
    traffic, carries a tag or has an instance split: `reachable` names it with its share,
    tags and URLs)."""
    if not policy.is_protected(environment):
        return []
    tags: tuple[str, ...] = ()
    label = workload_label(kind, service)
    if reachable is not None:
        revision, tags = reachable.revision, reachable.tag_names
        where = f"{reachable.label()} of {label}"
    else:
        where = f"revision {revision} of {label}" if revision else label
    found = []
    for container in containers:
        for var in container.env:
            if policy.is_e2e_name(var.name):
                found.append(
                    Violation(
                        rule=RULE_LEAKAGE,
                        environment=environment,
                        service=service,
                        variable=var.name,
                        source="live",
                        revision=revision,
                        tags=tags,
                        kind=kind,
                        message=(
                            f"{var.name} is set live on {where} in protected environment "
                            f"{environment!r}; {_remedy(service, reachable, kind)}"
                        ),
                    )
                )
    return dedupe(found)


def _remedy(service: str, reachable: ReachableRevision | None, kind: str = SERVICE) -> str:
    if reachable is None or not reachable.tags:
        return f"remove it from the {KIND_WORDS.get(kind, kind)} now"
    # An old revision's env cannot be edited; a tag keeps it reachable whatever its traffic
    # share, so dropping the tag (and its traffic) is what closes it.
    close = (
        f"close its URL now: gcloud run services update-traffic {service} "
        f"--remove-tags {','.join(reachable.tag_names)}"
    )
    return close + (", and move its traffic to a clean revision" if reachable.percent else "")


def e2e_lookalikes(env: Iterable[EnvVar], policy: Policy) -> list[tuple[str, str]]:
    """(name, imitated E2E name) for variables that look like E2E names but do not match."""
    return [(v.name, hit) for v in env if (hit := policy.lookalike(v.name)) is not None]


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else path


def dedupe(violations: list[Violation]) -> list[Violation]:
    seen: set[Violation] = set()
    return [v for v in violations if not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]
