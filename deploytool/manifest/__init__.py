"""Manifests and the policy file → the typed core model, strictly.

Every problem of every file is collected and raised as one `ManifestError` (exit 2), each
pinned to file:line; a missing manifest or a bad environment name is a `UsageError` (exit 2).
Nothing else escapes: any other failure while reading a file also becomes a ManifestError.

Warnings (advice that does not fail validation, such as a plain value under a secret-looking
name, or a look-alike of an E2E name) come from `read_manifest` / `read_all` as
`"path:line: message"` strings, sorted; they never contain a variable's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from deploytool.core.model import Manifest
from deploytool.core.policy import Policy
from deploytool.errors import ManifestError, ManifestProblem, UsageError
from deploytool.manifest.declared import declare_secret_names
from deploytool.manifest.files import (
    check_config_dir,
    find_manifest,
    find_policy,
    list_environments,
    missing_manifests_error,
    outside_problem,
)
from deploytool.manifest.loader import build_manifest
from deploytool.manifest.nodes import Problems, report_duplicate_keys
from deploytool.manifest.policy_file import build_policy
from deploytool.manifest.yamlsafe import read_yaml
from deploytool.redaction import configure, remember

__all__ = [
    "LoadedConfig",
    "LoadedManifest",
    "list_environments",
    "load_all",
    "load_manifest",
    "load_policy",
    "read_all",
    "read_config",
    "read_manifest",
]


@dataclass(frozen=True)
class LoadedManifest:
    """A valid manifest and the warnings found loading it."""

    manifest: Manifest
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedConfig:
    """The policy and the manifests of several environments, and all their warnings."""

    policy: Policy
    manifests: tuple[Manifest, ...]
    warnings: tuple[str, ...] = ()
    # The config dir's other manifests (read_config): ownership is judged over all of them.
    others: tuple[Manifest, ...] = ()

    @property
    def environments(self) -> tuple[str, ...]:
        """Every environment with a manifest among those loaded."""
        return tuple(sorted(m.environment for m in (*self.manifests, *self.others)))


def load_manifest(config_dir: Path, environment: str) -> Manifest:
    """`<config_dir>/<environment>.yaml` as a Manifest; raises ManifestError or UsageError."""
    return read_manifest(config_dir, environment).manifest


def read_manifest(
    config_dir: Path, environment: str, policy: Policy | None = None
) -> LoadedManifest:
    """Like `load_manifest`, with warnings. `policy` decides which names are E2E look-alikes
    (the defaults when None)."""
    check_config_dir(config_dir)
    path = find_manifest(config_dir, environment)
    if path is None:
        raise missing_manifests_error(config_dir, [environment])
    manifest, warnings, problems = _read_manifest(config_dir, path, environment, policy or Policy())
    if manifest is None:
        raise ManifestError(problems)
    return LoadedManifest(manifest, tuple(warnings))


def load_policy(config_dir: Path) -> Policy:
    """`<config_dir>/policy.yaml`, or the defaults when it does not exist."""
    policy, problems = _read_policy(config_dir)
    if policy is None:
        raise ManifestError(problems)
    return policy


def load_all(
    config_dir: Path, environments: list[str] | None = None
) -> tuple[Policy, list[Manifest]]:
    """The policy and the manifests of `environments` (all when None or empty), with the
    problems of every file raised together as one ManifestError."""
    loaded = read_all(config_dir, environments)
    return loaded.policy, list(loaded.manifests)


def read_all(
    config_dir: Path, environments: list[str] | None = None, *, today: date | None = None
) -> LoadedConfig:
    """Like `load_all`, with warnings. `today` (UTC) bounds acknowledgement dates (the
    clock's when None)."""
    # Every command, whichever environments it names: a misnamed file is never skipped.
    check_config_dir(config_dir)
    if environments:
        names = list(dict.fromkeys(environments))
    else:
        names = list_environments(config_dir)
        if not names:
            raise UsageError(
                f"no manifests found in {config_dir}",
                hint=f"add {config_dir / 'ENVIRONMENT.yaml'} or pass --config-dir PATH",
            )
    paths = {name: find_manifest(config_dir, name) for name in names}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise missing_manifests_error(config_dir, missing)
    policy, problems = _read_policy(config_dir)
    configure((policy or Policy()).redaction)  # before any manifest value is looked at
    manifests: list[Manifest] = []
    warnings: list[str] = []
    for name, path in paths.items():
        assert path is not None
        manifest, found_warnings, found_problems = _read_manifest(
            config_dir, path, name, policy or Policy(), today
        )
        problems += found_problems
        warnings += found_warnings
        if manifest is not None:
            manifests.append(manifest)
    if problems or policy is None:
        raise ManifestError(problems)
    for manifest in manifests:
        # A plaintext secret wrongly put in a manifest is scrubbed like a live one.
        for spec in manifest.workloads:
            remember(spec.env)
    return LoadedConfig(policy, tuple(manifests), tuple(warnings))


def read_config(
    config_dir: Path, environments: list[str] | None = None, *, today: date | None = None
) -> LoadedConfig:
    """The manifests of `environments` (all when None or empty) and, as `others`, every other
    manifest of the config dir: which environment owns a workload or a project can only be
    judged over all of them. An invalid other manifest fails like a named one (exit 2,
    naming it): nothing in the config dir is skipped. Warnings are those of the named
    manifests."""
    wanted = list(dict.fromkeys(environments or ()))
    missing = [name for name in wanted if find_manifest(config_dir, name) is None]
    if missing:
        raise missing_manifests_error(config_dir, missing)
    everything = read_all(config_dir, today=today)
    by_name = {m.environment: m for m in everything.manifests}
    chosen = [by_name[name] for name in wanted] if wanted else list(everything.manifests)
    named = {m.environment for m in chosen}
    others = tuple(m for m in everything.manifests if m.environment not in named)
    foreign = tuple(m.path + end for m in others for end in (":", " "))
    return LoadedConfig(
        everything.policy,
        tuple(chosen),
        tuple(w for w in everything.warnings if not w.startswith(foreign)),
        others,
    )


def _read_manifest(
    config_dir: Path, path: Path, environment: str, policy: Policy, today: date | None = None
) -> tuple[Manifest | None, list[str], list[ManifestProblem]]:
    display = str(path)
    outside = outside_problem(config_dir, path)
    if outside is not None:
        return None, [], [outside]
    try:
        root, read_problems = read_yaml(path, display)
        problems = Problems(display)
        problems.items.extend(read_problems)
        if root is None:
            if not read_problems:
                problems.add(
                    1,
                    "the file is empty; a manifest is a mapping with project:, region: and "
                    "services:",
                )
            return None, [], problems.items
        declare_secret_names(root)
        report_duplicate_keys(root, problems)
        manifest, warnings = build_manifest(root, environment, problems, policy, today)
    except Exception as exc:  # the promise: a broken file is exit 2, never a traceback
        return None, [], [_unexpected(display, exc)]
    return (manifest if not problems.items else None), warnings, problems.items


def _read_policy(config_dir: Path) -> tuple[Policy | None, list[ManifestProblem]]:
    path = find_policy(config_dir)
    if path is None:
        return Policy(), []
    display = str(path)
    outside = outside_problem(config_dir, path)
    if outside is not None:
        return None, [outside]
    try:
        root, read_problems = read_yaml(path, display)
        problems = Problems(display)
        problems.items.extend(read_problems)
        if root is None and read_problems:
            return None, problems.items
        if root is not None:
            report_duplicate_keys(root, problems)
        policy = build_policy(root, display, problems)
    except Exception as exc:  # the promise: a broken file is exit 2, never a traceback
        return None, [_unexpected(display, exc)]
    return (policy if not problems.items else None), problems.items


def _unexpected(display: str, exc: Exception) -> ManifestProblem:
    # Only the type: an exception's text might quote a value from the file.
    return ManifestProblem(
        display,
        None,
        f"could not be read ({type(exc).__name__}); check the file, and report this as a bug "
        "in deploytool with --debug output",
    )
