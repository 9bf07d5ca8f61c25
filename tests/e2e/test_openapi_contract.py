"""The API keeps its OpenAPI contract (issue 13, items 3 and 4).

Against a real hub on loopback HTTP: the document lists the errors routes
answer, /docs works without internet, and schemathesis finds no 5xx, no
undocumented status code and no answer that contradicts the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.access import hidden_queues
from projections.complaints import CaseFilter
from services.infra.auth import Role
from services.infra.settings import Settings
from tests.support.hub import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    inbound_sms_form,
    post_signed,
    running_hub,
    settle,
)
from tests.support.ports import free_port
from tests.support.tokens import FUZZ_QUEUE_TEAMS, FuzzToken, fuzz_tokens
from tests.support.twilio_standin import TwilioStandIn

# Bounded in time: a few examples per operation, no shrinking of failures.
MAX_EXAMPLES = 25


@dataclass
class Served:
    base_url: str
    token: str
    hub: Any
    known: dict[str, str]  # ids of things that exist: path parameters that hit
    # Who the fuzzing acts as: one token per role (tests/support/tokens.py).
    tokens: list[FuzzToken]


def seed(served: Served) -> dict[str, str]:
    """A customer (from an inbound SMS), its interaction and a complaint case."""
    with httpx.Client(timeout=10) as client:
        form = inbound_sms_form(7, "+4917612345678", "Guten Tag")
        assert post_signed(client, served.base_url, "/webhooks/twilio/sms", form).is_success
        settle(served.hub)  # the customer is in the read models
        found = client.get(
            served.base_url + "/api/v1/customers",
            params={"q": "+4917612345678"},
            headers=bearer(served),
        ).json()["items"]
        customer_id = found[0]["customer_id"]
        timeline = client.get(
            f"{served.base_url}/api/v1/customers/{customer_id}/timeline", headers=bearer(served)
        ).json()["items"]
        case = client.post(
            served.base_url + "/api/v1/complaints",
            json={"customer_id": customer_id, "subject": "Rechnung falsch"},
            headers=bearer(served),
        ).json()
    return {
        "customer_id": customer_id,
        "interaction_id": timeline[0]["interaction_id"],
        "complaint_id": case["complaint_id"],
        # Phone fields too: a generated string is rarely a number of any numbering
        # plan, and whether it is one is the number's content, not the request's shape.
        "to": "+4917612345678",
        "agent_phone": "+4930901820999",
        "phone": "+4917612345678",
    }


def aimed(case: Any, known: dict[str, str]) -> None:
    """Points a generated request at things that exist (random ids only find 404s)."""
    for where in (case.path_parameters, case.body):
        if isinstance(where, dict):
            for name, value in known.items():
                if name in where:
                    where[name] = value


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A hub on SQLite with every webhook configured, and an admin token."""
    data = tmp_path_factory.mktemp("contract") / "data"
    port = free_port()
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        hub_settings = Settings(
            data_dir=data,
            public_url=f"http://127.0.0.1:{port}",
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_api_base=twilio.base_url,
            twilio_from_number=OUR_NUMBER,
            mailgun_signing_key="mailgun-key",
            post_webhook_secret="post-secret",
            quiet_hours="",
            queue_teams=FUZZ_QUEUE_TEAMS,
            _env_file=None,  # type: ignore[call-arg]
        )
        with running_hub(hub_settings, port) as hub:
            tokens = fuzz_tokens(hub)
            admin = next(t.token for t in tokens if t.role == Role.ADMIN)
            served = Served(f"http://127.0.0.1:{port}", admin, hub, {}, tokens)
            served.known = seed(served)
            yield served


def bearer(served: Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.token}"}


# --- item 3: the document lists the errors ------------------------------------


@pytest.fixture(scope="module")
def document(served: Served) -> dict[str, Any]:
    response = httpx.get(served.base_url + "/openapi.json", timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_route_behind_a_token_documents_401_and_acting_routes_403(
    document: dict[str, Any],
) -> None:
    for path, method, operation in operations(document):
        if path.startswith("/api/"):
            assert "401" in operation["responses"], (method, path)
    paths = document["paths"]
    for path, method in [
        ("/api/v1/complaints", "post"),
        ("/api/v1/customers/{customer_id}/consent", "put"),
        ("/api/v1/customers/{customer_id}/messages", "post"),
        ("/api/v1/complaints/{complaint_id}/assign", "post"),
    ]:
        assert "403" in paths[path][method]["responses"], (method, path)
    assert "403" in paths["/api/v1/analytics/complaints"]["get"]["responses"]
    # Reading needs no acting role: the 403 promised there is a partner token's only.
    assert "partner" in paths["/api/v1/customers"]["get"]["responses"]["403"]["description"]
    assert "401" not in paths["/healthz"]["get"]["responses"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/consent",
        "/api/v1/interactions/{interaction_id}",
    ],
)
def test_lookups_of_one_thing_document_404(document: dict[str, Any], path: str) -> None:
    for operation in document["paths"][path].values():
        assert "404" in operation["responses"]


def test_errors_have_one_model_that_allows_a_sentence_for_422(
    served: Served, document: dict[str, Any]
) -> None:
    create = document["paths"]["/api/v1/complaints"]["post"]["responses"]
    assert "400" in create and "413" in create
    for status in ("400", "401", "403", "404", "413", "422"):
        schema = create[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ApiError"}, status
    # A route's own error: a sentence, as the document allows.
    response = httpx.post(
        served.base_url + "/api/v1/complaints",
        headers=bearer(served),
        json={"customer_id": "00000000-0000-0000-0000-000000000001"},
        timeout=10,
    )
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)
    # The documented 400: a JSON body that is not UTF-8.
    response = httpx.post(
        served.base_url + "/api/v1/complaints",
        headers=bearer(served) | {"Content-Type": "application/json"},
        content=b'{"customer_id": "\xff"}',
        timeout=10,
    )
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


def test_what_the_schema_allows_is_not_refused_for_its_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    reply = schemas["Reply"]
    assert {"body"} in [set(b.get("required", [])) for b in reply["oneOf"]]
    sms = next(
        b for b in schemas["SendMessage"]["oneOf"] if "sms" in b["properties"]["channel"]["enum"]
    )
    assert sms["properties"]["body"]["minLength"] == 1


# --- item 4: /docs without internet --------------------------------------------


def test_docs_load_from_the_hub_alone(served: Served) -> None:
    page = httpx.get(served.base_url + "/docs", timeout=10)
    assert page.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text), page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        response = httpx.get(served.base_url + asset, timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset


# --- item 3: schemathesis against /openapi.json --------------------------------

# A scan's bytes must be a PDF, PNG, JPEG or TIFF: a 422 no schema can rule out.
# An appointment's end must follow its start, in a time zone that exists; an
# order's email or phone must be a real address and its lines name each sku once
# (tests/e2e/test_orders.py checks those); a segment's filter must be in the
# filter language (tests/e2e/test_segments.py); a campaign's template may name
# only known placeholders and its segment must exist (tests/e2e/test_campaigns.py):
# 422s no JSON Schema can rule out.
CHECKED_BY_CONTENT = {
    "/api/v1/campaigns",
    "/api/v1/letters/inbound",
    "/api/v1/orders",
    "/api/v1/segments",
    "/api/v1/appointments",
    "/api/v1/appointments/{appointment_id}/reschedule",
}
# Whether a phone number exists in its country's numbering plan (libphonenumber's
# data, e.g. `+49 0000` does not) is no JSON Schema either: on these routes a 422
# is allowed only when it names the phone number as the reason.
CHECKED_AS_PHONE_NUMBERS = {
    "/api/v1/customers/{customer_id}/calls",
    "/api/v1/customers/{customer_id}/call-notes",
    "/api/v1/customers/{customer_id}/messages",
}
PHONE_REFUSALS = ("not a phone number: ", "not a valid phone number: ")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def ids_in(text: str) -> list[str]:
    return UUID_TEXT.findall(text)


def cases_of_other_teams(hub: Any, who: FuzzToken) -> set[str]:
    """The ids of the cases now in queues of a team `who` is not in: no answer
    to `who` may name them (domain/access.py decides which queues those are)."""
    hidden = hidden_queues(who, FUZZ_QUEUE_TEAMS)
    if not hidden:
        return set()
    where = CaseFilter(state=None)
    return {
        c["complaint_id"] for c in hub.views.complaints.cases(where, 10_000) if c["queue"] in hidden
    }


READS = {"GET", "HEAD", "OPTIONS"}
# POSTs that change nothing: a preview of a canned response.
AUDITOR_MAY_POST = {"/api/v1/canned-responses/{key}/render"}


def weighted(tokens: list[FuzzToken]) -> list[FuzzToken]:
    """Mostly those who may do everything (most of the API is then reached),
    and each other token at least once in a while."""
    admins = [t for t in tokens if t.role == Role.ADMIN]
    return [*admins, *admins, *tokens]


# Bounded by its example counts, not by time: on a loaded machine (eight test
# runs on two cores) it outlasts the suite's 300 s default, and a timeout
# raised inside an example reads as a flaky failure of that operation.
@pytest.mark.timeout(900)
def test_the_api_keeps_its_openapi_contract(served: Served) -> None:
    """Every operation of the served document, with requests generated from it
    (valid ones: a refusal must then be a documented error, never a 5xx)."""
    # An empty configuration: no schemathesis.toml found on the way changes the run.
    schema = schemathesis.openapi.from_url(
        served.base_url + "/openapi.json", config=SchemathesisConfig()
    )
    failures: dict[str, str] = {}
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/stream":
            continue  # never ends; its answers are tested in test_complaint_stream.py

        # schemathesis' pytest integration (from_fixture) does not run on
        # pytest 9, so each operation gets a Hypothesis test of its own here.
        # Mostly an admin (who may do everything), else the roles that get 403s.
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE),
            at_known=st.booleans(),
            who=st.sampled_from(weighted(served.tokens)),
        )
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded in time
            suppress_health_check=list(HealthCheck),
        )
        def keeps_the_contract(case: Any, at_known: bool, who: FuzzToken) -> None:
            if at_known:
                aimed(case, served.known)
            response = case.call_and_validate(
                base_url=served.base_url,
                headers={"Authorization": f"Bearer {who.token}"},
                timeout=10,
                checks=CHECKS,
            )
            # A request the document allows is not refused for its shape.
            path = case.operation.path
            if not who.may_write and 200 <= response.status_code < 300:
                assert case.method.upper() in READS or path in AUDITOR_MAY_POST, (
                    f"{who.name} wrote: {case.method} {path} -> {response.status_code}"
                )
            if response.status_code == 422 and path in CHECKED_AS_PHONE_NUMBERS:
                assert str(response.json().get("detail", "")).startswith(PHONE_REFUSALS), (
                    response.text
                )
            elif path not in CHECKED_BY_CONTENT:
                assert response.status_code != 422, response.text
            if 200 <= response.status_code < 300:
                answered = response.content.decode("utf-8", "replace")  # a zip is bytes
                leaked = cases_of_other_teams(served.hub, who) & set(ids_in(answered))
                assert not leaked, f"{who.name} saw another team's case {leaked}: {path}"

        try:
            keeps_the_contract()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:3000]
        tested += 1
    assert tested >= 30, "the document lost its operations"
    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())


# --- issue 18, item 3: authentication everywhere, no write by an auditor ------

# The operations that take no bearer token, and what guards them instead.
PROBES = {"/healthz", "/readyz", "/metrics"}  # say nothing about customers
SIGNED = (
    "/webhooks/",  # the provider's signature (Twilio, Mailgun, the print provider)
    "/unsubscribe/",  # the HMAC in the link itself
    "/survey/",  # the rating link's own HMAC (docs/satisfaction.md)
)
NO_SUCH_ID = "00000000-0000-0000-0000-000000000001"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", NO_SUCH_ID, path)


def test_every_operation_needs_a_token_but_the_public_ones(
    served: Served, document: dict[str, Any]
) -> None:
    unguarded = []
    with httpx.Client(base_url=served.base_url, timeout=10) as client:
        for path, method, _ in operations(document):
            if path in PROBES or path == "/api/v1/stream":
                continue
            if path.startswith(SIGNED):
                # Unsigned, well-formed: refused for the missing signature.
                response = client.request(method, concrete(path), data={"Body": "x"})
                if response.status_code not in (401, 403, 422):
                    unguarded.append((method, path, response.status_code))
                continue
            response = client.request(method, concrete(path))
            if response.status_code != 401:
                unguarded.append((method, path, response.status_code))
            bad = client.request(method, concrete(path), headers={"Authorization": "Bearer x"})
            if bad.status_code != 401:
                unguarded.append((method, path, bad.status_code))
    assert not unguarded
    assert len(PROBES) == 3  # the public list is this short, on purpose


def test_an_auditor_may_not_write_anywhere(served: Served, document: dict[str, Any]) -> None:
    auditor = next(t for t in served.tokens if not t.may_write)
    allowed = []
    with httpx.Client(
        base_url=served.base_url,
        headers={"Authorization": f"Bearer {auditor.token}"},
        timeout=10,
    ) as client:
        before = served.hub.store.max_notification_id()
        for path, method, _ in operations(document):
            if method.upper() in READS or not path.startswith("/api/"):
                continue
            if path in AUDITOR_MAY_POST:
                continue
            for target in {concrete(path), concrete(aimed_path(path, served.known))}:
                response = client.request(method, target, json={})
                if response.status_code != 403:
                    allowed.append((method, target, response.status_code))
        assert served.hub.store.max_notification_id() == before
    assert not allowed


def aimed_path(path: str, known: dict[str, str]) -> str:
    """The path with the ids of things that exist, where the seed has one."""
    for name, value in known.items():
        path = path.replace("{" + name + "}", value)
    return path
