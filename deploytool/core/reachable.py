"""Which revisions of a service can be reached, and how to name them. Pure.

A revision is reachable when it gets a share of the traffic, or when it carries a traffic tag:
Cloud Run then serves it at its own URL (`https://TAG---SERVICE-...`) even at 0 %, so an old
revision with a test bypass behind a tag is as exposed as one serving 1 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deploytool.core.model import LiveService


@dataclass(frozen=True)
class TagRoute:
    """A traffic tag and the URL Cloud Run serves it at (empty when the API gave none)."""

    tag: str
    uri: str = ""


@dataclass(frozen=True)
class ReachableRevision:
    """A revision other than the template's that serves traffic or carries tags."""

    revision: str
    percent: int
    tags: tuple[TagRoute, ...] = ()

    @property
    def tag_names(self) -> tuple[str, ...]:
        return tuple(t.tag for t in self.tags)

    def label(self) -> str:
        """`revision r-old (0%, tag canary, https://canary---svc-...)`."""
        return f"revision {self.revision} ({share_text(self.percent, self.tags)})"


def share_text(percent: int, tags: Sequence[TagRoute], *, unit: str = "%") -> str:
    """The traffic share, then each tag with its URL: `0%, tag canary, https://...`.
    `unit` lets the text report keep its `20% of traffic` wording."""
    share = f"{percent}{unit}"
    if not tags:
        return share
    named = (f"tag {t.tag}, {t.uri}" if t.uri else f"tag {t.tag}" for t in tags)
    return f"{share}, " + "; ".join(named)


def template_revision(live: LiveService) -> str | None:
    """The revision built from the current template: the latest created one, when it is
    also the latest ready and the service is not failed. Its env is the template's."""
    if live.ready is not False and live.latest_created_revision == live.latest_ready_revision:
        return live.latest_created_revision or None
    return None


def reachable_revisions(live: LiveService) -> list[ReachableRevision]:
    """Every revision with percent > 0 or a tag, except the template's; entries for one
    revision are merged (shares summed, tags listed in tag order). Sorted by revision."""
    skip = template_revision(live)
    percent: dict[str, int] = {}
    tags: dict[str, dict[str, str]] = {}
    for share in live.traffic:
        if not share.revision or share.revision == skip:
            continue
        if share.percent <= 0 and not share.tag:
            continue
        percent[share.revision] = percent.get(share.revision, 0) + max(share.percent, 0)
        routes = tags.setdefault(share.revision, {})
        if share.tag:
            routes[share.tag] = routes.get(share.tag) or share.uri
    return [
        ReachableRevision(
            name,
            percent[name],
            tuple(TagRoute(tag, uri) for tag, uri in sorted(tags[name].items())),
        )
        for name in sorted(percent)
    ]
