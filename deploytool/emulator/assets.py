"""The Cloud Asset Inventory face of the emulator: `GET /v1/{scope}:searchAllResources`, answered
from the workloads the state holds, on google-cloud-asset's own message types.

Where projects sit (their numbers, folders, organisation) is state too: a state file's
`projects:` section sets it; a project it does not mention has a number derived from its id and
belongs to no folder and no organisation, so only a `projects/P` scope finds it.

Guesses where the reference is silent (each noted where it is made): the order of results
(by name here), the default page size (100), `parentFullResourceName` naming the project by id.
`query` is not evaluated: every result of the asked types in the scope is returned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from google.cloud import asset_v1

from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import paginate

# Workload kind (as the state lists them) -> Cloud Asset Inventory asset type.
ASSET_TYPE = {
    "service": "run.googleapis.com/Service",
    "job": "run.googleapis.com/Job",
    "worker_pool": "run.googleapis.com/WorkerPool",
}
DEFAULT_PAGE_SIZE = 100  # a guess: the reference says only "server will pick"
MAX_PAGE_SIZE = 500  # documented: "capped at 500 even if a larger value is given"

_WORKLOAD = re.compile(r"^projects/([^/]+)/locations/([^/]+)/[^/]+/([^/]+)$")


@dataclass(frozen=True)
class ProjectPlace:
    """A project's number and where it sits in the resource hierarchy. `folders` lists every
    folder it is in, the nearest first (a folder scope finds projects in nested folders)."""

    number: str
    folders: tuple[str, ...] = ()
    organization: str = ""


@dataclass
class ProjectDirectory:
    """Project id -> ProjectPlace, for the projects a state file placed."""

    places: dict[str, ProjectPlace] = field(default_factory=dict)

    def place(self, project: str) -> ProjectPlace:
        if project in self.places:
            return self.places[project]
        for place in self.places.values():
            if place.number == project:  # the workload was stored under the number
                return place
        if project.isdigit():
            return ProjectPlace(number=project)
        return ProjectPlace(number=_derived_number(project))

    def set(self, project: str, place: ProjectPlace) -> None:
        self.places[project] = place

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProjectDirectory:
        """The state file's `projects:` section: `{ID: {number, folder | folders,
        organization}}`. ValueError names what is wrong."""
        directory = cls()
        numbers: dict[str, str] = {}
        for project, entry in data.items():
            where = f"projects.{project}"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{where}: must be a mapping of number, folder, organization")
            unknown = sorted(set(map(str, entry)) - {"number", "folder", "folders", "organization"})
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
            number = str(entry.get("number") or _derived_number(str(project)))
            if not number.isdigit():
                raise ValueError(f"{where}.number: a project number is digits, got {number!r}")
            if number in numbers:
                raise ValueError(f"{where}.number: {number} is also {numbers[number]}'s number")
            numbers[number] = str(project)
            folders = entry.get("folders", [entry["folder"]] if "folder" in entry else [])
            if not isinstance(folders, list):
                raise ValueError(f"{where}.folders: must be a list of folders/NUMBER")
            organization = str(entry.get("organization") or "")
            for name, prefix in [
                *((str(f), "folders/") for f in folders),
                *([(organization, "organizations/")] if organization else []),
            ]:
                if not name.startswith(prefix) or not name[len(prefix) :].isdigit():
                    raise ValueError(f"{where}: {name!r} is not {prefix}NUMBER")
            directory.set(
                str(project), ProjectPlace(number, tuple(map(str, folders)), organization)
            )
        return directory


def search_all_resources(
    workloads: Iterable[tuple[str, str]],
    projects: ProjectDirectory,
    scope: str,
    asset_types: Sequence[str],
    page_size: int,
    page_token: str | None,
) -> asset_v1.SearchAllResourcesResponse:
    """One page of the Cloud Run workloads (kind, full name) that lie in `scope` and match
    `asset_types` (regular expressions, as the API allows; none given: every type)."""
    try:
        patterns = [re.compile(t) for t in asset_types]
    except re.error as exc:
        raise ApiError.invalid(f"Invalid asset type pattern: {exc}") from exc
    results: dict[str, asset_v1.ResourceSearchResult] = {}
    for kind, name in workloads:
        asset_type = ASSET_TYPE.get(kind)
        match = _WORKLOAD.match(name)
        if asset_type is None or match is None:
            continue
        if patterns and not any(p.fullmatch(asset_type) for p in patterns):
            continue
        project, region, short = match.groups()
        place = projects.place(project)
        if not _in_scope(scope, project, place):
            continue
        full = f"//run.googleapis.com/{name}"
        results[full] = asset_v1.ResourceSearchResult(
            name=full,
            asset_type=asset_type,
            project=f"projects/{place.number}",
            folders=list(place.folders),
            organization=place.organization,
            display_name=short,
            location=region,
            # A guess: the parent named by id, as Asset's search naming table shows projects.
            parent_full_resource_name=f"//cloudresourcemanager.googleapis.com/projects/{project}",
            parent_asset_type="cloudresourcemanager.googleapis.com/Project",
        )
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page, token = paginate(sorted(results), size, page_token, scope=scope)
    return asset_v1.SearchAllResourcesResponse(
        results=[results[name] for name in page], next_page_token=token
    )


def page_size_of(raw: str | None) -> int:
    """Zero or negative: the server's default (documented), not an error."""
    try:
        return max(int(raw or 0), 0)
    except ValueError as exc:
        raise ApiError.invalid(f"Invalid pageSize: {raw!r}") from exc


def _in_scope(scope: str, project: str, place: ProjectPlace) -> bool:
    kind, _, ident = scope.partition("/")
    if kind == "projects":
        return ident in (project, place.number)
    if kind == "folders":
        return scope in place.folders
    if kind == "organizations":
        return scope == place.organization
    raise ApiError.invalid(
        f"Invalid scope {scope!r}: expected projects/*, folders/* or organizations/*."
    )


def _derived_number(project: str) -> str:
    """A stable 12-digit number for a project the state file did not number."""
    digest = int.from_bytes(hashlib.sha256(project.encode()).digest()[:8], "big")
    return str(100_000_000_000 + digest % 900_000_000_000)
