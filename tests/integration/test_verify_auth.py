"""The ID token Cloud Run wants: minted for the URL being called (its audience), sent as the
bearer header on the health GET and the WebSocket. The credentials are the seam: google-auth's
ADC lookup and token minting are replaced; the HTTP and WebSocket traffic is real."""

from __future__ import annotations

import google.auth
import google.oauth2.credentials
import google.oauth2.id_token
import pytest
from google.auth import exceptions as auth_exc
from google.auth import impersonated_credentials

from deploytool.commands.verify import ProbeSettings, VerifyTarget, verify_services
from deploytool.core.verify import VerifyStatus
from deploytool.errors import CredentialsError
from deploytool.manifest import load_manifest
from deploytool.probe.auth import USER_CREDENTIALS, IdTokens
from tests.integration.app_server import FakeApp

MANIFEST = """
    project: p-staging
    region: us-central1
    e2e: {env: {E2E_TESTING: "1"}}
    verify: {path: /health, e2e_flag: e2e_testing.enabled, websocket: /ws}
    services:
      api: {}
"""


@pytest.fixture(autouse=True)
def short_hold(monkeypatch):
    monkeypatch.setattr("deploytool.probe.websocket.HOLD_SECONDS", 0.2)


@pytest.fixture
def app():
    running = FakeApp()
    running.answer_json({"e2e_testing": {"enabled": True}})
    yield running
    running.stop()


@pytest.fixture
def manifest(configs):
    return load_manifest(configs(staging=MANIFEST), "staging")


class ServiceAccount:
    """Stands in for the credentials ADC finds on a service account (not user credentials)."""

    service_account_email = "verifier@p-staging.iam.gserviceaccount.com"


def run_verify(manifest, url, tokens):
    return verify_services(manifest, False, [VerifyTarget("api", url)], ProbeSettings(tokens))


def test_adc_token_for_the_url_goes_in_both_authorization_headers(mocker, app, manifest):
    mocker.patch.object(google.auth, "default", return_value=(ServiceAccount(), "p-staging"))
    audiences: list[str] = []

    def fetch(request, audience):
        audiences.append(audience)
        return f"id-token-for-{audience}"

    mocker.patch.object(google.oauth2.id_token, "fetch_id_token", side_effect=fetch)
    (result,) = run_verify(manifest, app.url, IdTokens(anonymous=False))
    assert result.status is VerifyStatus.OK, result
    assert audiences == [app.url]  # one token per audience, minted once
    bearer = f"Bearer id-token-for-{app.url}"
    assert [h["authorization"] for h in app.headers_for("/health")] == [bearer]
    assert [h["authorization"] for h in app.headers_for("/ws")] == [bearer]


def test_impersonated_token_names_the_account_and_the_audience(mocker, app, manifest):
    user = google.oauth2.credentials.Credentials(token="user-access-token")
    mocker.patch.object(google.auth, "default", return_value=(user, None))

    def refresh(self, request):
        target = self._target_credentials
        self.token = f"{target.service_account_email}|{self._target_audience}"

    mocker.patch.object(impersonated_credentials.IDTokenCredentials, "refresh", refresh)
    tokens = IdTokens(anonymous=False, impersonate="verifier@p-staging.iam.gserviceaccount.com")
    (result,) = run_verify(manifest, app.url, tokens)
    assert result.status is VerifyStatus.OK, result
    (headers,) = app.headers_for("/health")
    assert headers["authorization"] == (
        f"Bearer verifier@p-staging.iam.gserviceaccount.com|{app.url}"
    )


def test_user_credentials_say_in_one_line_what_to_do(mocker, app, manifest):
    user = google.oauth2.credentials.Credentials(token="user-access-token")
    mocker.patch.object(google.auth, "default", return_value=(user, None))
    with pytest.raises(CredentialsError) as raised:
        run_verify(manifest, app.url, IdTokens(anonymous=False))
    assert raised.value.exit_code == 5
    assert raised.value.message == USER_CREDENTIALS
    assert "\n" not in USER_CREDENTIALS and "--impersonate-service-account" in USER_CREDENTIALS
    assert app.seen == []  # nothing was sent without a token


def test_no_credentials_at_all_is_exit_5_with_a_hint(mocker, app, manifest):
    mocker.patch.object(
        google.auth, "default", side_effect=auth_exc.DefaultCredentialsError("none found")
    )
    with pytest.raises(CredentialsError) as raised:
        run_verify(manifest, app.url, IdTokens(anonymous=False))
    assert "no credentials can mint an ID token" in raised.value.message
    assert raised.value.hint and "service account" in raised.value.hint


def test_refused_token_gets_the_cloud_run_auth_hint(mocker, app, manifest):
    mocker.patch.object(google.auth, "default", return_value=(ServiceAccount(), "p-staging"))
    mocker.patch.object(google.oauth2.id_token, "fetch_id_token", return_value="wrong-audience")
    app.answer_json({}, status=403)
    (result,) = run_verify(manifest, app.url, IdTokens(anonymous=False))
    assert result.status is VerifyStatus.ERROR
    assert result.http_status == 403
    assert result.hint and "roles/run.invoker" in result.hint
