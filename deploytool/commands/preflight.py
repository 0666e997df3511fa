"""apply's preflight: a server-side validateOnly update of every planned service, so what
Cloud Run would reject is caught before anything is written anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from deploytool.commands.apply_service import (
    Forbidden,
    Outcome,
    ServiceOutcome,
    annotations_for,
    plan_from_live,
    refuse_e2e,
)
from deploytool.core.model import ServiceSpec
from deploytool.core.plan import ServicePlan, same_plan
from deploytool.errors import LiveStateError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway


def preflight_all(
    gateway: CloudRunGateway,
    plans: Sequence[tuple[ServicePlan, ServiceSpec]],
    parallel: int,
    rollout_timeout: float,
    environment: str,
    forbidden: Forbidden | None,
) -> list[ServiceOutcome]:
    """A server-side validateOnly update of each service: what Cloud Run would reject is
    caught before anything is written anywhere."""
    from deploytool.cloudrun.writer import build_update, fetch, send_update

    def check(item: tuple[ServicePlan, ServiceSpec]) -> ServiceOutcome:
        plan, spec = item
        try:
            fetched = fetch(gateway, plan.project, plan.region, plan.service, plan.kind)
            fresh = plan_from_live(spec, fetched.live)
            if not same_plan(fresh.changes, plan.changes):
                return ServiceOutcome(
                    plan.service,
                    plan.project,
                    plan.region,
                    Outcome.CONFLICT,
                    plan.changes,
                    new_changes=fresh.changes,
                    message="the service changed since the plan was shown; nothing was "
                    "written. Review the new plan and re-run apply",
                )
            update = build_update(
                fetched, fresh.container, fresh.new_env, annotations_for(fresh, spec)
            )
            refusal = refuse_e2e(update, forbidden, environment)
            if refusal is not None:
                return ServiceOutcome(
                    plan.service,
                    plan.project,
                    plan.region,
                    Outcome.REFUSED,
                    plan.changes,
                    message=refusal,
                )
            # A validate-only call changes nothing, so it needs no etag guard; sending one
            # would only turn a harmless concurrent redeploy into a failed preflight.
            update.etag = ""
            send_update(gateway, update, validate_only=True, rollout_timeout=rollout_timeout)
        except LiveStateError as exc:
            return ServiceOutcome(
                plan.service,
                plan.project,
                plan.region,
                Outcome.FAILED,
                plan.changes,
                message=_describe(exc),
            )
        return ServiceOutcome(
            plan.service,
            plan.project,
            plan.region,
            Outcome.PENDING,
            plan.changes,
            message="preflight passed",
        )

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        checked = list(pool.map(check, plans))
    return [replace(o, kind=plan.kind) for o, (plan, _spec) in zip(checked, plans, strict=True)]


def _describe(exc: LiveStateError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
