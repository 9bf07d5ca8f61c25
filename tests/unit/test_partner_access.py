"""The partner rules and the webhook signature: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.partner_access import (
    RetryPolicy,
    case_audience,
    may_call,
    sees_appointment,
    sees_case,
)
from domain.webhook_signature import signature, verify


def test_a_partner_may_call_only_its_routes() -> None:
    assert may_call("GET", "/api/v1/complaints")
    assert may_call("get", "/api/v1/complaints/{complaint_id}")
    assert may_call("POST", "/api/v1/complaints/{complaint_id}/resolve")
    assert not may_call("POST", "/api/v1/complaints/{complaint_id}/claim")
    assert not may_call("DELETE", "/api/v1/complaints/{complaint_id}")
    assert not may_call("GET", "/api/v1/customers/{customer_id}")
    assert not may_call("GET", "/api/v1/complaints/")  # the template, not a prefix


def test_shared_objects() -> None:
    assert sees_case("repairs", ["dealer", "repairs"])
    assert not sees_case("repairs", ["dealer"])
    assert not sees_case(None, ["repairs"])
    assert sees_appointment(("Lager 2", "Werkstatt"), "Werkstatt")
    assert not sees_appointment(("Lager 2",), "lager 2")  # exactly as written, as in SQL
    assert not sees_appointment((), "")
    assert not sees_appointment(("",), "")
    # An unshare is told to the partner that loses the case.
    assert case_audience({"a", "b"}, {"a"}) == {"a", "b"}


@given(st.integers(min_value=1, max_value=60))
def test_backoff_doubles_up_to_its_cap(attempts: int) -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=0.5, max_seconds=30)
    assert policy.delay(attempts) == min(30, 0.5 * 2 ** (attempts - 1))
    assert policy.delay(attempts + 1) >= policy.delay(attempts)
    assert policy.gives_up(attempts) == (attempts >= 5)


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2**40))
def test_the_signature_is_hmac_sha256_of_timestamp_dot_body(body: bytes, ts: int) -> None:
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    header = signature("s3cret", ts, body)
    assert header == f"v1={expected}"
    assert verify("s3cret", str(ts), body, header, now=ts)
    assert not verify("other", str(ts), body, header, now=ts)
    assert not verify("s3cret", str(ts + 1), body, header, now=ts)
    assert not verify("s3cret", str(ts), body + b"x", header, now=ts)
    assert not verify("s3cret", str(ts), body, header, now=ts + 301)  # too old: a replay
    assert not verify("s3cret", "not-a-number", body, header, now=ts)


def test_the_documented_receiver_snippet_accepts_our_signature_only() -> None:
    text = (Path(__file__).parents[2] / "docs" / "partners.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", text, re.S)
    assert snippet is not None
    scope: dict[str, Any] = {}
    exec(snippet.group(1), scope)
    check = scope["is_from_contacthub"]
    body = b'{"event_type": "ComplaintResolved"}'
    now = int(time.time())
    headers = {
        "X-Contacthub-Timestamp": str(now),
        "X-Contacthub-Signature": signature("whsec_x", now, body),
    }
    assert check("whsec_x", headers, body)
    assert not check("whsec_y", headers, body)
    assert not check("whsec_x", headers, body + b" ")
    stale = {**headers, "X-Contacthub-Timestamp": str(now - 3600)}
    assert not check("whsec_x", stale, body)
