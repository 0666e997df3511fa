"""Every option value that is out of range or malformed is exit 2 with a message naming the
option, never exit 1 or a traceback (issue 8, bullet 11, the part that is not --region)."""

from __future__ import annotations

import pytest

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: staging}}
"""

# (arguments after the command's own, the words the message must hold)
BAD_VALUES = [
    (["diff", "staging", "--timeout", "0"], ["--timeout", "above 0"]),
    (["diff", "staging", "--timeout", "-5"], ["--timeout", "above 0"]),
    (["diff", "staging", "--timeout", "nan"], ["--timeout", "nan"]),
    (["diff", "staging", "--timeout", "inf"], ["--timeout", "inf"]),
    (["diff", "staging", "--timeout", "1e12"], ["--timeout", "at most 86400"]),
    (["diff", "staging", "--timeout", "soon"], ["--timeout"]),
    (["audit", "--timeout", "nan"], ["--timeout"]),
    (["apply", "staging", "--timeout", "0"], ["--timeout"]),
    (["apply", "staging", "--parallel", "0"], ["--parallel"]),
    (["apply", "staging", "--parallel", "many"], ["--parallel"]),
    (["audit", "--parallel", "0"], ["--parallel"]),
    (["apply", "staging", "--rollout-timeout", "0"], ["--rollout-timeout"]),
    (["apply", "staging", "--rollout-timeout", "nan"], ["--rollout-timeout"]),
    (["apply", "staging", "--rollout-timeout", "-1"], ["--rollout-timeout"]),
    (["audit", "--shard", "2/2"], ["bad shard", "I/N"]),
    (["audit", "--shard", "one"], ["bad shard"]),
    (["diff", "staging", "--output", "yaml"], ["--output", "yaml"]),
    (["audit", "-o", "xml"], ["--output"]),
    (["diff", "staging", "--config-dir", "{file}"], ["--config-dir", "not a directory"]),
    (["audit", "--config-dir", "{file}"], ["--config-dir", "not a directory"]),
    (["validate", "--config-dir", "{file}"], ["--config-dir", "not a directory"]),
    (["emulator", "--latency", "nan"], ["--latency"]),
    (["emulator", "--operation-delay", "-1"], ["--operation-delay"]),
    (["emulator", "--port", "70000"], ["--port"]),
    (["emulator", "--fault", "services.list:abc"], ["bad fault flag"]),
    (["emulator", "--repeat-page-token", "services.get"], ["bad fault flag", "list route"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_VALUES, ids=lambda v: " ".join(v)[:60])
def test_a_bad_option_value_is_exit_2_with_a_message(cli, configs, tmp_path, args, words):
    cfg = configs(staging=STAGING)
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("", encoding="utf-8")
    args = [a.replace("{file}", str(a_file)) for a in args]
    if "--config-dir" not in args and args[0] != "emulator":
        args += ["--config-dir", str(cfg)]
    # Nothing must be reached even if a value slipped through: a closed port refuses at once.
    result = cli(*args, env={"CLOUD_RUN_EMULATOR_HOST": "127.0.0.1:9", "COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


def test_the_config_dir_from_the_environment_is_checked_too(cli, tmp_path):
    a_file = tmp_path / "configs"
    a_file.write_text("", encoding="utf-8")
    result = cli("validate", env={"DEPLOYTOOL_CONFIG_DIR": str(a_file), "COLUMNS": "200"})
    assert result.exit_code == 2
    assert "not a directory" in result.output


@pytest.mark.parametrize("value", ["0.5", "30", "86400"])
def test_a_timeout_in_range_is_accepted(emulator, cli, configs, value):
    from tests.conftest import service_message

    emulator.state.put_service(
        service_message("p-staging", "us-central1", "api", {"ENVIRONMENT": "staging"})
    )
    cfg = configs(staging=STAGING)
    result = cli("diff", "staging", "--config-dir", str(cfg), "--timeout", value, emulator=emulator)
    assert result.exit_code == 0, result.output
