"""Live state from exported files (`--live-from`): the YAML or JSON that `gcloud run ...
describe/list` print, and Cloud Run Admin API v2 JSON, turned into the same `LiveSnapshot`
the Cloud Run adapter produces. No credentials, no network, no Cloud Run client.

One module per format (knative.py: `serving.knative.dev/v1`; admin_v2.py: v2 JSON), chosen
per document by `dispatch.py`; `snapshot.py` assembles what was read into a snapshot.
"""
