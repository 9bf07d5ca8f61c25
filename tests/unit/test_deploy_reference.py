"""deploy/: the configuration reference lists every setting, and the compose
file and Kubernetes manifests use only variables the hub knows."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from services.infra.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def variables() -> set[str]:
    return {f"CONTACTHUB_{name.upper()}" for name in Settings.model_fields}


def test_the_configuration_reference_lists_every_setting() -> None:
    reference = (DEPLOY / "CONFIGURATION.md").read_text()
    listed = set(re.findall(r"^\| `(CONTACTHUB_[A-Z_]+)`", reference, re.MULTILINE))
    assert listed == variables()


def test_the_manifests_parse_and_use_known_variables_only() -> None:
    files = [DEPLOY / "compose.yaml", *sorted((DEPLOY / "k8s").glob("*.yaml"))]
    kinds = []
    for path in files:
        text = path.read_text()
        kinds += [doc.get("kind") for doc in yaml.safe_load_all(text) if doc]
        assert set(re.findall(r"CONTACTHUB_[A-Z_]+", text)) <= variables(), path.name
    assert {"Deployment", "Service", "ConfigMap"} <= set(kinds)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    commands = {" ".join(s.get("command", [])[:2]) for s in compose["services"].values()}
    for service in ("gateway", "recorder", "projector", "publisher", "api"):
        assert f"run {service}" in commands
