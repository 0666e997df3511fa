"""The shape of a manifest and of the policy file, declared once: each mapping's keys, which
are required, and what kind of value each holds.

The loader takes its allowed keys from here (its unknown-key check), and `deploytool schema`
turns the same description into a JSON Schema, so an editor's schema and the loader cannot
drift apart. What a schema cannot say (a name in both env and secrets, an e2e target that is
not a service of the manifest, limits across blocks) stays in the loader alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Cloud Run's rule for service (and job, worker pool) names.
WORKLOAD_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$")
# Jobs and worker pools: the same characters, up to 63 (the loader's _NAME_RULES).
LONG_WORKLOAD_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Word:
    """A single-word setting (project, region, container): non-empty, no space, no /."""


@dataclass(frozen=True)
class Strings:
    """A list of distinct, non-blank strings; `item` names what each one is (for the schema:
    "region", "environment" or "" for any string)."""

    item: str = ""
    non_empty: bool = False


@dataclass(frozen=True)
class Variables:
    """`env:` (plain values, strings) or `secrets:` (Secret Manager references)."""

    secret: bool = False


@dataclass(frozen=True)
class Flag:
    """true or false (YAML 1.2 spellings only, unquoted)."""


@dataclass(frozen=True)
class UrlPath:
    """A path on the service's URL, starting with /."""


@dataclass(frozen=True)
class DottedPath:
    """Names joined by dots: a path into a JSON answer."""


@dataclass(frozen=True)
class Expectations:
    """A mapping of dotted path to the expected value (a string)."""


@dataclass(frozen=True)
class Digits:
    """A quoted string of digits (a project number)."""


@dataclass(frozen=True)
class NameMap:
    """A mapping of workload name to workload name (parity pairs)."""


@dataclass(frozen=True)
class IsoDate:
    """A quoted ISO date, YYYY-MM-DD (UTC)."""


@dataclass(frozen=True)
class Prose:
    """A non-blank string of words (a reason)."""


@dataclass(frozen=True)
class WorkloadRef:
    """The name of a workload of `kind` in this manifest."""

    kind: str


@dataclass(frozen=True)
class Choice:
    """One of a few fixed words."""

    options: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """A mapping with a fixed set of keys."""

    title: str
    keys: tuple[Key, ...]
    # Each inner tuple: at least one of these keys must be given.
    one_of: tuple[tuple[str, ...], ...] = ()
    # Exactly one of these keys must be given.
    exactly_one: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The allowed keys, in the order the loader's messages list them."""
        return tuple(key.name for key in self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys if key.required)


@dataclass(frozen=True)
class Named:
    """A mapping of workload name (or environment name) to a `Block` each."""

    entry: Block
    key: str = "workload"  # "workload", "long_workload" (jobs, worker pools) or "environment"
    non_empty: bool = True


@dataclass(frozen=True)
class Entries:
    """A list of `Block` mappings."""

    entry: Block


Value = (
    Word
    | IsoDate
    | Prose
    | WorkloadRef
    | Entries
    | Digits
    | Strings
    | Variables
    | Flag
    | UrlPath
    | DottedPath
    | Expectations
    | NameMap
    | Choice
    | Block
    | Named
)


@dataclass(frozen=True)
class Key:
    name: str
    value: Value
    description: str
    required: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False)


_IGNORE = Key("ignore", Strings(), "live-only variables left alone: names or globs")

WORKLOAD = Block(
    "workload",
    (
        Key("project", Word(), "the GCP project, when not the manifest's"),
        Key("region", Word(), "the region, when not the manifest's default"),
        Key(
            "container",
            Word(),
            "the managed container (default: the only one, or the one with a port)",
        ),
        Key("env", Variables(), 'plain variables: NAME: "value" (values are strings)'),
        Key("secrets", Variables(secret=True), 'Secret Manager references: NAME: "SECRET:VERSION"'),
        _IGNORE,
    ),
)

# The kinds of workload a manifest lists, by their top-level key.
WORKLOAD_KEYS = ("services", "jobs", "worker_pools")

E2E = Block(
    "e2e",
    (
        Key("env", Variables(), "the E2E/test variables (plain)"),
        Key("secrets", Variables(secret=True), "the E2E/test variables (Secret Manager)"),
        Key("services", Strings(), "the services that get the E2E set (default: every workload)"),
        Key("jobs", Strings(), "the jobs that get the E2E set"),
        Key("worker_pools", Strings(), "the worker pools that get the E2E set"),
    ),
)

VERIFY = Block(
    "verify",
    (
        Key("path", UrlPath(), "GET on the service's URL, e.g. /health", required=True),
        Key(
            "e2e_flag",
            DottedPath(),
            "dotted path of the app's E2E flag in its answer",
            required=True,
        ),
        Key("expect", Expectations(), "dotted path -> expected value (compared as strings)"),
        Key("websocket", UrlPath(), "a WebSocket path that must open and stay open"),
        Key("services", Strings(non_empty=True), "which services to verify (default: all)"),
    ),
)

ACKNOWLEDGE = Block(
    "acknowledgement",
    (
        Key("service", WorkloadRef("service"), "the service whose drift is known"),
        Key("job", WorkloadRef("job"), "the job whose drift is known"),
        Key("worker_pool", WorkloadRef("worker_pool"), "the worker pool whose drift is known"),
        Key("variable", Word(), "the variable whose drift is known", required=True),
        Key("reason", Prose(), "why it is accepted, e.g. a ticket", required=True),
        Key(
            "until",
            IsoDate(),
            "the last day (UTC) it is accepted, at most a year away: YYYY-MM-DD",
            required=True,
        ),
    ),
    exactly_one=("service", "job", "worker_pool"),
)

MANIFEST = Block(
    "manifest",
    (
        Key("project", Word(), "the GCP project id", required=True),
        Key("project_number", Digits(), "the project's number (exported files often use it)"),
        Key("region", Word(), "default region of the workloads below"),
        _IGNORE,
        Key("e2e", E2E, "the E2E/test set; only where the policy allows E2E variables"),
        Key("services", Named(WORKLOAD), "Cloud Run services: name -> settings"),
        Key("verify", VERIFY, "what the running app must report (deploytool verify)"),
        Key("jobs", Named(WORKLOAD, key="long_workload"), "Cloud Run jobs: name -> settings"),
        Key(
            "worker_pools",
            Named(WORKLOAD, key="long_workload"),
            "Cloud Run worker pools: name -> settings",
        ),
        Key(
            "acknowledge",
            Entries(ACKNOWLEDGE),
            "known drift, accepted until a date: [{service|job|worker_pool, variable, reason, "
            "until}]",
        ),
    ),
    one_of=(WORKLOAD_KEYS,),
)

POLICY_E2E = Block(
    "policy e2e",
    (
        Key("names", Strings(), "E2E/test variable names"),
        Key("patterns", Strings(), "globs of E2E/test variable names, such as E2E_*"),
        Key(
            "allowed_environments",
            Strings(item="environment"),
            "environments where E2E variables are allowed",
        ),
        Key("case_sensitive", Flag(), "match names and patterns in their letter case only"),
    ),
)

PIN = Block(
    "environment",
    (
        Key("projects", Strings(non_empty=True), "the GCP projects of this environment"),
        Key(
            "regions", Strings(item="region", non_empty=True), "regions also read by diff and audit"
        ),
    ),
    one_of=(("projects", "regions"),),
)

REDACT = Block(
    "policy redact",
    (
        Key(
            "names",
            Strings(item="word"),
            "more words that mark a variable's value as secret (added to the defaults)",
        ),
        Key(
            "plaintext_secrets",
            Choice(("warn", "error")),
            "error: a credential-looking plain value is a violation in a protected environment",
        ),
    ),
)

PARITY = Block(
    "policy parity",
    (
        Key("pairs", NameMap(), "service in the first environment -> service in the second"),
        Key("ignore", Strings(), "names or globs allowed to exist on one side only"),
    ),
)

POLICY = Block(
    "policy",
    (
        Key("e2e", POLICY_E2E, "which variables are E2E/test ones, and where they are allowed"),
        Key(
            "environments",
            Named(PIN, key="environment", non_empty=False),
            "environment -> its projects and regions",
        ),
        Key("redact", REDACT, "what else is masked, and how plaintext secrets are judged"),
        Key("parity", PARITY, "which services two environments pair, and what may differ"),
    ),
)
