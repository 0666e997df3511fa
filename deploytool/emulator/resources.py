"""Building blocks on the library's own message types: resource names, conditions, traffic,
and revisions cut from a template. No state and no locking here."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import run_v2
from google.protobuf.descriptor import FieldDescriptor

from deploytool.emulator.urls import deterministic_uri, service_uri, tag_url

Ready = run_v2.Condition.State
Revisions = Mapping[str, run_v2.Revision]  # full revision name -> revision, of one service
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION

_SERVICE_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/services/([^/]+)$")
_REVISION_NAME = re.compile(
    r"^(projects/[^/]+/locations/[^/]+/services/([^/]+))/revisions/([^/]+)$"
)
_GENERATION_IN_NAME = re.compile(r"-(\d{5})-[a-z0-9]+$")

# Fields of a Service the server owns: whatever a client sends in them is ignored.
SERVICE_OUTPUT_ONLY = (
    "uid",
    "generation",
    "create_time",
    "update_time",
    "delete_time",
    "expire_time",
    "creator",
    "last_modifier",
    "observed_generation",
    "terminal_condition",
    "conditions",
    "latest_ready_revision",
    "latest_created_revision",
    "traffic_statuses",
    "uri",
    "urls",
    "satisfies_pzs",
    "reconciling",
    "etag",
)


@dataclass(frozen=True)
class ServiceName:
    """`projects/P/locations/L/services/S`, split."""

    project: str
    location: str
    service: str

    @classmethod
    def parse(cls, name: str) -> ServiceName:
        match = _SERVICE_NAME.match(name)
        if not match:
            raise ValueError(
                f"not a service name: {name!r} (want projects/P/locations/L/services/S)"
            )
        return cls(*match.groups())

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    def __str__(self) -> str:
        return f"{self.parent}/services/{self.service}"

    def revision(self, short: str) -> str:
        return f"{self}/revisions/{short}"

    def operation(self) -> str:
        return f"{self.parent}/operations/{uuid.uuid4()}"

    @property
    def url(self) -> str:
        """The service's `uri` (see emulator/urls.py for its shape)."""
        return service_uri(self.service, self.project, self.location)

    @property
    def deterministic_url(self) -> str:
        return deterministic_uri(self.service, self.project, self.location)


def split_revision_name(name: str) -> tuple[str, str]:
    """`.../services/S/revisions/R` -> (service resource name, short revision name)."""
    match = _REVISION_NAME.match(name)
    if not match:
        raise ValueError(
            f"not a revision name: {name!r} (want projects/P/locations/L/services/S/revisions/R)"
        )
    return match.group(1), match.group(3)


def short_revision(name: str) -> str:
    """Traffic targets and templates use short revision names; the service's latest_* fields
    use full ones. Accept either."""
    return name.rsplit("/", 1)[-1]


def generation_from_revision(short: str, default: int) -> int:
    """`svc-00007-abc` was cut at generation 7; other names say nothing."""
    match = _GENERATION_IN_NAME.search(short)
    return int(match.group(1)) if match else default


def new_revision_name(service: str, generation: int, rng: random.Random) -> str:
    suffix = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3))
    return f"{service}-{generation:05d}-{suffix}"


def new_etag() -> str:
    return uuid.uuid4().hex[:20]


def now() -> datetime:
    return datetime.now(UTC)


def revision_from_template(service: run_v2.Service, short: str) -> run_v2.Revision:
    """A revision holding what the service's template says: every template field that the
    Revision message also has (containers, annotations, scaling, ...), copied by descriptor
    so a new field in the library is carried along without code here."""
    template_pb = run_v2.RevisionTemplate.pb(service.template)
    revision = run_v2.Revision()
    revision_pb = run_v2.Revision.pb(revision)
    fields = revision_pb.DESCRIPTOR.fields_by_name
    for field, value in template_pb.ListFields():
        target = fields.get(field.name)
        if target is None or target.type != field.type or _repeated(target) != _repeated(field):
            continue
        if _is_map(field) and _is_map(target):
            # labels and annotations: map entry types are per message, so compare by name.
            # Cloud Run copies the template's onto the revision (Revision.labels/annotations).
            getattr(revision_pb, field.name).update(dict(value))
            continue
        if field.message_type is not None and (
            target.message_type is None
            or target.message_type.full_name != field.message_type.full_name
        ):
            continue
        if _repeated(field):
            getattr(revision_pb, field.name).MergeFrom(value)  # lists and maps alike
        elif field.message_type is not None:
            getattr(revision_pb, field.name).CopyFrom(value)
        else:
            setattr(revision_pb, field.name, value)
    name = ServiceName.parse(service.name)
    revision.name = name.revision(short)
    revision.service = service.name
    revision.generation = service.generation
    revision.uid = str(uuid.uuid4())
    revision.create_time = now()
    revision.update_time = revision.create_time
    revision.observed_generation = service.generation
    revision.etag = new_etag()
    revision.log_uri = f"https://console.cloud.google.com/logs/viewer?project={name.project}"
    return revision


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _repeated(field: FieldDescriptor) -> bool:
    # protobuf >= 5.28 has is_repeated; older releases only the (since removed) label.
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == FieldDescriptor.LABEL_REPEATED


def traffic_statuses(
    traffic: Sequence[run_v2.TrafficTarget], latest_ready: str, uri: str = ""
) -> list[run_v2.TrafficTargetStatus]:
    """What serves: a LATEST target resolves to the latest ready revision, a REVISION target
    to the revision it names; no traffic block at all means 100% to the latest ready one.
    Every target is listed, a tagged one at 0% too, with the URL of its tag (Cloud Run
    leaves `uri` empty on untagged targets)."""
    latest = short_revision(latest_ready) if latest_ready else ""
    targets = list(traffic) or [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    statuses = []
    for target in targets:
        is_latest = target.type_ == LATEST or not target.revision
        statuses.append(
            run_v2.TrafficTargetStatus(
                type_=LATEST if is_latest else REVISION,
                revision=latest if is_latest else short_revision(target.revision),
                percent=target.percent,
                tag=target.tag,
                uri=tag_url(uri, target.tag) if target.tag and uri else "",
            )
        )
    return statuses
