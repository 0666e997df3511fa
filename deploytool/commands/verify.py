"""`deploytool verify ENV`: ask each running service (its health JSON, its WebSocket) whether
it sees the configuration the manifest gives it.

`verify_services` is the core that `apply` can call after a rollout: the manifest, whether
the environment is protected, and (service, URL) pairs in; one result per service out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool.commands.diff import check_service_names
from deploytool.core.model import Manifest
from deploytool.core.verdict import Verdict
from deploytool.core.verify import (
    Observation,
    ServiceVerification,
    expectation_for,
    judge,
    unverifiable,
    verify_verdict,
)
from deploytool.core.verify_spec import VerifySpec
from deploytool.errors import LiveStateError, UsageError
from deploytool.manifest import read_all

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway
    from deploytool.cloudrun.urls import ServiceUrls
    from deploytool.probe.auth import IdTokens

DEFAULT_PARALLEL = 8


@dataclass(frozen=True)
class VerifyTarget:
    """A service to probe and the URL it answers at (the service's, or a tag's)."""

    service: str
    url: str


@dataclass(frozen=True)
class ProbeSettings:
    tokens: IdTokens
    timeout: float = 30.0  # per service: the health answer and the socket's opening
    hold: float | None = None  # None: probe.websocket.HOLD_SECONDS (2 s)
    parallel: int = DEFAULT_PARALLEL


@dataclass(frozen=True)
class VerifyResult:
    environment: str
    services: tuple[ServiceVerification, ...]
    verdict: Verdict
    tag: str | None = None
    warnings: tuple[str, ...] = field(default=())


def verify_services(
    manifest: Manifest,
    protected: bool,
    targets: Sequence[VerifyTarget],
    settings: ProbeSettings,
) -> list[ServiceVerification]:
    """Probe every target in parallel (bounded) and judge it; sorted by service. Never raises
    for an unreachable app; raises CredentialsError when no ID token can be minted."""
    spec = manifest.verify
    if spec is None:
        return []
    for target in targets:  # minted up front: a credentials problem is said once, not per service
        settings.tokens.for_audience(target.url)

    def one(target: VerifyTarget) -> ServiceVerification:
        seen = observe(spec, target.url, settings)
        return judge(
            target.service, spec, expectation_for(manifest, target.service, protected), seen
        )

    workers = max(1, min(settings.parallel, len(targets)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, targets))
    return sorted(results, key=lambda r: r.service)


def observe(spec: VerifySpec, url: str, settings: ProbeSettings) -> Observation:
    """GET the health path, then (if asked) hold the WebSocket; each within the timeout."""
    from deploytool.probe import websocket
    from deploytool.probe.http import get_json

    token = settings.tokens.for_audience(url)
    answer = get_json(url.rstrip("/") + spec.path, token, time.monotonic() + settings.timeout)
    socket = None
    if spec.websocket is not None and answer.error is None:
        hold = websocket.HOLD_SECONDS if settings.hold is None else settings.hold
        socket = websocket.hold_socket(
            websocket.socket_url(url, spec.websocket),
            token,
            time.monotonic() + settings.timeout,
            hold,
        )
    return Observation(
        url=url,
        http_status=answer.status,
        body=answer.body,
        error=answer.error,
        hint=answer.hint,
        socket=socket,
    )


def run(
    config_dir: Path,
    environment: str,
    services: Sequence[str],
    gateway: CloudRunGateway,
    *,
    tag: str | None = None,
    timeout: float = 30.0,
    impersonate: str | None = None,
) -> VerifyResult:
    from deploytool.probe.auth import IdTokens

    loaded = read_all(config_dir, [environment])
    manifest = loaded.manifests[0]
    names = _services_to_verify(manifest, services)
    located, unlocated = locate_targets(manifest, names, gateway, tag)
    tokens = IdTokens(anonymous=bool(gateway.settings.emulator_host), impersonate=impersonate)
    probed = verify_services(
        manifest,
        loaded.policy.is_protected(environment),
        located,
        ProbeSettings(tokens=tokens, timeout=timeout),
    )
    results = tuple(sorted([*probed, *unlocated], key=lambda r: r.service))
    return VerifyResult(
        environment=environment,
        services=results,
        verdict=verify_verdict(results),
        tag=tag,
        warnings=tuple(loaded.warnings),
    )


def _services_to_verify(manifest: Manifest, services: Sequence[str]) -> list[str]:
    spec = manifest.verify
    if spec is None:
        raise UsageError(
            f"{manifest.path}: no verify: block, so there is nothing to ask the app",
            "add verify: {path: /health, e2e_flag: e2e_testing.enabled} to the manifest "
            "(see the README's verify section)",
        )
    only = check_service_names(manifest, services)
    covered = [s.name for s in manifest.services if spec.covers(s.name)]
    if only is not None:
        outside = sorted(only - set(covered))
        if outside:
            raise UsageError(
                f"{manifest.path}: verify does not cover {', '.join(outside)}",
                f"verify.services lists: {', '.join(covered)}; add the service there",
            )
        covered = [name for name in covered if name in only]
    return sorted(covered)


def locate_targets(
    manifest: Manifest, names: Sequence[str], gateway: CloudRunGateway, tag: str | None
) -> tuple[list[VerifyTarget], list[ServiceVerification]]:
    """The URL of each service (or of its tag) from live Cloud Run; the ones without one are
    already results (exit 5)."""
    from deploytool.cloudrun.urls import list_service_urls

    gateway.connect()
    specs = [s for s in manifest.services if s.name in names]
    live: dict[tuple[str, str, str], ServiceUrls] = {}
    failed: dict[tuple[str, str], LiveStateError] = {}
    for project, region in sorted({(s.project, s.region) for s in specs}):
        try:
            for found in list_service_urls(gateway, project, region):
                live[(found.project, found.region, found.name)] = found
        except LiveStateError as exc:
            failed[(project, region)] = exc
    located: list[VerifyTarget] = []
    unlocated: list[ServiceVerification] = []
    for spec in specs:
        error = failed.get((spec.project, spec.region))
        urls = live.get((spec.project, spec.region, spec.name))
        if error is not None:
            unlocated.append(unverifiable(spec.name, "", error.message, error.hint))
        elif urls is None:
            unlocated.append(
                unverifiable(
                    spec.name,
                    "",
                    f"{spec.name} is not live in {spec.project}/{spec.region}",
                    f"deploy it, or run `deploytool diff {manifest.environment}`",
                )
            )
        elif tag is not None:
            uri = urls.tag_uri(tag)
            if uri:
                located.append(VerifyTarget(spec.name, uri))
            else:
                known = ", ".join(t for t, _ in urls.tags) or "none"
                unlocated.append(
                    unverifiable(
                        spec.name,
                        "",
                        f"{spec.name} has no traffic tag {tag!r}"
                        + (" with a URL" if urls.tag_uri(tag) is not None else "")
                        + f" (its tags: {known})",
                        "tag a revision with `gcloud run services update-traffic --set-tags`, "
                        "or drop --tag",
                    )
                )
        elif urls.uri:
            located.append(VerifyTarget(spec.name, urls.uri))
        else:
            unlocated.append(
                unverifiable(
                    spec.name,
                    "",
                    f"{spec.name} has no URL yet (Service.uri is empty)",
                    "wait for its first revision to become ready",
                )
            )
    return located, unlocated
