"""Building the google-cloud-run clients: the emulator (plain HTTP, anonymous) or real Cloud
Run (Application Default Credentials, optionally impersonating a service account)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from deploytool.cloudrun.failures import translate
from deploytool.errors import CredentialsError

EMULATOR_ENV = "CLOUD_RUN_EMULATOR_HOST"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
DEFAULT_TIMEOUT = 30.0  # CONTRACT.md: --timeout defaults to 30 s


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach Cloud Run; built by the CLI from flags and environment."""

    emulator_host: str | None = None
    impersonate: str | None = None
    timeout: float = DEFAULT_TIMEOUT  # total deadline of one read, retries included

    @classmethod
    def from_env(
        cls, impersonate: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> ConnectionSettings:
        host = os.environ.get(EMULATOR_ENV, "").strip() or None
        return cls(emulator_host=host, impersonate=impersonate, timeout=timeout)

    @property
    def endpoint(self) -> str:
        if self.emulator_host:
            host = self.emulator_host
            return host if host.startswith(("http://", "https://")) else f"http://{host}"
        return "https://run.googleapis.com"

    @property
    def identity_hint(self) -> str:
        if self.emulator_host:
            return "anonymous (emulator)"
        return self.impersonate or "application-default credentials"


@dataclass
class Clients:
    services: Any  # run_v2.ServicesClient
    revisions: Any  # run_v2.RevisionsClient
    identity: str
    jobs: Any = None  # run_v2.JobsClient
    executions: Any = None  # run_v2.ExecutionsClient
    worker_pools: Any = None  # run_v2.WorkerPoolsClient


def build_clients(settings: ConnectionSettings) -> Clients:
    """The only place that imports google.cloud.run_v2's clients (costly: ~0.3 s)."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import run_v2

    if settings.emulator_host:
        from google.auth.credentials import AnonymousCredentials

        credentials: Any = AnonymousCredentials()
        options = ClientOptions(api_endpoint=settings.endpoint)
        identity = settings.identity_hint
    else:
        credentials, identity = _real_credentials(settings)
        options = ClientOptions()

    def client(cls: Any) -> Any:
        return cls(transport="rest", credentials=credentials, client_options=options)

    return Clients(
        services=client(run_v2.ServicesClient),
        revisions=client(run_v2.RevisionsClient),
        identity=identity,
        jobs=client(run_v2.JobsClient),
        executions=client(run_v2.ExecutionsClient),
        worker_pools=client(run_v2.WorkerPoolsClient),
    )


def _real_credentials(settings: ConnectionSettings) -> tuple[Any, str]:
    import google.auth
    from google.auth import impersonated_credentials

    try:
        credentials, _project = google.auth.default(scopes=SCOPES)
    except (OSError, ValueError) as exc:
        # google-auth opens GOOGLE_APPLICATION_CREDENTIALS itself: a directory, an unreadable
        # or a malformed file surfaces as these, not as DefaultCredentialsError.
        where = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
        named = f" ({where})" if where else ""
        raise CredentialsError(
            f"the Application Default Credentials file{named} could not be read: "
            f"{type(exc).__name__}",
            "point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file, or unset it "
            "and run `gcloud auth application-default login`",
        ) from exc
    except Exception as exc:  # DefaultCredentialsError and friends
        raise translate(exc, doing="find credentials") from exc
    identity = getattr(credentials, "service_account_email", None) or "application-default user"
    if settings.impersonate:
        credentials = impersonated_credentials.Credentials(
            source_credentials=credentials,
            target_principal=settings.impersonate,
            target_scopes=SCOPES,
            lifetime=3600,
        )
        identity = settings.impersonate
    return credentials, str(identity)


# Cloud Asset Inventory (asset.py) authenticates exactly as the Cloud Run clients do.
real_credentials = _real_credentials
