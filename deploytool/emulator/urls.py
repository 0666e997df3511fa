"""The URLs the emulator gives services and traffic tags, in the shapes Cloud Run uses.

Cloud Run's `uri` is `https://SERVICE-HASH-REGIONCODE.a.run.app`, where HASH is opaque (derived
from the project) and REGIONCODE is Google's short code for the region; `urls` also lists
`https://SERVICE-PROJECT_NUMBER.REGION.run.app`; a traffic tag is served at
`https://TAG---SERVICE-HASH-REGIONCODE.a.run.app`. The hash, the project number and the codes
of regions not in the table below are stand-ins (a guess: a digest of the project id), stable
so that tests and demos can predict them.
"""

from __future__ import annotations

import base64
import hashlib

# Region codes Cloud Run is known to use in `*.a.run.app` hosts; other regions get the
# initials of their words (and their number when it is not 1).
_REGION_CODES = {
    "us-central1": "uc",
    "us-east1": "ue",
    "us-east4": "uk",
    "us-west1": "uw",
    "europe-west1": "ew",
    "asia-northeast1": "an",
}


def service_uri(service: str, project: str, region: str) -> str:
    return f"https://{service}-{_project_hash(project)}-{region_code(region)}.a.run.app"


def deterministic_uri(service: str, project: str, region: str) -> str:
    return f"https://{service}-{_project_number(project)}.{region}.run.app"


def tag_url(uri: str, tag: str) -> str:
    """A traffic tag's URL: the service's host prefixed with `TAG---`."""
    scheme, sep, host = uri.partition("://")
    return f"{scheme}{sep}{tag}---{host}" if sep else f"{tag}---{uri}"


def region_code(region: str) -> str:
    if region in _REGION_CODES:
        return _REGION_CODES[region]
    words = [w for w in region.split("-") if w]
    digits = "".join(ch for ch in (words[-1] if words else "") if ch.isdigit())
    return "".join(w[0] for w in words) + ("" if digits in ("", "1") else digits)


def _project_hash(project: str) -> str:
    digest = hashlib.sha256(project.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def _project_number(project: str) -> str:
    digest = hashlib.sha256(b"number:" + project.encode()).digest()
    return str(100_000_000_000 + int.from_bytes(digest[:8], "big") % 900_000_000_000)
