"""The `deploytool-validate` hook of .pre-commit-hooks.yaml, read with pre-commit's own loader
and run the way pre-commit runs it: only when a staged file matches `files:`, the entry with
no file names (`pass_filenames: false`), in the repository's root, its exit code the verdict.
(`pre-commit try-repo` would build the hook's virtualenv from the package index, so it is
not run here: the suite stays offline.)"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pre_commit.clientlib import load_manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hook() -> dict:
    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    return hooks["deploytool-validate"]


def run_like_pre_commit(
    hook: dict, repo: Path, changed: list[str]
) -> subprocess.CompletedProcess | None:
    matched = [
        path
        for path in changed
        if re.search(hook["files"], path) and not re.search(hook["exclude"], path)
    ]
    if not matched:
        return None
    command = [*shlex.split(hook["entry"]), *hook["args"]]
    if hook["pass_filenames"]:
        command += matched
    bin_dir = Path(sys.executable).parent  # the hook's python environment has deploytool
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DEPLOYTOOL_CONFIG_DIR", None)
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)


def test_the_hook_is_what_the_contract_offers(hook):
    assert hook["entry"] == "deploytool validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    for path in ("configs/staging.yaml", "configs/production.yml", "configs/policy.yaml"):
        assert re.search(hook["files"], path)
    for path in ("README.md", "deploytool/cli.py", "other/configs/staging.yaml"):
        assert not re.search(hook["files"], path)


def test_valid_configs_pass_and_a_broken_manifest_fails(hook, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "configs", repo / "configs")
    done = run_like_pre_commit(hook, repo, ["configs/staging.yaml"])
    assert done is not None and done.returncode == 0, done and done.stderr

    manifest = repo / "configs" / "staging.yaml"
    manifest.write_text(manifest.read_text() + "unknown_key: 1\n")
    done = run_like_pre_commit(hook, repo, ["configs/staging.yaml"])
    assert done is not None and done.returncode == 2
    assert "configs/staging.yaml:" in done.stderr and "unknown_key" in done.stderr


def test_leakage_fails_the_commit(hook, tmp_path):
    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    (repo / "configs" / "production.yaml").write_text(
        "project: p\nregion: us-central1\nservices:\n  web:\n    env: {E2E_TESTING: '1'}\n"
    )
    done = run_like_pre_commit(hook, repo, ["configs/production.yaml"])
    assert done is not None and done.returncode == 4


def test_the_hook_does_not_run_for_other_files(hook, tmp_path):
    assert run_like_pre_commit(hook, tmp_path, ["README.md", "deploytool/cli.py"]) is None
