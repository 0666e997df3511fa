"""ID tokens for calling Cloud Run services: the audience is the URL being called. From
Application Default Credentials (a service-account key, the metadata server, workload
identity) or, with --impersonate-service-account, an impersonated service account. User
credentials cannot mint ID tokens; through the emulator no token is sent at all."""

from __future__ import annotations

import threading
from typing import Any

from deploytool.errors import CredentialsError

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]

USER_CREDENTIALS = (
    "your Application Default Credentials are user credentials, which cannot mint the ID token "
    "Cloud Run wants: add --impersonate-service-account SA (with "
    "roles/iam.serviceAccountTokenCreator on it) or run as a service account "
    "(GOOGLE_APPLICATION_CREDENTIALS=key.json, or the metadata server on GCP)"
)
NO_CREDENTIALS_HINT = (
    "run as a service account (GOOGLE_APPLICATION_CREDENTIALS=key.json, or the metadata server "
    "on GCP), or log in with `gcloud auth application-default login` and add "
    "--impersonate-service-account SA"
)


class IdTokens:
    """One ID token per audience, minted on first use and shared by the run's threads.
    `anonymous` (the emulator): no token at all."""

    def __init__(self, *, anonymous: bool, impersonate: str | None = None) -> None:
        self.anonymous = anonymous
        self.impersonate = impersonate
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._source: Any = None

    def for_audience(self, audience: str) -> str | None:
        """The bearer token for `audience`; CredentialsError (exit 5) when none can be had."""
        if self.anonymous:
            return None
        with self._lock:
            token = self._tokens.get(audience)
            if token is None:
                token = self._mint(audience)
                self._tokens[audience] = token
            return token

    def _mint(self, audience: str) -> str:
        import google.auth.transport.requests
        from google.auth import exceptions as auth_exc

        request = google.auth.transport.requests.Request()
        try:
            source = self._adc()
            if self.impersonate:
                return _impersonated_token(source, self.impersonate, audience, request)
            return _adc_token(audience, request)
        except CredentialsError:
            raise
        except auth_exc.DefaultCredentialsError as exc:
            raise CredentialsError(
                f"no credentials can mint an ID token for {audience}: {_first_line(exc)}",
                NO_CREDENTIALS_HINT,
            ) from exc
        except auth_exc.GoogleAuthError as exc:
            who = f" as {self.impersonate}" if self.impersonate else ""
            raise CredentialsError(
                f"could not mint an ID token{who} for {audience}: {_first_line(exc)}",
                "check that you hold roles/iam.serviceAccountTokenCreator on the account"
                if self.impersonate
                else NO_CREDENTIALS_HINT,
            ) from exc

    def _adc(self) -> Any:
        """The ADC, looked up once; user credentials are refused unless impersonating."""
        if self._source is None:
            import google.auth
            import google.oauth2.credentials

            self._source, _project = google.auth.default(scopes=SCOPES)
            if (
                isinstance(self._source, google.oauth2.credentials.Credentials)
                and not self.impersonate
            ):
                raise CredentialsError(USER_CREDENTIALS)
        return self._source


def _adc_token(audience: str, request: Any) -> str:
    # fetch_id_token picks the service-account key of GOOGLE_APPLICATION_CREDENTIALS (or an
    # impersonated_service_account file), else the metadata server: what ADC would be.
    import google.oauth2.id_token

    return str(google.oauth2.id_token.fetch_id_token(request, audience))


def _impersonated_token(source: Any, account: str, audience: str, request: Any) -> str:
    from google.auth import impersonated_credentials

    target = impersonated_credentials.Credentials(
        source_credentials=source, target_principal=account, target_scopes=SCOPES, lifetime=3600
    )
    minted = impersonated_credentials.IDTokenCredentials(
        target, target_audience=audience, include_email=True
    )
    minted.refresh(request)
    return str(minted.token)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
