"""Pages of a list, as Google APIs serve them (AIP-158): page sizes (default and cap), and
page tokens that name the last key served and the request they belong to, so inserts between
pages neither repeat nor skip."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Sequence

from deploytool.emulator.errors import ApiError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def encode_page_token(last_key: str, scope: str = "") -> str:
    """A token naming the last key served and the request it belongs to (its parent): AIP-158
    and ListServicesRequest.page_token ("All other parameters must match")."""
    return base64.urlsafe_b64encode(f"v1:{scope}\n{last_key}".encode()).decode()


def decode_page_token(token: str, scope: str = "") -> str:
    """The last key a token names; 400 if it is not one of ours or was issued for another
    parent."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_token(token) from exc
    if not text.startswith("v1:") or "\n" not in text:
        raise _bad_token(token)
    issued_for, _, last = text[3:].partition("\n")
    if issued_for != scope:
        raise ApiError.invalid(
            f"The page token was issued for a list of {issued_for!r}, not of {scope!r}: "
            "all other parameters of the request must match the one that returned it.",
            reason="PAGE_TOKEN_MISMATCH",
            metadata={"pageToken": token, "parent": scope},
        )
    return last


def _bad_token(token: str) -> ApiError:
    return ApiError.invalid(
        f"Invalid page token: {token!r}",
        reason="INVALID_PAGE_TOKEN",
        metadata={"pageToken": token},
    )


def page_size_of(raw: str | None) -> int:
    """0 or absent means the default; above the cap is capped, as Google APIs do."""
    try:
        size = int(raw or 0)
    except ValueError as exc:
        raise ApiError.invalid(
            f"Invalid pageSize: {raw!r}",
            reason="INVALID_PAGE_SIZE",
            metadata={"pageSize": str(raw)},
        ) from exc
    if size < 0:
        raise ApiError.invalid(
            f"pageSize must not be negative, got {size}",
            reason="INVALID_PAGE_SIZE",
            metadata={"pageSize": str(size)},
        )
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def paginate(
    keys: Sequence[str],
    page_size: int,
    page_token: str | None,
    descending: bool = False,
    scope: str = "",
) -> tuple[list[str], str]:
    """One page of `keys` (sorted, ascending unless `descending`) and the token of the next
    page ("" at the end). The token names the last key served, so inserts between pages
    neither repeat nor skip."""
    start = 0
    if page_token:
        last = decode_page_token(page_token, scope)
        if descending:
            start = next((i for i, key in enumerate(keys) if key < last), len(keys))
        else:
            start = bisect.bisect_right(keys, last)
    page = list(keys[start : start + page_size])
    more = start + page_size < len(keys)
    return page, encode_page_token(page[-1], scope) if more and page else ""
