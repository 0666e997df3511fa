"""Parity between two environments: the variables both must define, by name and by kind
(plain or secret), service by service. Pure: names and kinds in, gaps out.

Services pair up by the policy's `parity.pairs` first, then by the same name, then by the
same name once the environment's suffix is removed (`netra-backend-staging` in staging pairs
with `netra-backend` in production, or `api-production` with `api-staging`). Values are never
compared: they differ between environments on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from deploytool.core.diff import is_ignored
from deploytool.core.model import EnvVar
from deploytool.core.policy import Policy
from deploytool.core.verdict import Verdict, decide


class GapKind(StrEnum):
    ONLY_IN_A = "only_in_a"
    ONLY_IN_B = "only_in_b"
    PLAIN_VS_SECRET = "plain_vs_secret"


@dataclass(frozen=True)
class ServiceVariables:
    """One service's variables as parity sees them: names and whether each is a secret,
    plus the names its manifest ignores (names or globs)."""

    service: str
    secret: Mapping[str, bool]
    ignore: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, service: str, env: Iterable[EnvVar], ignore: Sequence[str] = ()
    ) -> ServiceVariables:
        return cls(service, {v.name: v.is_secret_ref for v in env}, tuple(ignore))


@dataclass(frozen=True)
class Gap:
    name: str
    kind: GapKind
    # For plain_vs_secret: which side holds the secret ("a" or "b"); None otherwise.
    secret_side: str | None = None


@dataclass(frozen=True)
class PairReport:
    a: str
    b: str
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class Unpaired:
    environment: str
    service: str


@dataclass(frozen=True)
class ParityReport:
    environments: tuple[str, str]
    pairs: tuple[PairReport, ...]
    unpaired: tuple[Unpaired, ...]
    verdict: Verdict
    errors: tuple[str, ...] = ()


def pair_services(
    env_a: str, names_a: Iterable[str], env_b: str, names_b: Iterable[str], policy: Policy
) -> tuple[list[tuple[str, str]], list[Unpaired]]:
    """(pairs, unpaired), both sorted. A service pairs at most once; the policy's pairs win
    over names, names over suffixes."""
    left, right = set(names_a), set(names_b)
    pairs: list[tuple[str, str]] = []
    for a, b in policy.parity.pairs:
        if a in left and b in right:
            pairs.append((a, b))
            left.discard(a)
            right.discard(b)
    for name in sorted(left & right):
        pairs.append((name, name))
    left -= {a for a, _ in pairs}
    right -= {b for _, b in pairs}
    by_base_b = {_base(name, env_b): name for name in sorted(right, reverse=True)}
    for a in sorted(left):
        match = by_base_b.get(_base(a, env_a))
        if match is not None and match in right:
            pairs.append((a, match))
            right.discard(match)
    left -= {a for a, _ in pairs}
    unpaired = [Unpaired(env_a, n) for n in sorted(left)] + [
        Unpaired(env_b, n) for n in sorted(right)
    ]
    return sorted(pairs), unpaired


def _base(service: str, environment: str) -> str:
    suffix = f"-{environment}"
    return service[: -len(suffix)] if service.endswith(suffix) and service != suffix else service


def compare(a: ServiceVariables, b: ServiceVariables, policy: Policy) -> tuple[Gap, ...]:
    """Gaps between two paired services, sorted by name. E2E names, names either side
    ignores and the policy's `parity.ignore` are left out."""
    skip = (*a.ignore, *b.ignore, *policy.parity.ignore)
    gaps = []
    for name in sorted(a.secret.keys() | b.secret.keys()):
        if policy.is_e2e_name(name) or is_ignored(name, skip):
            continue
        in_a, in_b = name in a.secret, name in b.secret
        if not in_b:
            gaps.append(Gap(name, GapKind.ONLY_IN_A))
        elif not in_a:
            gaps.append(Gap(name, GapKind.ONLY_IN_B))
        elif a.secret[name] != b.secret[name]:
            gaps.append(Gap(name, GapKind.PLAIN_VS_SECRET, "a" if a.secret[name] else "b"))
    return tuple(gaps)


def parity(
    env_a: str,
    services_a: Sequence[ServiceVariables],
    env_b: str,
    services_b: Sequence[ServiceVariables],
    policy: Policy,
    *,
    errors: Sequence[str] = (),
) -> ParityReport:
    """The parity report of two environments; any gap is drift (exit 3), any error (live
    state not read) exit 5."""
    by_a = {s.service: s for s in services_a}
    by_b = {s.service: s for s in services_b}
    pairs, unpaired = pair_services(env_a, by_a, env_b, by_b, policy)
    reports = tuple(PairReport(a, b, compare(by_a[a], by_b[b], policy)) for a, b in pairs)
    verdict = decide(violations=0, errors=len(errors), drifted=sum(1 for p in reports if p.gaps))
    return ParityReport((env_a, env_b), reports, tuple(unpaired), verdict, tuple(errors))
