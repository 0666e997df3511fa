"""The rules a SARIF log declares: one per violation rule and per kind of drift, each with
the short description and the fix that code scanning shows beside a result."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SarifRule:
    id: str
    name: str  # PascalCase, as SARIF viewers expect
    short: str
    help: str
    level: str  # "error" for violations and unusable input, "warning" for drift


RULES: tuple[SarifRule, ...] = (
    SarifRule(
        "e2e-leakage",
        "E2eLeakage",
        "E2E/test-bypass variable in a protected environment",
        "A variable matching the policy's E2E names or patterns is declared in, or set live "
        "on, a protected environment, where it can switch on test bypasses. Remove it from "
        "the manifest (and its e2e: block), then run `deploytool apply ENV`; for an old "
        "revision that still serves traffic or carries a tag, move its traffic and remove "
        "the tag (`gcloud run services update-traffic SERVICE --remove-tags TAG`).",
        "error",
    ),
    SarifRule(
        "project-pin",
        "ProjectPin",
        "Manifest points at a project not pinned to its environment",
        "configs/policy.yaml pins each environment to its GCP projects. Fix the manifest's "
        "project: (or the service's), or the pin under environments: in policy.yaml.",
        "error",
    ),
    SarifRule(
        "ownership",
        "Ownership",
        "Workload or project claimed by two environments",
        "A workload belongs to one environment, and a project where E2E variables are allowed "
        "must not be one a protected environment uses. Remove the workload from one of the "
        "manifests, or point the environment at its own project (or pin a deliberately "
        "shared project for both environments in policy.yaml).",
        "error",
    ),
    SarifRule(
        "plaintext-secret",
        "PlaintextSecret",
        "Credential-looking value set as a plain variable",
        "Move the value to Secret Manager and reference it under secrets: as SECRET:VERSION; "
        "then rotate the credential, since it was readable by anyone who can view the service.",
        "error",
    ),
    SarifRule(
        "missing",
        "MissingVariable",
        "Variable in the manifest but not live",
        "Live Cloud Run lacks a variable the manifest declares. Run `deploytool apply ENV` to "
        "set it, or remove it from the manifest if it is no longer wanted.",
        "warning",
    ),
    SarifRule(
        "unexpected",
        "UnexpectedVariable",
        "Variable live but not in the manifest",
        "Live Cloud Run has a variable the manifest does not declare. Add it to the manifest "
        "(env: or secrets:), add its name to ignore: if it is managed elsewhere, or run "
        "`deploytool apply ENV` to remove it.",
        "warning",
    ),
    SarifRule(
        "changed",
        "ChangedVariable",
        "Variable with another value live",
        "Live Cloud Run has another value, secret, version, or plain-vs-secret for this "
        "variable. Update the manifest to what should run, then `deploytool apply ENV`.",
        "warning",
    ),
    SarifRule(
        "revision-drift",
        "RevisionDrift",
        "Serving or tagged revision with env other than the manifest's",
        "An older revision that still receives traffic, or is reachable by a tag, runs with "
        "other variables. Route its traffic to the current revision and remove its tag "
        "(`gcloud run services update-traffic SERVICE --to-latest --remove-tags TAG`).",
        "warning",
    ),
    SarifRule(
        "workload-missing",
        "WorkloadMissing",
        "Managed workload does not exist live",
        "The manifest manages a workload that Cloud Run does not have in that project and "
        "region. Deploy it, fix its name, project or region, or remove it from the manifest.",
        "warning",
    ),
    SarifRule(
        "live-unreadable",
        "LiveUnreadable",
        "Live state could not be read",
        "Cloud Run could not be read (auth, permission, network or API error), so the gate "
        "cannot say the environment is in sync. Check credentials (`gcloud auth "
        "application-default login`, or --impersonate-service-account) and the permission "
        "run.services.list, then re-run.",
        "error",
    ),
    SarifRule(
        "invalid-manifest",
        "InvalidManifest",
        "Manifest or policy file is invalid",
        "The file does not pass `deploytool validate`: fix what the message says at that line.",
        "error",
    ),
)

RULE_INDEX = {rule.id: i for i, rule in enumerate(RULES)}


def rule_doc(rule: SarifRule) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.short},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": rule.level},
    }
