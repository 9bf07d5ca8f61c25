"""deploy/: the configuration reference lists every setting, and the compose
file and Kubernetes manifests use only variables the hub knows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from projections.complaints import ComplaintQueues
from projections.consent import ConsentIndex
from projections.customer360 import Customer360
from projections.identity import IdentityIndex
from projections.orders import OrderHistory
from services.entry.cli import ViewName
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


# What `contacthub run projector --view NAME` projects; the process that projects
# `complaints` also runs the complaint intake and the SLA clock (processes.py).
READ_MODELS = {
    Customer360.name,
    IdentityIndex.name,
    ComplaintQueues.name,
    OrderHistory.name,
    ConsentIndex.name,
}
COMPLAINT_CLOCK_VIEW = ComplaintQueues.name


def projected_views(command: list[str]) -> set[str]:
    """The read models a contacthub command line projects (none unless `run projector`)."""
    if command[:2] != ["run", "projector"]:
        return set()
    named = {command[i + 1] for i, word in enumerate(command[:-1]) if word == "--view"}
    return named or READ_MODELS  # no --view: every read model


def compose_commands() -> list[list[str]]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return [
        [str(word) for word in service.get("command", [])]
        for service in compose["services"].values()
    ]


def k8s_commands() -> list[list[str]]:
    commands = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Deployment":
                replicas = doc["spec"].get("replicas", 1)
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    if replicas:
                        commands.append([str(word) for word in container.get("args", [])])
    return commands


def test_the_cli_can_project_every_read_model() -> None:
    assert {view.value for view in ViewName} == READ_MODELS


@pytest.mark.parametrize("commands", [compose_commands, k8s_commands], ids=["compose", "k8s"])
def test_every_read_model_and_the_complaint_clock_run_somewhere(
    commands: Callable[[], list[list[str]]],
) -> None:
    run = commands()
    projected = [view for command in run for view in projected_views(command)]
    assert set(projected) == READ_MODELS
    # Each exactly once: two projectors of one view would race for its position,
    # two complaint clocks would both record every breach attempt.
    assert sorted(projected) == sorted(READ_MODELS)
    assert projected.count(COMPLAINT_CLOCK_VIEW) == 1


def test_the_k8s_manifests_keep_the_letters_outbox_on_a_persistent_volume() -> None:
    configmap = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())
    data_dir = Path(configmap["data"]["CONTACTHUB_DATA_DIR"])
    assert not data_dir.is_relative_to("/tmp")
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "api.yaml").read_text()) if d]
    [api] = [d for d in docs if d["kind"] == "Deployment"]
    [claim] = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    pod = api["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    [container] = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    outbox = mounts[str(data_dir / "outbox")]
    assert volumes[outbox]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]  # every API replica writes letters
