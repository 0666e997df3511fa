"""FaultPlan: the one hook consulted at the start of every request, so tests and soak runs can
make the emulator misbehave the ways Cloud Run does (denied projects, 429/500/503 at a rate,
dropped connections, an etag race, a list whose page token comes back forever) and reproduce
it from a seed."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

# Route names the HTTP layer hands to decide(); "*" in a rule matches every route.
ROUTES = (
    "services.list",
    "services.get",
    "services.update",
    "revisions.list",
    "revisions.get",
    "operations.get",
    "jobs.list",
    "jobs.get",
    "jobs.update",
    "executions.list",
    "workerPools.list",
    "workerPools.get",
    "workerPools.update",
    "workerPools.revisions.get",
    "assets.search",
    "operations.list",
    "operations.wait",
)

# The IAM permission Cloud Run names when it refuses a route.
PERMISSIONS = {
    "services.list": "run.services.list",
    "services.get": "run.services.get",
    "services.update": "run.services.update",
    "revisions.list": "run.revisions.list",
    "revisions.get": "run.revisions.get",
    "operations.get": "run.operations.get",
    "jobs.list": "run.jobs.list",
    "jobs.get": "run.jobs.get",
    "jobs.update": "run.jobs.update",
    "executions.list": "run.executions.list",
    "workerPools.list": "run.workerPools.list",
    "workerPools.get": "run.workerPools.get",
    "workerPools.update": "run.workerPools.update",
    "workerPools.revisions.get": "run.revisions.get",
    "assets.search": "cloudasset.assets.searchAllResources",
    "operations.list": "run.operations.list",
    "operations.wait": "run.operations.get",
}

# The routes that answer pages (and so can repeat a page token).
LIST_ROUTES = (
    "services.list",
    "revisions.list",
    "jobs.list",
    "executions.list",
    "workerPools.list",
    "assets.search",
)
UPDATE_ROUTES = ("services.update", "jobs.update", "workerPools.update")

_ERROR_MESSAGES = {
    429: "Quota exceeded for quota metric 'Read requests' (injected by the emulator).",
    500: "Internal error encountered (injected by the emulator).",
    503: "The service is currently unavailable (injected by the emulator).",
}


@dataclass(frozen=True)
class ErrorRule:
    """Answer `status` on `route` for a fraction `rate` of requests."""

    route: str
    status: int
    rate: float


@dataclass(frozen=True)
class FaultDecision:
    """What to do instead of serving a request normally.

    - error: answer HTTP `status` with `message`;
    - drop: close the connection without answering;
    - etag_race: change the service out of band first, so the caller's etag is stale;
    - repeat_page_token: serve the page, but name as the next page the one just asked for
      (the first page names itself), so a client that follows tokens never reaches the end.
    """

    kind: Literal["error", "drop", "etag_race", "repeat_page_token"]
    status: int = 0
    message: str = ""
    details: tuple[Mapping[str, object], ...] = ()


class FaultPlan:
    """Seeded fault injection. One `random.Random(seed)` drives every rate, so a run with the
    same seed and the same request order fails the same requests."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._deny: list[str] = []
        self._errors: list[ErrorRule] = []
        self._drops: list[tuple[str, float]] = []
        self._etag_races: dict[str, int] = {}
        self._repeat_tokens: set[str] = set()

    def reseed(self, seed: int) -> FaultPlan:
        """Restart the random sequence (the rules stay): same seed, same faulted requests."""
        with self._lock:
            self._rng = random.Random(seed)
        return self

    def deny(self, prefix: str) -> FaultPlan:
        """Answer 403 PERMISSION_DENIED to every request on a resource under `prefix`
        (e.g. `projects/secret-proj`)."""
        with self._lock:
            self._deny.append(prefix.strip("/"))
        return self

    def inject_error(self, route: str, status: int, rate: float = 1.0) -> FaultPlan:
        """Answer HTTP `status` (429, 500, 503, ...) on `route` (or "*") at `rate` in [0, 1]."""
        _check_route(route)
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error code, got {status}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate}")
        with self._lock:
            self._errors.append(ErrorRule(route, status, rate))
        return self

    def drop_connections(self, route: str, rate: float = 1.0) -> FaultPlan:
        """Close the connection without an answer on `route` at `rate`."""
        _check_route(route)
        with self._lock:
            self._drops.append((route, rate))
        return self

    def race_etag(self, service: str, times: int = 1) -> FaultPlan:
        """Before each of the next `times` updates of `service` (a service, job or worker
        pool resource name), change it out of band (as a concurrent deploy would) so the
        update's etag is stale and it gets 409 ABORTED."""
        with self._lock:
            self._etag_races[service] = self._etag_races.get(service, 0) + times
        return self

    def repeat_page_token(self, route: str) -> FaultPlan:
        """Every answer on the list `route` (or "*": every list) names a next page token
        that was already served: a pager that follows tokens loops forever."""
        if route != "*" and route not in LIST_ROUTES:
            raise ValueError(f"repeat-page-token needs a list route ({', '.join(LIST_ROUTES)})")
        with self._lock:
            self._repeat_tokens.add(route)
        return self

    def clear(self) -> None:
        with self._lock:
            self._deny.clear()
            self._errors.clear()
            self._drops.clear()
            self._etag_races.clear()
            self._repeat_tokens.clear()

    def decide(self, route: str, resource: str) -> FaultDecision | None:
        """The fault for this request, or None to serve it normally."""
        with self._lock:
            for prefix in self._deny:
                if resource == prefix or resource.startswith(prefix + "/"):
                    permission = PERMISSIONS.get(route, "run.services.get")
                    return FaultDecision(
                        "error",
                        403,
                        f"Permission '{permission}' denied on resource '{resource}' "
                        "(or it may not exist).",
                        (
                            _error_info(
                                "IAM_PERMISSION_DENIED",
                                "iam.googleapis.com",
                                {"permission": permission, "resource": resource},
                            ),
                        ),
                    )
            for rule in self._errors:
                if _matches(rule.route, route) and self._rng.random() < rule.rate:
                    message = _ERROR_MESSAGES.get(rule.status, "Injected error (emulator).")
                    details = (
                        (_error_info("RATE_LIMIT_EXCEEDED", "googleapis.com", {}),)
                        if rule.status == 429
                        else ()
                    )
                    return FaultDecision("error", rule.status, message, details)
            for drop_route, rate in self._drops:
                if _matches(drop_route, route) and self._rng.random() < rate:
                    return FaultDecision("drop")
            if route in UPDATE_ROUTES and self._etag_races.get(resource, 0) > 0:
                self._etag_races[resource] -= 1
                return FaultDecision("etag_race")
            if route in LIST_ROUTES and self._repeat_tokens & {"*", route}:
                return FaultDecision("repeat_page_token")
        return None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FaultPlan:
        """The `faults:` section of a state file minus `fail_rollout` (which is state):
        `seed`, `deny: [prefix]`, `errors: [{route, status, rate}]`, `drop: [{route, rate}]`,
        `repeat_page_token: [route]`."""
        seed = data.get("seed", 0)
        if not isinstance(seed, int):
            raise ValueError("faults.seed must be an integer")
        plan = cls(seed)
        for prefix in _list_of(data.get("deny"), "faults.deny"):
            if not isinstance(prefix, str):
                raise ValueError("faults.deny must be a list of resource prefixes")
            plan.deny(prefix)
        for rule in _list_of(data.get("errors"), "faults.errors"):
            if not isinstance(rule, Mapping):
                raise ValueError("faults.errors entries must be {route, status, rate}")
            plan.inject_error(
                str(rule.get("route", "*")), int(rule["status"]), float(rule.get("rate", 1.0))
            )
        for rule in _list_of(data.get("drop"), "faults.drop"):
            if not isinstance(rule, Mapping):
                raise ValueError("faults.drop entries must be {route, rate}")
            plan.drop_connections(str(rule.get("route", "*")), float(rule.get("rate", 1.0)))
        for route in _list_of(data.get("repeat_page_token"), "faults.repeat_page_token"):
            plan.repeat_page_token(str(route))
        return plan


def _error_info(reason: str, domain: str, metadata: Mapping[str, str]) -> Mapping[str, object]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
        "metadata": dict(metadata),
    }


def _matches(rule_route: str, route: str) -> bool:
    return rule_route in ("*", route)


def _check_route(route: str) -> None:
    if route != "*" and route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; known: *, {', '.join(ROUTES)}")


def _list_of(value: object, where: str) -> Iterable[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    return value
