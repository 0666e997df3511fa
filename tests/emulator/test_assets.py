"""The emulator's Cloud Asset Inventory search, through the real google-cloud-asset client over
REST: scopes, asset types, pages, project numbers and the state file's `projects:` section."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import asset_v1

from deploytool.emulator import Emulator, EmulatorState
from deploytool.emulator.errors import StateFileError
from tests.conftest import service_message

STATE = {
    "projects": {
        "p-a": {"number": "111", "folder": "folders/42", "organization": "organizations/7"},
        "p-b": {"number": "222", "folders": ["folders/43", "folders/42"]},
    },
    "services": [
        {
            "name": f"projects/{p}/locations/{r}/services/{s}",
            "template": {"containers": [{"image": "gcr.io/x/app:1"}]},
        }
        for p, r, s in [
            ("p-a", "us-east1", "one"),
            ("p-a", "europe-west1", "two"),
            ("p-b", "us-east1", "three"),
            ("p-c", "us-east1", "four"),
        ]
    ],
}


@pytest.fixture
def running():
    with Emulator(EmulatorState.from_dict(STATE)) as emulator:
        yield emulator


@pytest.fixture
def client(running):
    return asset_v1.AssetServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=running.endpoint),
    )


def names(client, scope, **kwargs):
    return [r.name for r in client.search_all_resources(request={"scope": scope, **kwargs})]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (
            "projects/p-a",
            ["p-a/locations/europe-west1/services/two", "p-a/locations/us-east1/services/one"],
        ),
        (
            "projects/111",
            ["p-a/locations/europe-west1/services/two", "p-a/locations/us-east1/services/one"],
        ),
        (
            "folders/42",
            [
                "p-a/locations/europe-west1/services/two",
                "p-a/locations/us-east1/services/one",
                "p-b/locations/us-east1/services/three",
            ],
        ),
        ("folders/43", ["p-b/locations/us-east1/services/three"]),
        (
            "organizations/7",
            ["p-a/locations/europe-west1/services/two", "p-a/locations/us-east1/services/one"],
        ),
        ("projects/p-c", ["p-c/locations/us-east1/services/four"]),  # no folder: only its own scope
        ("folders/99", []),
    ],
)
def test_scopes(client, scope, expected):
    assert names(client, scope) == [f"//run.googleapis.com/projects/{e}" for e in expected]


def test_results_carry_what_the_api_documents(client):
    (result,) = client.search_all_resources(request={"scope": "folders/43"})
    assert result.asset_type == "run.googleapis.com/Service"
    assert result.project == "projects/222"
    assert list(result.folders) == ["folders/43", "folders/42"]
    assert result.location == "us-east1"
    assert result.display_name == "three"


def test_asset_types_filter_and_pages(client, running):
    wanted = ["run.googleapis.com/Service", "run.googleapis.com/Job"]
    pager = client.search_all_resources(
        request={"scope": "folders/42", "asset_types": wanted, "page_size": 1}
    )
    assert len(list(pager)) == 3
    assert len([r for r in running.requests if r.path == "/v1/folders/42:searchAllResources"]) == 3
    assert names(client, "folders/42", asset_types=["run.googleapis.com/Job"]) == []


def test_a_denied_scope_is_403(client, running):
    running.faults.deny("organizations/7")
    with pytest.raises(gexc.Forbidden, match=r"cloudasset\.assets\.searchAllResources"):
        names(client, "organizations/7")


def test_a_project_without_a_number_gets_a_stable_one(client):
    (first,) = client.search_all_resources(request={"scope": "projects/p-c"})
    (again,) = client.search_all_resources(request={"scope": "projects/p-c"})
    assert first.project == again.project and first.project.removeprefix("projects/").isdigit()


def test_workloads_hook_lists_every_service():
    state = EmulatorState()
    state.put_service(service_message("p", "r", "s"))
    assert state.workloads() == [("service", "projects/p/locations/r/services/s")]


@pytest.mark.parametrize(
    ("projects", "words"),
    [
        ({"p": {"numbr": "1"}}, "unknown key"),
        ({"p": {"number": "abc"}}, "digits"),
        ({"p": {"folder": "42"}}, "folders/NUMBER"),
        ({"p": {"organization": "orgs/7"}}, "organizations/NUMBER"),
        ({"p": {"number": "1"}, "q": {"number": "1"}}, "also p's number"),
        ({"p": "folders/1"}, "must be a mapping"),
    ],
)
def test_bad_projects_sections_are_state_file_errors(projects, words):
    with pytest.raises(StateFileError, match=words):
        EmulatorState.from_dict({"projects": projects})
