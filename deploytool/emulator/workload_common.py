"""What the emulator's job and worker-pool stores share: replacing the user-owned fields of a
resource on update, and the long-running operation an update answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from google.longrunning import operations_pb2
from google.protobuf.message import Message

from deploytool.emulator.errors import ApiError


def replace_user_fields(
    current: Message, body: Message, output_only: Sequence[str], mask: Sequence[str] = ()
) -> None:
    """`current` takes `body`'s user-owned fields (all of them without a mask, else the
    top-level fields the mask names); what the server owns stays as it was."""
    names = [f.name for f in body.DESCRIPTOR.fields if f.name not in output_only]
    if mask:
        unknown = sorted({path.split(".")[0] for path in mask} - set(names) - {"name"})
        if unknown:
            raise ApiError.invalid(f"update_mask names unknown field(s): {', '.join(unknown)}")
        names = [n for n in names if n in {path.split(".")[0] for path in mask}]
    for name in names:
        if name == "name":
            continue
        current.ClearField(name)
        field = body.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None and not _repeated(field):
            if body.HasField(name):
                getattr(current, name).CopyFrom(getattr(body, name))
        elif _repeated(field):
            getattr(current, name).MergeFrom(getattr(body, name))
        else:
            setattr(current, name, getattr(body, name))


def done_operation(parent: str, resource: Message) -> operations_pb2.Operation:
    """An update's Operation, already done, with `resource` as metadata and response.
    Real Cloud Run answers a job update at once too (a job has no rollout); a worker pool's
    rollout is settled at once here, a simplification: the client polls only when not done."""
    message = operations_pb2.Operation(name=f"{parent}/operations/{uuid.uuid4()}", done=True)
    message.metadata.Pack(resource)
    message.response.Pack(resource)
    return message


def etag_guard(kind: str, name: str, current: Any, body: Any) -> None:
    if body.etag and body.etag != current.etag:
        raise ApiError.aborted(
            f"Etag mismatch for {kind} '{name}': the {kind} was modified "
            f"(expected etag {current.etag!r}, got {body.etag!r}). Read it again."
        )


def _repeated(field: Any) -> bool:
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == 3  # LABEL_REPEATED


def copy_message(message: Any) -> Any:
    """A deep copy of a proto-plus message: what the store hands out can't alias its state."""
    return type(message).deserialize(type(message).serialize(message))
