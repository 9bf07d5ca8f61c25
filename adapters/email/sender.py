"""Outbound email through an SMTP relay with aiosmtplib.

A thin wrapper with no decisions: it hands the message to the relay and
reports the relay's answer as two plain types (`RelayAccepted`,
`EmailSendFailed`). `transient` on a failure means the relay answered 4xx or
could not be reached: the message is deferred, not lost. `unsent` means no
connection was made, so the relay never saw the message: only that is retried
at once, with backoff (adapters/retry.py). A 4xx reply (greylisting) means
"later", minutes not milliseconds: it is reported as deferred. A timeout after
the message went out is not retried, since the relay may have queued it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import aiosmtplib

from adapters.retry import DEFAULT_BACKOFF, Backoff, retry_async

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int
    use_tls: bool
    start_tls: bool | None
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> RelayConfig:
        """`smtp://[user:pass@]host[:port]` (STARTTLS if offered, `?starttls=require`
        to insist, `?starttls=off` to never), or `smtps://...` (TLS from the start)."""
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError(
                f"CONTACTHUB_SMTP_RELAY_URL must be smtp://host:port or smtps://..., not {url!r}"
            )
        tls = parsed.scheme == "smtps"
        mode = dict(p.split("=", 1) for p in parsed.query.split("&") if "=" in p).get("starttls")
        start_tls = {"require": True, "off": False}.get(mode or "")
        return cls(
            host=parsed.hostname,
            port=parsed.port or (465 if tls else 25),
            use_tls=tls,
            start_tls=False if tls else start_tls,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )


@dataclass(frozen=True)
class RelayAccepted:
    code: int
    message: str


class EmailSendFailed(Exception):
    def __init__(
        self, message: str, *, code: int | None, transient: bool, unsent: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient
        self.unsent = unsent


def is_unsent(exc: Exception) -> bool:
    return isinstance(exc, EmailSendFailed) and exc.unsent


# Failures before any connection: the relay never saw the message.
NOT_CONNECTED = (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError)


class SmtpEmailSender:
    def __init__(
        self,
        relay: RelayConfig,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.relay = relay
        self.timeout = timeout
        self.backoff = backoff

    async def send(
        self, message: EmailMessage, *, sender: str, recipients: Sequence[str]
    ) -> RelayAccepted:
        async def once() -> RelayAccepted:
            return await self._send_once(message, sender=sender, recipients=recipients)

        return await retry_async(once, is_unsent, self.backoff)

    async def _send_once(
        self, message: EmailMessage, *, sender: str, recipients: Sequence[str]
    ) -> RelayAccepted:
        relay = self.relay
        try:
            _refused, answer = await aiosmtplib.send(
                message,
                sender=sender,
                recipients=list(recipients),
                hostname=relay.host,
                port=relay.port,
                username=relay.username,
                password=relay.password,
                use_tls=relay.use_tls,
                start_tls=relay.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            worst = max(exc.recipients, key=lambda r: r.code)
            raise EmailSendFailed(
                f"the relay refused {worst.recipient}: {worst.code} {worst.message}",
                code=worst.code,
                transient=400 <= worst.code < 500,
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise EmailSendFailed(
                f"the relay answered {exc.code} {exc.message}",
                code=exc.code,
                transient=400 <= exc.code < 500,
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise EmailSendFailed(
                f"relay unreachable: {exc}",
                code=None,
                transient=True,
                unsent=isinstance(exc, (*NOT_CONNECTED, ConnectionRefusedError)),
            ) from exc
        code, _, text = answer.partition(" ")
        return RelayAccepted(int(code) if code.isdigit() else 250, text or answer)
