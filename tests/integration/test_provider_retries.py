"""Every provider call has a timeout, and only calls the provider certainly did
not act on are retried, with backoff (issue 18, item 2; adapters/retry.py).

Against loopback stand-ins speaking the real wire formats: the Twilio REST
stand-in answering 503 or 500 first, a server that accepts the connection and
never answers (Twilio's HTTP and an SMTP relay's greeting), and an aiosmtpd
relay that is not listening yet.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import anyio
import pytest

from adapters.email.sender import EmailSendFailed, RelayConfig, SmtpEmailSender
from adapters.retry import Backoff, retry_sync
from adapters.sms.sender import SendFailed, TwilioMessageSender
from adapters.voice.sender import TwilioCallPlacer
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER
from tests.support.smtp_relay import SmtpRelay
from tests.support.twilio_standin import TwilioStandIn

CUSTOMER = "+4917612345678"
QUICK = Backoff(attempts=3, base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as standin:
        yield standin


class Silent:
    """Accepts TCP connections and never says a word; counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


def sms_sender(base_url: str, *, timeout: float = 10.0) -> TwilioMessageSender:
    return TwilioMessageSender(
        ACCOUNT_SID, AUTH_TOKEN, base_url, timeout_seconds=timeout, backoff=QUICK
    )


def test_twilio_refusing_for_now_is_retried_and_the_message_sent_once(
    twilio: TwilioStandIn,
) -> None:
    twilio.fail_next(503, 20503, "Service unavailable")
    twilio.fail_next(429, 20429, "Too Many Requests")
    sent = sms_sender(twilio.base_url).send(
        to=CUSTOMER, from_=OUR_NUMBER, body="Hallo", status_callback=None
    )
    assert [r.status for r in twilio.rejected] == [503, 429]
    assert [m.sid for m in twilio.messages] == [sent.sid]


def test_a_call_refused_for_now_is_retried_too(twilio: TwilioStandIn) -> None:
    twilio.fail_next(503, 20503, "Service unavailable")
    placer = TwilioCallPlacer(ACCOUNT_SID, AUTH_TOKEN, twilio.base_url, backoff=QUICK)
    placed = placer.place(
        to="+4930901820999",
        from_=OUR_NUMBER,
        twiml="<Response/>",
        status_callback="http://127.0.0.1:9/cb",
    )
    assert [c.sid for c in twilio.calls] == [placed.sid]


def test_a_twilio_error_that_may_have_sent_is_not_retried(twilio: TwilioStandIn) -> None:
    twilio.fail_next(500, 20500, "Internal Server Error")
    with pytest.raises(SendFailed) as failed:
        sms_sender(twilio.base_url).send(
            to=CUSTOMER, from_=OUR_NUMBER, body="Hallo", status_callback=None
        )
    assert failed.value.transient and not failed.value.unsent
    assert len(twilio.rejected) == 1 and twilio.messages == []


def test_a_twilio_that_hangs_times_out_and_is_not_asked_again(silent: Silent) -> None:
    with pytest.raises(SendFailed) as failed:
        sms_sender(f"http://127.0.0.1:{silent.port}", timeout=0.5).send(
            to=CUSTOMER, from_=OUR_NUMBER, body="Hallo", status_callback=None
        )
    # The request went out: Twilio may have sent it, so a retry could send it twice.
    assert failed.value.transient and not failed.value.unsent
    assert len(silent.accepted) == 1


def test_a_twilio_that_cannot_be_reached_counts_as_unsent() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(SendFailed) as failed:
        sms_sender(f"http://127.0.0.1:{port}").send(
            to=CUSTOMER, from_=OUR_NUMBER, body="Hallo", status_callback=None
        )
    assert failed.value.unsent


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "hub@example.com"
    mail["To"] = "kunde@example.de"
    mail["Subject"] = "Info"
    mail.set_content("Hallo")
    return mail


def test_a_relay_that_never_greets_times_out(silent: Silent) -> None:
    relay = RelayConfig.from_url(f"smtp://127.0.0.1:{silent.port}?starttls=off")
    sender = SmtpEmailSender(relay, timeout=0.5, backoff=QUICK)
    with pytest.raises(EmailSendFailed) as failed:
        anyio.run(lambda: sender.send(message(), sender="hub@example.com", recipients=["k@x.de"]))
    assert failed.value.transient


def test_a_relay_not_yet_listening_is_retried_until_it_takes_the_message() -> None:
    relay = SmtpRelay()  # its port chosen, nothing listening on it yet
    patient = Backoff(attempts=40, base_seconds=0.05, cap_seconds=0.1)
    sender = SmtpEmailSender(RelayConfig.from_url(relay.url), timeout=5, backoff=patient)

    async def send_once_refused() -> None:
        with pytest.raises(EmailSendFailed) as first:
            await sender._send_once(message(), sender="hub@example.com", recipients=["k@x.de"])
        assert first.value.unsent

    anyio.run(send_once_refused)
    starter = threading.Thread(target=relay.__enter__)
    try:
        starter.start()
        accepted = anyio.run(
            lambda: sender.send(message(), sender="hub@example.com", recipients=["k@x.de"])
        )
        assert accepted.code == 250
        assert [r.message["Subject"] for r in relay.received] == ["Info"]
    finally:
        starter.join()
        relay.__exit__(None, None, None)


def test_backoff_doubles_up_to_its_cap_and_stops_at_a_failure_that_may_have_sent() -> None:
    assert Backoff(attempts=5, base_seconds=0.1, cap_seconds=0.3).delays() == [
        0.1,
        0.2,
        0.3,
        0.3,
    ]
    calls: list[str] = []

    def flaky() -> str:
        calls.append("call")
        if len(calls) == 1:
            raise ConnectionRefusedError("unsent")
        raise TimeoutError("may have sent")

    with pytest.raises(TimeoutError):
        retry_sync(flaky, lambda exc: isinstance(exc, ConnectionRefusedError), QUICK)
    assert len(calls) == 2
