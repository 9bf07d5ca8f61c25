"""Property tests on the parsers of what arrives from outside (issue 18, item 3).

- The MIME parser, fed random mutations of the real-world messages of
  CPython's email test corpus: every one is an email event, a delivery report
  or a MalformedEmail (SMTP 550); nothing else. Any other exception would be an
  SMTP 451, and the sending MTA would retry a message that can never succeed.
- The CSV order import, fed rows of real and hostile values: every order is
  imported or reported with its line number; nothing raises, and importing the
  same file again records nothing twice.

Deterministic (derandomize), few examples: two cores run the suite.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.email import mime
from adapters.email.dsn import delivery_report
from adapters.email.translate import MalformedEmail, inbound_email_event
from services.app.orders.importer import COLUMNS, parse
from services.infra.settings import Settings
from services.wiring.hub import Hub, build_hub
from tests.support.email_corpus import as_smtp_data, corpus_files

FEW = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CORPUS = [as_smtp_data(path) for path in corpus_files()]
SECRET = b"s" * 32
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    """A corpus message with a few edits: bytes replaced, inserted or cut,
    lines dropped or repeated, the message truncated."""
    raw = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=max(len(raw) - 1, 0)))
        edit = draw(st.sampled_from(["replace", "insert", "cut", "truncate", "lines"]))
        if edit == "replace" and raw:
            raw[at] = draw(st.integers(min_value=0, max_value=255))
        elif edit == "insert":
            raw[at:at] = draw(
                st.sampled_from([b"\r\n", b"=?utf-8?b?", b"--", b":", b"\x00", b"\xff\xfe"])
                | st.binary(max_size=40)
            )
        elif edit == "cut":
            del raw[at : at + draw(st.integers(min_value=1, max_value=200))]
        elif edit == "truncate":
            del raw[at:]
        else:
            lines = bytes(raw).split(b"\r\n")
            n = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
            lines[n:n] = [lines[n]] * draw(st.integers(min_value=0, max_value=3))
            if draw(st.booleans()) and lines:
                del lines[n]
            raw = bytearray(b"\r\n".join(lines))
    return bytes(raw)


def read_as_the_gateway_does(raw: bytes) -> str:
    """What services/app/intake/email_gateway.py does with a message before it
    is recorded: parse once, look for a delivery report, else the email event."""
    message = mime.parse(raw)
    if delivery_report(message) is not None:
        return "report"
    inbound_email_event(
        raw, provider="smtp", received_at=NOW, address_secret=SECRET, message=message
    )
    return "email"


def test_the_corpus_itself_is_read() -> None:
    assert len(CORPUS) >= 40
    read = []
    for raw in CORPUS:
        try:
            read.append(read_as_the_gateway_does(raw))
        except MalformedEmail:
            read.append("refused")
    assert read.count("email") >= 30, read


@FEW
@given(raw=mutated_messages())
def test_a_mutated_real_message_is_an_email_a_report_or_a_clear_refusal(raw: bytes) -> None:
    try:
        read_as_the_gateway_does(raw)
    except MalformedEmail as refusal:
        assert str(refusal)  # the 550's reason


# --- the CSV order import ---------------------------------------------------

field_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "A-1",
            "A-2",
            "kunde@example.de",
            "not an email",
            "+4917612345678",
            "2026-02-01T10:00:00+01:00",
            "2026-02-01T10:00:00",
            "2026-13-45",
            "EUR",
            "XXX",
            "1",
            "0",
            "-3",
            "1e9",
            "19.99",
            "-0.01",
            "NaN",
            "00000000-0000-0000-0000-000000000001",
            "=cmd|' /C calc'!A0",
        ]
    ),
    st.text(max_size=30),
)
rows = st.lists(
    st.lists(field_values, min_size=0, max_size=len(COLUMNS) + 2), min_size=0, max_size=8
)
headers = st.sampled_from(
    [list(COLUMNS), list(reversed(COLUMNS)), list(COLUMNS[:5]), ["order_id"], []]
)


def csv_text(header: list[str], body: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data: Path = tmp_path_factory.mktemp("csv") / "data"
    built = build_hub(
        Settings(data_dir=data, _env_file=None),  # type: ignore[call-arg]
        parts=("store", "order_importer"),
    )
    yield built


def test_an_order_csv_of_any_content_is_imported_or_reported_by_line(hub: Hub) -> None:
    @FEW
    @given(header=headers, body=rows, junk=st.none() | st.text(max_size=80))
    def imports(header: list[str], body: list[list[str]], junk: str | None) -> None:
        text = csv_text(header, body) + (junk or "")
        first = hub.order_importer.run(parse(io.StringIO(text)))
        assert all(e.startswith("line ") for e in first.errors), first.errors
        again = hub.order_importer.run(parse(io.StringIO(text)))
        assert again.orders == 0  # nothing recorded twice
        assert len(again.errors) == len(first.errors)

    imports()
