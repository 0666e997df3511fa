"""Cloud Asset Inventory, the discovery adapter (`audit --discover SCOPE`): one paginated
`searchAllResources` per scope (project, folder or organisation), over REST, authenticated like
the Cloud Run clients (ADC, `--impersonate-service-account`, or anonymous to the emulator named
by CLOUD_RUN_EMULATOR_HOST). Search results become core FoundWorkloads at this boundary.

What the results are taken to say (google-cloud-asset 4.5.0, ResourceSearchResult):
- `name` is the full resource name, `//run.googleapis.com/projects/P/locations/L/services/S`
  (`/jobs/J`, `/workerPools/W`). Google's asset naming table writes P as PROJECT_ID for Cloud
  Run; we take the project from the name, and when it is all digits (a project id never is:
  it must start with a letter) it is the project number, used as is: Cloud Run accepts a
  number in a parent, and ownership matches numbers too (policy pins by number).
- `project` is `projects/NUMBER` (documented): kept as the project's number.
- `location` is the region for regional resources; the name's `locations/L` segment is used
  first, `location` only when the name has none. A result that names no region cannot be
  read, so it is a failure of its scope (fail closed), not silently dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from deploytool.cloudrun.connect import ConnectionSettings, real_credentials
from deploytool.cloudrun.failures import translate
from deploytool.cloudrun.paging import read_pages
from deploytool.cloudrun.retrying import RetryListener, RetryWatch, read_retry
from deploytool.core.discovery import Discovery, DiscoveryScope, FoundWorkload, ScopeFailure
from deploytool.errors import LiveStateError

log = logging.getLogger("deploytool.asset")
T = TypeVar("T")

# Asset type -> the workload kind the core names it by.
ASSET_TYPES = {
    "run.googleapis.com/Service": "service",
    "run.googleapis.com/Job": "job",
    "run.googleapis.com/WorkerPool": "worker_pool",
}
PAGE_SIZE = 500  # the API caps a page at 500 results
ROLE_HINT = (
    "grant the caller roles/cloudasset.viewer on {scope} (discovery), beside roles/run.viewer "
    "on the projects it finds"
)

_NAME = re.compile(
    r"^//run\.googleapis\.com/projects/(?P<project>[^/]+)"
    r"(?:/locations/(?P<region>[^/]+))?/(?:services|jobs|workerPools)/(?P<name>[^/]+)$"
)


def found_workload(result: Any) -> FoundWorkload | str:
    """One search result as a FoundWorkload, or why it cannot be placed (a message)."""
    kind = ASSET_TYPES.get(result.asset_type)
    match = _NAME.match(result.name)
    if kind is None or match is None:
        return f"unexpected search result {result.name!r} of type {result.asset_type!r}"
    region = match.group("region") or result.location
    if not region or region == "global":
        return f"{result.name} names no region, so it cannot be read"
    number = result.project.removeprefix("projects/") if result.project else None
    return FoundWorkload(
        project=match.group("project"),
        region=region,
        kind=kind,
        name=match.group("name"),
        project_number=number or None,
    )


class AssetGateway:
    """One per run; safe to share across threads (the REST client uses a requests Session)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        client: Any = None,
        *,
        on_retry: RetryListener | None = None,
        page_size: int | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self._lock = threading.Lock()
        self._on_retry = on_retry
        self.page_size = page_size  # None: PAGE_SIZE

    @property
    def client(self) -> Any:
        with self._lock:  # built once, lazily: `--help` never imports google.cloud.asset
            if self._client is None:
                self._client = _build_client(self.settings)
            return self._client

    def search(self, scope: DiscoveryScope) -> tuple[list[FoundWorkload], list[str]]:
        """Every Cloud Run workload in `scope`, and the results that could not be placed.
        Raises LiveStateError when the search fails (its pages included)."""
        from google.cloud import asset_v1

        doing = f"search {scope} for Cloud Run workloads (Cloud Asset Inventory)"
        watch = RetryWatch(doing, self._on_retry)

        def page(token: str, left: float) -> Any:
            watch.new_request()
            request = asset_v1.SearchAllResourcesRequest(
                scope=str(scope),
                asset_types=sorted(ASSET_TYPES),
                page_size=self.page_size or PAGE_SIZE,
                page_token=token,
            )
            retry = read_retry(left, watch=watch, emulator=bool(self.settings.emulator_host))
            # A pager holding only this page: read_pages asks for the next ones itself.
            return self.client.search_all_resources(request=request, retry=retry, timeout=left)

        def run() -> tuple[list[FoundWorkload], list[str]]:
            found: list[FoundWorkload] = []
            problems: list[str] = []
            for results in read_pages(page, doing=doing, deadline=self.settings.timeout):
                for result in results.results:
                    placed = found_workload(result)
                    if isinstance(placed, str):
                        problems.append(placed)
                    else:
                        found.append(placed)
            return found, problems

        log.debug("search %s", scope)
        return self._call(doing, scope, run)

    def discover(self, scopes: Sequence[DiscoveryScope], *, parallel: int = 4) -> Discovery:
        """Search every scope, in parallel. Never raises for an API failure: a scope that
        could not be searched is a ScopeFailure, so the verdict fails closed."""
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(scopes) or 1))) as pool:
            outcomes = list(pool.map(self._search_one, scopes))
        workloads = sorted({w for found, _ in outcomes for w in found})
        failures = [f for _, fails in outcomes for f in fails]
        return Discovery(
            scopes=tuple(str(s) for s in scopes),
            workloads=tuple(workloads),
            failures=tuple(sorted(failures, key=lambda f: (f.scope, f.message))),
        )

    def _search_one(self, scope: DiscoveryScope) -> tuple[list[FoundWorkload], list[ScopeFailure]]:
        try:
            found, problems = self.search(scope)
        except LiveStateError as exc:
            message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            return [], [ScopeFailure(str(scope), message)]
        return found, [ScopeFailure(str(scope), p) for p in problems]

    def _call(self, doing: str, scope: DiscoveryScope, fn: Callable[[], T]) -> T:
        from google.api_core import exceptions as gexc

        try:
            return fn()
        except (gexc.PermissionDenied, gexc.Forbidden) as exc:
            raise LiveStateError(
                f"permission denied to {doing}: {exc.message or exc}",
                ROLE_HINT.format(scope=scope),
            ) from exc
        except Exception as exc:
            error = translate(
                exc,
                doing=doing,
                endpoint=self.settings.endpoint,
                emulator_host=self.settings.emulator_host,
            )
            raise error from exc


def _build_client(settings: ConnectionSettings) -> Any:
    """The only place that imports google.cloud.asset_v1's client."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import asset_v1

    if settings.emulator_host:
        from google.auth.credentials import AnonymousCredentials

        credentials: Any = AnonymousCredentials()
        # Asset calls go to the same emulator as Cloud Run's (CONTRACT.md, v2).
        options = ClientOptions(api_endpoint=settings.endpoint)
    else:
        credentials, _identity = real_credentials(settings)
        options = ClientOptions()
    return asset_v1.AssetServiceClient(
        transport="rest", credentials=credentials, client_options=options
    )
