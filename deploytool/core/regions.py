"""Cloud Run region names, checked before they reach a request path."""

from __future__ import annotations

import re
from collections.abc import Sequence

from deploytool.errors import UsageError

# Every Cloud Run region is `<area>-<direction><number>`: us-east1, europe-west4,
# northamerica-northeast1, me-central2. Anything else (a space, a slash, upper case) would
# end up in a URL path: refuse it up front.
REGION_NAME = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]{1,2}$")


def region_problem(text: str) -> str | None:
    """What is wrong with `text` as a region name, or None when it is one."""
    if not text.strip():
        return "a region is empty; write a region name such as us-central1"
    if REGION_NAME.match(text):
        return None
    return (
        f"{text[:60]!r} is not a Cloud Run region name (lowercase, like us-central1 or "
        "europe-west4); fix the spelling"
    )


def checked_regions(regions: Sequence[str]) -> tuple[str, ...]:
    """`--region` values, distinct, in order; a bad one is a usage error (exit 2)."""
    for region in regions:
        problem = region_problem(region)
        if problem is not None:
            raise UsageError(f"--region: {problem}", "pass --region REGION, e.g. us-east1")
    return tuple(dict.fromkeys(regions))
