"""Fixtures shared by the whole suite: a clean environment, the emulator on 127.0.0.1, builders
of live services and manifests, and the CLI run in-process."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploytool import redaction


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Never let google-auth probe the GCE metadata server (not loopback) from a test.
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    for name in (
        "CLOUD_RUN_EMULATOR_HOST",
        "DEPLOYTOOL_CONFIG_DIR",
        "DEPLOYTOOL_DEBUG",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "CLOUD_RUN_TASK_INDEX",
        "CLOUD_RUN_TASK_COUNT",
        "CLOUD_RUN_EXECUTION",
        "DEPLOYTOOL_RUN_ID",
        "NO_COLOR",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ):
        monkeypatch.delenv(name, raising=False)
    redaction.forget_all()
    yield
    redaction.forget_all()


def service_message(
    project: str,
    region: str,
    name: str,
    env: Mapping[str, str | tuple[str, str]] | None = None,
    *,
    containers: Sequence[tuple[str, Mapping[str, Any], bool]] | None = None,
    **fields: Any,
) -> Any:
    """A run_v2.Service. `env` values: a plain string, or (secret, version) for a secret ref.
    `containers`: (name, env, has_port) for multi-container services."""
    from google.cloud import run_v2

    def env_list(values: Mapping[str, Any]) -> list[Any]:
        out = []
        for key, value in values.items():
            if isinstance(value, tuple):
                ref = run_v2.SecretKeySelector(secret=value[0], version=value[1])
                out.append(
                    run_v2.EnvVar(name=key, value_source=run_v2.EnvVarSource(secret_key_ref=ref))
                )
            else:
                out.append(run_v2.EnvVar(name=key, value=value))
        return out

    specs = containers or [("app", env or {}, True)]
    built = [
        run_v2.Container(
            name=cname,
            image=f"gcr.io/{project}/{cname}:1",
            env=env_list(cenv),
            ports=[run_v2.ContainerPort(container_port=8080)] if port else [],
        )
        for cname, cenv, port in specs
    ]
    return run_v2.Service(
        name=f"projects/{project}/locations/{region}/services/{name}",
        template=run_v2.RevisionTemplate(containers=built),
        **fields,
    )


@pytest.fixture
def emulator() -> Iterator[Any]:
    from deploytool.emulator import Emulator

    with Emulator() as running:
        yield running


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def configs(tmp_path: Path) -> Callable[..., Path]:
    """Write manifests into a fresh config dir: configs(staging="...yaml...", policy="...")."""
    root = tmp_path / "configs"
    root.mkdir()

    def write(**files: str) -> Path:
        for stem, text in files.items():
            (root / f"{stem}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return root

    return write


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run deploytool in-process; `emulator=` points it at a running emulator."""
    from typer.testing import CliRunner

    from deploytool.cli import app

    monkeypatch.chdir(tmp_path)

    def run(
        *args: str,
        emulator: Any = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CliResult:
        environ = dict(env or {})
        if emulator is not None:
            environ["CLOUD_RUN_EMULATOR_HOST"] = emulator.host_port
        result = CliRunner().invoke(
            app, list(args), input=input, env=environ, catch_exceptions=False
        )
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
