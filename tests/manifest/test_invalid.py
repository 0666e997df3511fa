"""Every invalid manifest of the contract: exit 2, the file, the exact line, the key and what
to do. Each case marks its expected line with `# <-`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.manifest.conftest import manifest_problems, marked_line, write


def service_env(*lines: str, block: str = "env") -> str:
    body = "".join(f"      {line}\n" for line in lines)
    return f"project: p\nregion: r\nservices:\n  api:\n    {block}:\n{body}"


CASES: list[tuple[str, str, list[str]]] = [
    # id, manifest (one line marked), fragments the message at that line must contain
    # -- values that are not YAML strings
    (
        "bool-yes",
        service_env("E2E_TESTING: yes  # <-"),
        ["E2E_TESTING:", "value yes is a boolean", "YAML 1.1", 'quote it: "yes"'],
    ),
    ("bool-true", service_env("FLAG: True  # <-"), ["FLAG:", "value True is a boolean", '"True"']),
    ("bool-off", service_env("FLAG: off  # <-"), ["FLAG:", "value off is a boolean", '"off"']),
    (
        "int",
        service_env("E2E_TESTING: 1  # <-"),
        ["E2E_TESTING:", "value 1 is a number", 'quote it: "1"'],
    ),
    ("octal", service_env("MODE: 0755  # <-"), ["MODE:", "value 0755 is a number", '"0755"']),
    ("float", service_env("RATIO: 1.5  # <-"), ["RATIO:", "value 1.5 is a number", '"1.5"']),
    (
        "tilde",
        service_env("E2E_TESTING: ~  # <-"),
        ["E2E_TESTING:", "value ~ is null", 'quote it: "~"', 'write ""'],
    ),
    ("null-word", service_env("X: null  # <-"), ["X:", "value null is null", '"null"']),
    ("no-value", service_env("EMPTY:  # <-"), ["EMPTY:", "has no value", 'write ""']),
    ("date", service_env("SINCE: 2024-01-31  # <-"), ["SINCE:", "is a date", '"2024-01-31"']),
    ("list", service_env("HOSTS: [a, b]  # <-"), ["HOSTS:", "is a list", "quoted string"]),
    ("mapping", service_env("NESTED: {a: b}  # <-"), ["NESTED:", "is a mapping"]),
    (
        "tagged",
        service_env("BLOB: !!binary aGk=  # <-"),
        ["BLOB:", "tagged !!binary", "remove the tag"],
    ),
    (
        "secret-ref-int",
        service_env("JWT_SECRET: 3  # <-", block="secrets"),
        ["JWT_SECRET:", "is a number", "quote it"],
    ),
    (
        "e2e-bool",
        "project: p\nregion: r\ne2e:\n  env: {E2E_TESTING: yes}  # <-\nservices: {a: {}}\n",
        ["E2E_TESTING:", "is a boolean", '"yes"'],
    ),
    (
        "project-int",
        "project: 123  # <-\nregion: r\nservices: {a: {}}\n",
        ["project:", "value 123 is a number", '"123"'],
    ),
    (
        "region-bool",
        "project: p\nregion: on  # <-\nservices: {a: {}}\n",
        ["region:", "is a boolean"],
    ),
    (
        "container-list",
        "project: p\nregion: r\nservices:\n  a: {container: [x]}  # <-\n",
        ["container:", "is a list"],
    ),
    ("key-int", service_env('1: "x"  # <-'), ["key 1 is a number", 'quote it: "1"']),
    ("key-bool", service_env('yes: "x"  # <-'), ["key yes is a boolean", '"yes"']),
    # -- duplicate keys, at any level
    (
        "dup-top",
        "project: p\nregion: r\nproject: q  # <-\nservices: {a: {}}\n",
        ["project: duplicate key", "rename or remove the duplicate (first at line 1)"],
    ),
    (
        "dup-service",
        "project: p\nregion: r\nservices:\n  a: {}\n  b: {}\n  a: {}  # <-\n",
        ["a: duplicate key", "(first at line 4)"],
    ),
    (
        "dup-env",
        service_env('A: "1"', 'B: "2"', 'A: "3"  # <-'),
        ["A: duplicate key", "(first at line 6)"],
    ),
    (
        "dup-service-key",
        "project: p\nregion: r\nservices:\n  a:\n    env: {}\n    env: {}  # <-\n",
        ["env: duplicate key", "(first at line 5)"],
    ),
    (
        "dup-e2e",
        "project: p\nregion: r\ne2e:\n  env: {}\n  env: {}  # <-\nservices: {a: {}}\n",
        ["env: duplicate key", "(first at line 4)"],
    ),
    (
        "dup-in-unknown",
        "project: p\nregion: r\nservices: {a: {}}\nextra:\n  x: 1\n  x: 2  # <-\n",
        ["x: duplicate key", "(first at line 5)"],
    ),
    # -- unknown keys, with a did-you-mean
    (
        "unknown-secret",
        service_env('A: "b:1"', block="secret").replace("    secret:", "    secret:  # <-"),
        ["secret: unknown key in service api", "did you mean secrets:?"],
    ),
    (
        "unknown-top",
        "project: p\nregion: r\nservice: {a: {}}  # <-\n",
        ["service: unknown key at the top level", "did you mean services:?"],
    ),
    (
        "unknown-e2e",
        "project: p\nregion: r\ne2e:\n  service: [a]  # <-\nservices: {a: {}}\n",
        ["service: unknown key in e2e", "did you mean services:?"],
    ),
    (
        "unknown-nothing-close",
        "project: p\nregion: r\nservices: {a: {}}\nzzz: 1  # <-\n",
        ["zzz: unknown key", "remove it"],
    ),
    (
        "variable-outside-env",
        'project: p\nregion: r\nservices:\n  api:\n    JWT_SECRET: "x"  # <-\n',
        ["JWT_SECRET: unknown key in service api", "variables go under env: or secrets:"],
    ),
    (
        "unknown-regoin",
        "project: p\nregion: r\nservices:\n  a: {regoin: x}  # <-\n",
        ["regoin: unknown key in service a", "did you mean region:?"],
    ),
    # -- variable names
    ("name-empty", service_env('"": "x"  # <-'), ["variable name is empty", "write a name"]),
    ("name-equals", service_env('"A=B": "x"  # <-'), ["A=B:", "cannot contain '='", "rename"]),
    (
        "name-x-google",
        service_env('X_GOOGLE_THING: "x"  # <-'),
        ["X_GOOGLE_THING:", "X_GOOGLE_ are reserved", "rename"],
    ),
    ("name-port", service_env('PORT: "8080"  # <-'), ["PORT:", "reserved by Cloud Run", "remove"]),
    ("name-k-service", service_env('K_SERVICE: "x"  # <-'), ["K_SERVICE:", "reserved"]),
    ("name-k-revision", service_env('K_REVISION: "x"  # <-'), ["K_REVISION:", "reserved"]),
    (
        "name-k-configuration",
        service_env('K_CONFIGURATION: "x"  # <-'),
        ["K_CONFIGURATION:", "reserved"],
    ),
    (
        "name-reserved-secret",
        service_env('PORT: "s:1"  # <-', block="secrets"),
        ["PORT:", "reserved"],
    ),
    (
        "name-reserved-e2e",
        'project: p\nregion: r\ne2e:\n  env: {K_REVISION: "x"}  # <-\nservices: {a: {}}\n',
        ["K_REVISION:", "reserved"],
    ),
    ("name-control-char", service_env('"A\\tB": "x"  # <-'), ["control character", "rename"]),
    # -- env and secrets
    (
        "env-and-secrets",
        'project: p\nregion: r\nservices:\n  api:\n    env: {DB_URL: "x"}\n'
        '    secrets: {DB_URL: "db-url:1"}  # <-\n',
        ["DB_URL:", "set both in env (line 5) and in secrets", "keep only one"],
    ),
    (
        "e2e-env-vs-service-secret",
        'project: p\nregion: r\ne2e:\n  env: {E2E_TESTING: "1"}  # <-\nservices:\n'
        '  api:\n    secrets: {E2E_TESTING: "e2e:1"}\n',
        ["E2E_TESTING:", "e2e env and in secrets of service api (line 7)", "keep only one"],
    ),
    (
        "e2e-secret-vs-service-env",
        'project: p\nregion: r\ne2e:\n  secrets: {E2E_KEY: "k:1"}  # <-\nservices:\n'
        '  api:\n    env: {E2E_KEY: "plain"}\n',
        ["E2E_KEY:", "e2e secrets and in env of service api", "keep only one"],
    ),
    (
        "e2e-env-and-secrets",
        'project: p\nregion: r\ne2e:\n  env: {E2E_X: "1"}\n  secrets: {E2E_X: "k:1"}  # <-\n'
        "services: {a: {}}\n",
        ["E2E_X:", "set both in e2e env (line 4) and in e2e secrets"],
    ),
    (
        "e2e-conflicting-value",
        'project: p\nregion: r\ne2e:\n  env: {E2E_TESTING: "1"}  # <-\nservices:\n'
        '  api:\n    env: {E2E_TESTING: "0"}\n',
        ["E2E_TESTING:", "another value than service api does (line 7)", "remove one"],
    ),
    (
        "e2e-unknown-service",
        "project: p\nregion: r\ne2e:\n  services:\n    - api\n    - wrker  # <-\n"
        "services: {api: {}}\n",
        ["wrker is not a service of this manifest", "use one of: api"],
    ),
    (
        "e2e-services-not-list",
        "project: p\nregion: r\ne2e:\n  services: api  # <-\nservices: {api: {}}\n",
        ["e2e services: expected a list of service names, found a string"],
    ),
    (
        "e2e-services-twice",
        "project: p\nregion: r\ne2e:\n  services: [api, api]  # <-\nservices: {api: {}}\n",
        ["api is listed twice"],
    ),
    # -- Cloud Run limits and secret references
    (
        "value-too-long",
        service_env('BIG: "' + "€" * 10923 + '"  # <-'),
        ["BIG:", "32769 bytes", "limit of 32768", "shorten"],
    ),
    (
        "ref-without-version",
        service_env('JWT_SECRET: "jwt-secret"  # <-', block="secrets"),
        ["JWT_SECRET:", "has no version", "SECRET:VERSION", "jwt-secret:latest"],
    ),
    (
        "ref-empty-version",
        service_env('JWT_SECRET: "jwt-secret:"  # <-', block="secrets"),
        ["JWT_SECRET:", "empty version", "SECRET:VERSION"],
    ),
    (
        "ref-bad-version",
        service_env('JWT_SECRET: "jwt-secret:v2"  # <-', block="secrets"),
        ["JWT_SECRET:", "number or latest"],
    ),
    (
        "ref-versions-path",
        service_env('JWT_SECRET: "projects/p/secrets/jwt/versions/3"  # <-', block="secrets"),
        ["JWT_SECRET:", "projects/PROJECT/secrets/NAME:V"],
    ),
    (
        "ref-bad-name",
        service_env('JWT_SECRET: "jwt secret:1"  # <-', block="secrets"),
        ["JWT_SECRET:", "does not name a secret"],
    ),
    (
        "ref-bad-path",
        service_env('JWT_SECRET: "projects//secrets/x:1"  # <-', block="secrets"),
        ["JWT_SECRET:", "does not name a secret"],
    ),
    # -- shape of the file
    ("top-list", "- project: p  # <-\n", ["top level: expected a mapping", "found a list"]),
    ("top-scalar", "just text  # <-\n", ["top level: expected a mapping", "found a string"]),
    ("empty-file", "# only a comment  # <-\n", ["the file is empty", "project:"]),
    ("no-project", "region: r  # <-\nservices: {a: {}}\n", ["project: missing", "add project:"]),
    ("empty-project", 'project: ""  # <-\nregion: r\nservices: {a: {}}\n', ["project: is empty"]),
    (
        "spaced-project",
        'project: "my project"  # <-\nregion: r\nservices: {a: {}}\n',
        ["project:", "not a valid project"],
    ),
    (
        "no-region",
        "project: p\nservices:\n  a: {region: r}\n  b: {}  # <-\n",
        ["b: no region", "add region:"],
    ),
    ("no-services", "project: p  # <-\nregion: r\n", ["services: missing", "at least one"]),
    (
        "empty-services",
        "project: p\nregion: r\nservices: {}  # <-\n",
        ["services: is empty", "at least one"],
    ),
    (
        "services-list",
        "project: p\nregion: r\nservices:\n  - api  # <-\n",
        ["services: expected a mapping", "found a list"],
    ),
    (
        "service-null",
        "project: p\nregion: r\nservices:\n  api:  # <-\n",
        ["api: expected a mapping", "found nothing", "fill it in or remove the key"],
    ),
    (
        "service-bad-name",
        "project: p\nregion: r\nservices:\n  Api_Server: {}  # <-\n",
        ["Api_Server: not a Cloud Run service name", "fix the name"],
    ),
    (
        "env-not-mapping",
        "project: p\nregion: r\nservices:\n  api:\n    env: [A=1]  # <-\n",
        ["env: expected a mapping", "found a list"],
    ),
    (
        "ignore-not-list",
        'project: p\nregion: r\nignore: "GIT_*"  # <-\nservices: {a: {}}\n',
        ["ignore: expected a list", "found a string"],
    ),
    (
        "ignore-entry-int",
        "project: p\nregion: r\nservices:\n  a:\n    ignore: [A, 1]  # <-\n",
        ["ignore entry: value 1 is a number"],
    ),
    (
        "ignore-entry-empty",
        'project: p\nregion: r\nignore: [""]  # <-\nservices: {a: {}}\n',
        ["ignore: empty entry"],
    ),
    (
        "e2e-null",
        "project: p\nregion: r\ne2e:  # <-\nservices: {a: {}}\n",
        ["e2e: expected a mapping", "found nothing"],
    ),
    # -- YAML features a manifest may not use, and syntax errors
    (
        "alias",
        "project: &p p\nregion: r\nservices:\n  a: {env: {P: *p}}  # <-\n",
        ["aliases (*name) are not allowed", "write the value out"],
    ),
    (
        "merge-key",
        "project: p\nregion: r\nservices:\n  a:\n    <<: {env: {}}  # <-\n",
        ["merge keys (<<) are not allowed"],
    ),
    (
        "syntax",
        'project: p\nregion: r\nservices:\n  a: {env: {A: "1"}\n  b: {}  # <-\n',
        ["YAML syntax error", "fix the syntax"],
    ),
    (
        "bad-indent",
        "project: p\n  region: r  # <-\nservices: {a: {}}\n",
        ["YAML syntax error", "mapping values are not allowed here"],
    ),
    (
        "two-documents",
        "project: p\n---  # <-\nproject: q\n",
        ["YAML syntax error", "single document", "remove the second ---"],
    ),
    ("tab-indent", "project: p\nservices:\n\tapi: {}  # <-\n", ["YAML syntax error", "spaces"]),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest_names_file_line_key_and_fix(
    configs: Path, text: str, fragments: list[str]
) -> None:
    write(configs, "staging.yaml", text)
    line = marked_line(text)

    problems = manifest_problems(configs, "staging")

    at_line = [p for p in problems if p.line == line]
    assert all(p.path == "configs/staging.yaml" for p in problems)
    assert any(all(f in p.message for f in fragments) for p in at_line), (
        f"expected {fragments} at line {line}, got:\n" + "\n".join(map(str, problems))
    )


def test_more_than_1000_variables_in_a_container(configs: Path) -> None:
    plain = "".join(f'      V{i}: "x"\n' for i in range(990))
    text = (
        'project: p\nregion: r\ne2e:\n  env: {E2E_A: "1", E2E_B: "1"}\n'
        f"services:\n  api:\n    env:\n{plain}"
        "    secrets:\n" + "".join(f'      S{i}: "s:1"\n' for i in range(9))
    )
    (configs / "staging.yaml").write_text(text, encoding="utf-8")

    problems = manifest_problems(configs, "staging")

    assert [(p.line, p.message) for p in problems] == [
        (6, "api: 1001 variables, over Cloud Run's limit of 1000 per container; remove some")
    ]


def test_every_problem_of_a_file_is_reported_at_once(configs: Path) -> None:
    write(
        configs,
        "staging.yaml",
        """
        project: p
        region: r
        services:
          api:
            env:
              E2E_TESTING: yes
              PORT: "8080"
            secret: {A: "a:1"}
            secrets: {B: "b"}
          api: {}
        """,
    )

    problems = manifest_problems(configs, "staging")

    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (6, "E2E_TESTING"),
        (7, "PORT"),
        (8, "secret"),
        (9, "B"),
        (10, "api"),
    ]
    assert str(problems[0]).startswith("configs/staging.yaml:6: E2E_TESTING: value yes")


def test_error_message_quotes_the_source_text_not_python(configs: Path) -> None:
    write(configs, "staging.yaml", service_env("E2E_TESTING: yes"))

    (problem,) = manifest_problems(configs, "staging")

    assert str(problem) == (
        "configs/staging.yaml:6: E2E_TESTING: value yes is a boolean, not a string (YAML 1.1 "
        'parses yes/no/on/off/true/false as booleans); quote it: "yes"'
    )
    assert "True" not in str(problem)
