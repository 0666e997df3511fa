"""A GOOGLE_APPLICATION_CREDENTIALS that cannot be used is exit 5 with what to do, never a
traceback or exit 1 (google-auth opens the file itself and raises OSError or its own errors)."""

from __future__ import annotations

import pytest

PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: production}}
"""


@pytest.mark.parametrize("what", ["directory", "malformed", "missing"])
def test_an_unusable_credentials_file_is_exit_5_naming_it(
    cli, configs, tmp_path, monkeypatch, what
):
    cfg = configs(production=PRODUCTION)
    path = tmp_path / "key.json"
    if what == "directory":
        path.mkdir()
    elif what == "malformed":
        path.write_text('{"type": "service_account"}', encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    result = cli("diff", "production", "--config-dir", str(cfg))
    assert result.exit_code == 5, result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
