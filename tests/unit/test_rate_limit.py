"""Which budget a request draws on (services/entry/api/rate_limit.py), and
that a rate the `limits` library cannot read is refused at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from services.entry.api.rate_limit import Budget, budget_of, parse_rate
from services.infra.settings import Settings


def test_a_token_is_its_own_budget_kept_as_a_hash() -> None:
    one = budget_of("/api/v1/complaints", Headers({"authorization": "Bearer abc"}), "10.0.0.1")
    other = budget_of("/api/v1/complaints", Headers({"authorization": "Bearer abd"}), "10.0.0.1")
    assert one is not None and other is not None
    assert one.scope == "api" and one.key.startswith("token:") and one != other
    assert "abc" not in one.key
    # The same token from another address is the same budget.
    assert budget_of("/", Headers({"authorization": "bearer abc"}), "10.9.9.9") == one


def test_without_a_token_the_client_address_is_the_budget() -> None:
    assert budget_of("/api/v1/users", Headers({}), "10.0.0.1") == Budget("api", "ip:10.0.0.1")
    assert budget_of("/login", Headers({"authorization": "Basic x"}), "10.0.0.2") == Budget(
        "api", "ip:10.0.0.2"
    )


def test_webhooks_draw_on_the_sources_budget_even_with_a_token() -> None:
    headers = Headers({"authorization": "Bearer abc"})
    assert budget_of("/webhooks/twilio/sms", headers, "54.1.2.3") == Budget(
        "webhooks", "ip:54.1.2.3"
    )


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_probes_are_never_limited(path: str) -> None:
    assert budget_of(path, Headers({}), "10.0.0.1") is None


def test_rates_empty_means_no_limit_and_nonsense_is_refused() -> None:
    assert parse_rate("") is None and parse_rate("  ") is None
    assert parse_rate("5/minute") is not None
    with pytest.raises(ValidationError, match="rate_limit_api"):
        Settings(rate_limit_api="lots", _env_file=None)  # type: ignore[call-arg]
