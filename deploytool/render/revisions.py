"""How the report formats that render from the JSON document (Markdown, JUnit, GitHub
annotations) name a revision: its traffic share, and each tag with the URL it is served at."""

from __future__ import annotations

from typing import Any

from deploytool.core.reachable import TagRoute, share_text

Doc = dict[str, Any]


def revision_share(revision: Doc, unit: str = "%") -> str:
    """`20%`, or `0%, tag canary, https://canary---...` for a revision entry of the JSON
    document (tags and URLs as `json_doc.revision_doc` writes them; older reports have none)."""
    tags = [str(t) for t in revision.get("tags") or []]
    uris = list(revision.get("uris") or [])
    if len(uris) != len(tags):
        uris = [revision.get("uri") if i == 0 else None for i in range(len(tags))]
    routes = [TagRoute(tag, str(uri or "")) for tag, uri in zip(tags, uris, strict=True)]
    return share_text(int(revision.get("percent") or 0), routes, unit=unit)


def revision_kind(revision: Doc) -> str:
    """A revision reached only by its tag does not serve: `tagged`, else `serving`."""
    return "serving" if int(revision.get("percent") or 0) > 0 else "tagged"


def violation_tags(violation: Doc) -> list[str]:
    """The tags a violation names (`tags`, or the single `tag` of a hand-built document)."""
    tags = violation.get("tags") or ([violation["tag"]] if violation.get("tag") else [])
    return [str(t) for t in tags]
