"""Fixtures: the second client (google-api-python-client's discovery-based `run v2`, built
offline from the document it ships) beside the google-cloud-run one, and a check of every
answer the emulator gave during a test against the document's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document

from deploytool.emulator import Emulator
from tests.emulator.conformance.schema import DOCUMENT, check_response


def discovery_client(emulator: Emulator) -> Any:
    """`run v2` from the bundled discovery document, pointed at the emulator's http URL."""
    return build_from_document(
        DOCUMENT.read_text(encoding="utf-8"),
        http=httplib2.Http(timeout=10),
        client_options={"api_endpoint": emulator.endpoint + "/"},
    )


@pytest.fixture
def run(emulator: Emulator) -> Iterator[Any]:
    """The discovery client; every emulator answer in the test is schema-checked after it."""
    emulator.record_responses = True
    client = discovery_client(emulator)
    yield client.projects().locations()
    responses = emulator.responses
    problems = [
        f"{r.route} {r.status}: {p}"
        for r in responses
        for p in check_response(r.route, r.status, r.body, r.int_enums)
    ]
    assert responses, "the scenario made no request"
    assert not problems, "\n".join(problems)
