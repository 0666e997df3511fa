"""Where each live service answers: `Service.uri`, and the `uri` of each tagged traffic
target (`traffic_statuses[].tag/uri`; a tag is reachable at its own URL even at 0 %).
Read with one paginated list per (project, region), for `deploytool verify`."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import run_v2

from deploytool.cloudrun.convert import split_name
from deploytool.cloudrun.failures import translate
from deploytool.cloudrun.gateway import PAGE_SIZE, CloudRunGateway, read_retry
from deploytool.errors import LiveStateError

MAX_PAGES = 1000  # a server repeating page tokens must not hang the read


@dataclass(frozen=True)
class ServiceUrls:
    name: str
    project: str
    region: str
    uri: str
    tags: tuple[tuple[str, str], ...] = ()  # (tag, uri), sorted by tag

    def tag_uri(self, tag: str) -> str | None:
        return dict(self.tags).get(tag)


def list_service_urls(gateway: CloudRunGateway, project: str, region: str) -> list[ServiceUrls]:
    """Every service of one (project, region) with its URLs; LiveStateError (exit 5) if the
    list cannot be read."""
    parent = f"projects/{project}/locations/{region}"
    doing = f"list services in {project}/{region}"
    try:
        pager = gateway.clients.services.list_services(
            request=run_v2.ListServicesRequest(parent=parent, page_size=PAGE_SIZE),
            retry=read_retry(gateway.settings.timeout),
            timeout=min(gateway.settings.timeout, 30.0),
        )
        found: list[ServiceUrls] = []
        tokens: set[str] = set()
        for page in pager.pages:
            found.extend(_urls(service) for service in page.services)
            token = page.next_page_token
            if token and (token in tokens or len(tokens) >= MAX_PAGES):
                raise LiveStateError(
                    f"Cloud Run repeated a page token while trying to {doing}", "try again later"
                )
            tokens.add(token)
    except Exception as exc:
        raise translate(exc, doing=doing, endpoint=gateway.settings.endpoint) from exc
    return found


def _urls(service: run_v2.Service) -> ServiceUrls:
    project, region, name = split_name(service.name)
    tags = sorted({(status.tag, status.uri) for status in service.traffic_statuses if status.tag})
    return ServiceUrls(name, project, region, service.uri, tuple(tags))
