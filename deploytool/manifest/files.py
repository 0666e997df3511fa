"""Where manifests live: `<config_dir>/<environment>.yaml` (or `.yml`), and `policy.yaml`.

Nothing in the config directory is skipped silently: a file whose extension is YAML in another
spelling (`production.YAML`) or whose stem is no environment name, and two spellings for one
environment, are problems (exit 2) for every command, not only for the environment asked for,
so that a misnamed production manifest can never drop out of an audit unnoticed. Hidden files
and files of other types (README.md) are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from deploytool.errors import ManifestError, ManifestProblem, UsageError

ENVIRONMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
POLICY_STEM = "policy"
SUFFIXES = (".yaml", ".yml")


def list_environments(config_dir: Path) -> list[str]:
    """The environments with a manifest in `config_dir`: file stems, sorted, without policy."""
    stems = {
        Path(name).stem
        for name in _names(config_dir)
        if Path(name).suffix in SUFFIXES and not name.startswith(".")
    }
    return sorted(stems - {POLICY_STEM})


def check_config_dir(config_dir: Path) -> None:
    """Raise a ManifestError (exit 2) for every file name in `config_dir` that would otherwise
    be skipped or be ambiguous; a UsageError when the directory cannot be listed."""
    problems = config_dir_problems(config_dir)
    if problems:
        raise ManifestError(problems)


def config_dir_problems(config_dir: Path) -> list[ManifestProblem]:
    names = sorted(name for name in _names(config_dir) if not name.startswith("."))
    present = set(names)
    problems = []
    for name in names:
        stem, suffix = Path(name).stem, Path(name).suffix
        if suffix.lower() not in SUFFIXES:
            continue
        what = "the policy" if stem == POLICY_STEM else f"the manifest of environment {stem!r}"
        if suffix not in SUFFIXES:
            fixed = stem + suffix.lower()
            # On a case-insensitive file system the fixed name "exists" as this very file.
            clash = fixed in present
            problems.append(
                ManifestProblem(
                    str(config_dir / name),
                    None,
                    f"{suffix!r} is not read as a YAML extension (only lowercase .yaml and .yml "
                    f"are), so {what} would be skipped; "
                    + (
                        f"{fixed} exists too: merge the two and delete {name}"
                        if clash
                        else f"rename it to {fixed}"
                    ),
                )
            )
        elif stem != POLICY_STEM and not ENVIRONMENT_NAME.match(stem):
            problems.append(
                ManifestProblem(
                    str(config_dir / name),
                    None,
                    f"{stem!r} is not a valid environment name (lowercase letters, digits, - "
                    "and _), so this file would be skipped; rename it, or move it out of the "
                    "config directory if it is no manifest",
                )
            )
        elif suffix == ".yml" and f"{stem}.yaml" in present:
            problems.append(
                ManifestProblem(
                    str(config_dir / name),
                    None,
                    f"both {config_dir / (stem + '.yaml')} and {config_dir / name} exist for "
                    f"{what}; keep only one of them",
                )
            )
    return problems


def _names(config_dir: Path) -> list[str]:
    if not config_dir.is_dir():
        raise UsageError(
            f"config directory {config_dir} not found",
            hint="pass --config-dir PATH or set DEPLOYTOOL_CONFIG_DIR",
        )
    try:
        return [entry.name for entry in config_dir.iterdir()]
    except OSError as exc:
        raise UsageError(
            f"cannot list config directory {config_dir}: {exc.strerror or exc}",
            hint="check its permissions or pass another --config-dir",
        ) from exc


def check_environment_name(environment: str) -> None:
    if not ENVIRONMENT_NAME.match(environment) or environment == POLICY_STEM:
        raise UsageError(
            f"{environment!r} is not a valid environment name",
            hint="environment names are file stems of lowercase letters, digits, - and _ "
            "(configs/<environment>.yaml), and not 'policy'",
        )


def find_manifest(config_dir: Path, environment: str) -> Path | None:
    """The manifest file of `environment`, or None when there is none."""
    check_environment_name(environment)
    existing = _existing(config_dir, environment)
    if len(existing) > 1:
        raise UsageError(
            f"both {existing[0]} and {existing[1]} exist for environment {environment!r}",
            hint="keep only one of them",
        )
    return existing[0] if existing else None


def missing_manifests_error(config_dir: Path, environments: list[str]) -> UsageError:
    available = _available(config_dir)
    paths = ", ".join(str(config_dir / f"{name}.yaml") for name in environments)
    names = ", ".join(repr(name) for name in environments)
    return UsageError(
        f"no manifest for environment {names}: {paths} not found; "
        f"available environments: {', '.join(available) or 'none'}",
        hint=f"create {config_dir / (environments[0] + '.yaml')} or pick an available environment",
    )


def find_policy(config_dir: Path) -> Path | None:
    existing = _existing(config_dir, POLICY_STEM)
    if len(existing) > 1:
        raise UsageError(f"both {existing[0]} and {existing[1]} exist", hint="keep only one")
    return existing[0] if existing else None


def outside_problem(config_dir: Path, path: Path) -> ManifestProblem | None:
    """A problem when `path` (a symlink, say) resolves outside `config_dir`."""
    try:
        target = path.resolve()
        inside = target.is_relative_to(config_dir.resolve())
    except (OSError, RuntimeError) as exc:
        return ManifestProblem(str(path), None, f"cannot resolve the path ({exc}); fix the link")
    if inside:
        return None
    return ManifestProblem(
        str(path),
        None,
        f"resolves to {target}, outside the config directory {config_dir}; copy the file into "
        "the config directory instead of linking it",
    )


def _available(config_dir: Path) -> list[str]:
    try:
        return list_environments(config_dir)
    except (UsageError, OSError):
        return []


def _existing(config_dir: Path, stem: str) -> list[Path]:
    """The files named `stem` with a YAML suffix; a dangling or looping link counts, so that
    reading it reports the problem instead of "not found"."""
    found = []
    for suffix in SUFFIXES:
        path = config_dir / f"{stem}{suffix}"
        try:
            if path.is_symlink() or path.exists():
                found.append(path)
        except OSError as exc:
            raise UsageError(f"cannot access {path}: {exc.strerror or exc}") from exc
    return found
