"""`deploytool schema manifest|policy` agrees with the loader: every example config and every
manifest or policy the test suite holds as a constant goes through both, and so does a set of
invalid ones. Whatever the loader accepts the schema accepts; whatever the schema accepts the
loader accepts, except for the checks a schema cannot make (listed in LOADER_ONLY)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

import tests
from deploytool.errors import ManifestError
from deploytool.manifest import load_manifest, load_policy
from deploytool.manifest.schema import json_schema

ROOT = Path(__file__).resolve().parents[2]

# Problems a JSON Schema cannot see in the parsed document: cross-block rules, what YAML
# parsing already erased (duplicates, tags, aliases, YAML 1.1 spellings), byte limits.
LOADER_ONLY = re.compile(
    "|".join(
        (
            r"set both in|set in e2e",
            r"is not a service of this manifest",
            r"e2e sets another value",
            r"and also matched by",
            r"duplicate key",
            r"alias",
            r"merge key",
            r"YAML tag|carries a YAML tag|tagged",
            r"is a date",
            r"bytes, over Cloud Run's limit",
            r"variables, over Cloud Run's limit",
            r"expected true or false",  # `yes` is a boolean to PyYAML, not to the loader
            r"not UTF-8|encoding|NUL|control character",
            r"outside",
            r"not compared by this version",  # jobs and worker pools: see loader.NOT_YET
        )
    )
)


def schema_accepts(which: str, document: Any) -> bool:
    validator = Draft202012Validator(json_schema(which))
    return validator.is_valid(document)


def loader_problems(tmp_path: Path, which: str, text: str) -> list[str]:
    configs = tmp_path / f"c{abs(hash(text))}"
    configs.mkdir()
    name = "policy.yaml" if which == "policy" else "staging.yaml"
    (configs / name).write_text(text, encoding="utf-8")
    try:
        if which == "policy":
            load_policy(configs)
        else:
            load_manifest(configs, "staging")
    except ManifestError as error:
        return [p.message for p in error.problems]
    return []


def classify(text: str) -> tuple[str, Any] | None:
    """("manifest" | "policy", parsed document) for YAML that is one of them."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(document, dict) or not document:
        return None
    keys = set(map(str, document))
    if "project" in keys or "services" in keys:
        return "manifest", document
    if keys <= {"e2e", "environments"} and (
        "environments" in keys
        or (isinstance(document.get("e2e"), dict)
        and set(document["e2e"]) & {"names", "patterns", "allowed_environments"})
    ):
        return "policy", document
    return None


def example_files() -> Iterator[tuple[str, str]]:
    for folder in ("configs", "examples", "docs/examples"):
        for path in sorted((ROOT / folder).glob("*.y*ml")):
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def constants_in_tests() -> Iterator[tuple[str, str]]:
    """YAML held by test modules: module-level strings, and strings in module-level lists."""
    for info in pkgutil.walk_packages(tests.__path__, "tests."):
        if info.name == __name__:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            texts = [value] if isinstance(value, str) else []
            if isinstance(value, list | tuple):
                texts = [
                    part
                    for item in value
                    for part in (item if isinstance(item, tuple) else (item,))
                    if isinstance(part, str)
                ]
            for number, text in enumerate(texts):
                if "\n" in text:
                    yield f"{info.name}.{name}[{number}]", textwrap.dedent(text).lstrip("\n")


def collected() -> list[tuple[str, str, str]]:
    found = {}
    for where, text in [*example_files(), *constants_in_tests()]:
        kind = classify(text)
        if kind is not None:
            found.setdefault(text, (where, kind[0]))
    return [(where, which, text) for text, (where, which) in found.items()]


COLLECTED = collected()


def test_the_collection_is_not_trivially_small():
    manifests = [c for c in COLLECTED if c[1] == "manifest"]
    policies = [c for c in COLLECTED if c[1] == "policy"]
    assert len(manifests) > 50 and len(policies) > 10
    assert any(where == "configs/production.yaml" for where, _, _ in COLLECTED)
    assert any(where == "configs/policy.yaml" for where, _, _ in COLLECTED)


@pytest.mark.parametrize(("where", "which", "text"), COLLECTED, ids=[c[0] for c in COLLECTED])
def test_schema_and_loader_agree(tmp_path, where, which, text):
    problems = loader_problems(tmp_path, which, text)
    accepted = schema_accepts(which, yaml.safe_load(text))
    if not problems:
        assert accepted, f"{where}: the loader accepts it, the schema does not"
    elif accepted:
        beyond = [p for p in problems if not LOADER_ONLY.search(p)]
        assert not beyond, f"{where}: the schema accepts it, the loader says {beyond}"


BASE = "project: p\nregion: us-central1\nservices:\n  api:\n"

INVALID_MANIFESTS = {
    "unknown-top-key": "project: p\nregion: us-central1\nservice: {}\n",
    "unknown-service-key": BASE + "    secret: {A: 'b:1'}\n",
    "value-bool": BASE + "    env: {E2E_TESTING: yes}\n",
    "value-int": BASE + "    env: {E2E_TESTING: 1}\n",
    "value-null": BASE + "    env: {E2E_TESTING: ~}\n",
    "value-list": BASE + "    env: {A: [x]}\n",
    "secret-no-version": BASE + "    secrets: {JWT: jwt-secret}\n",
    "secret-bad-version": BASE + "    secrets: {JWT: 'jwt-secret:v2'}\n",
    "secret-versions-path": BASE + "    secrets: {JWT: 'projects/p/secrets/s/versions/3'}\n",
    "reserved-name": BASE + "    env: {PORT: '8080'}\n",
    "google-prefix": BASE + "    env: {X_GOOGLE_A: '1'}\n",
    "name-with-equals": BASE + "    env: {'A=B': '1'}\n",
    "empty-name": BASE + "    env: {'': '1'}\n",
    "no-project": "region: us-central1\nservices:\n  api: {}\n",
    "no-services": "project: p\nregion: us-central1\n",
    "empty-services": "project: p\nregion: us-central1\nservices: {}\n",
    "services-list": "project: p\nregion: us-central1\nservices: [api]\n",
    "bad-service-name": "project: p\nregion: us-central1\nservices:\n  API_1: {}\n",
    "no-region": "project: p\nservices:\n  api: {}\n",
    "project-with-space": "project: my project\nregion: r\nservices:\n  api: {}\n",
    "project-number": "project: 123\nregion: r\nservices:\n  api: {}\n",
    "ignore-not-list": BASE + "    ignore: GIT_SHA\n",
    "ignore-twice": BASE + "    ignore: [A, A]\n",
    "e2e-unknown-key": BASE + "    env: {}\ne2e:\n  service: [api]\n",
    "e2e-value-bool": BASE + "    env: {}\ne2e:\n  env: {E2E_TESTING: true}\n",
    "verify-no-path": BASE + "    env: {}\nverify: {e2e_flag: a.b}\n",
    "verify-bad-path": BASE + "    env: {}\nverify: {path: health, e2e_flag: a.b}\n",
    "verify-bad-flag": BASE + "    env: {}\nverify: {path: /h, e2e_flag: 'a..b'}\n",
    "verify-expect-int": BASE + "    env: {}\nverify: {path: /h, e2e_flag: a, expect: {a: 1}}\n",
    "verify-empty-services": BASE + "    env: {}\nverify: {path: /h, e2e_flag: a, services: []}\n",
    "top-list": "- project: p\n",
    "empty-file": "",
}

INVALID_POLICIES = {
    "unknown-top-key": "e2e_names: [A]\n",
    "unknown-e2e-key": "e2e:\n  name: [A]\n",
    "names-not-list": "e2e:\n  names: A\n",
    "names-int": "e2e:\n  names: [A, 1]\n",
    "names-twice": "e2e:\n  names: [A, A]\n",
    "bad-environment": "e2e:\n  allowed_environments: [Staging]\n",
    "case-number": "e2e:\n  case_sensitive: 1\n",
    "case-string": "e2e:\n  case_sensitive: 'true'\n",
    "pin-empty": "environments:\n  prod: {}\n",
    "pin-empty-projects": "environments:\n  prod: {projects: []}\n",
    "pin-unknown-key": "environments:\n  prod: {project: [p]}\n",
    "bad-region": "environments:\n  prod: {projects: [p], regions: [US-EAST1]}\n",
    "bad-env-key": "environments:\n  Prod: {projects: [p]}\n",
    "top-list": "- e2e\n",
}


@pytest.mark.parametrize(
    ("which", "text"),
    [("manifest", t) for t in INVALID_MANIFESTS.values()]
    + [("policy", t) for t in INVALID_POLICIES.values()],
    ids=[f"manifest-{k}" for k in INVALID_MANIFESTS] + [f"policy-{k}" for k in INVALID_POLICIES],
)
def test_both_reject_invalid_files(tmp_path, which, text):
    assert loader_problems(tmp_path, which, text), "the loader accepts it"
    assert not schema_accepts(which, yaml.safe_load(text)), "the schema accepts it"


VALID_EDGE_CASES = {
    "secret-full-path": BASE + "    secrets: {A: 'projects/my-proj/secrets/s:latest'}\n",
    "domain-project-secret": BASE + "    secrets: {A: 'projects/example.com:p/secrets/s:3'}\n",
    "empty-value": BASE + "    env: {A: ''}\n",
    "region-per-service": "project: p\nservices:\n  api: {region: us-east1}\n",
    "e2e-services-empty": BASE + "    env: {}\ne2e:\n  env: {E2E_TESTING: '1'}\n  services: []\n",
    "verify-full": BASE
    + "    env: {}\nverify: {path: /health, e2e_flag: e2e.enabled, expect: {db.status: ok}, "
    "websocket: /ws, services: [api]}\n",
}


@pytest.mark.parametrize("text", VALID_EDGE_CASES.values(), ids=list(VALID_EDGE_CASES))
def test_both_accept_edge_cases(tmp_path, text):
    assert loader_problems(tmp_path, "manifest", text) == []
    assert schema_accepts("manifest", yaml.safe_load(text))


JOBS = {
    "jobs-only": "project: p\nregion: us-central1\njobs:\n  migrate: {env: {A: '1'}}\n",
    "worker-pools": BASE + "    env: {}\nworker_pools:\n  consumer: {env: {A: '1'}}\n",
    "e2e-jobs": BASE
    + "    env: {}\njobs:\n  m: {}\ne2e:\n  env: {E2E_TESTING: '1'}\n  jobs: [m]\n",
}


@pytest.mark.parametrize("text", JOBS.values(), ids=list(JOBS))
def test_jobs_and_worker_pools_are_accepted_by_both(tmp_path, text):
    assert schema_accepts("manifest", yaml.safe_load(text))
    assert loader_problems(tmp_path, "manifest", text) == []


def test_a_job_name_longer_than_a_service_name_is_accepted_by_both(tmp_path):
    # Cloud Run allows jobs 63 characters, services 49: the schema must not be stricter.
    text = f"project: p\nregion: us-central1\njobs:\n  {'j' * 60}: {{}}\n"
    assert loader_problems(tmp_path, "manifest", text) == []
    assert schema_accepts("manifest", yaml.safe_load(text))


def test_schema_is_a_valid_draft_2020_12_schema():
    for which in ("manifest", "policy"):
        schema = json_schema(which)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
