"""The hub's own SMTP receiver (aiosmtpd), on CONTACTHUB_SMTP_LISTEN.

It runs on the serving event loop, beside the HTTP app. Replies follow RFC 5321:
250 only once the message and its raw bytes are durable; 451 (transient) when
they cannot be stored now, so the sending MTA retries; 552 for a message over
the size limit (aiosmtpd checks SIZE and the DATA it reads); 452 for a
recipient beyond the limit; 550 for a message that cannot be an email of a
customer (no usable sender address).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.email.translate import MalformedEmail
from services.app.intake.email_gateway import EmailGateway
from services.infra.bus import BusUnavailable

log = logging.getLogger(__name__)

# aiosmtpd logs every command line, sender and recipient at INFO: personal data
# that must not reach the logs. Its warnings (bogus commands, TLS set-up) stay.
AIOSMTPD_LOGGER = "mail.log"


class IntakeHandler:
    """aiosmtpd handler: hooks are looked up by name (handle_RCPT, handle_DATA)."""

    def __init__(self, gateway: EmailGateway, *, max_recipients: int) -> None:
        self.gateway = gateway
        self.max_recipients = max_recipients

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return f"452 4.5.3 Too many recipients (at most {self.max_recipients})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            accepted = await self.gateway.receive_raw(
                raw,
                provider="smtp",
                envelope_from=envelope.mail_from or None,
                envelope_to=list(envelope.rcpt_tos),
            )
        except MalformedEmail as exc:
            log.info("SMTP message refused (550)")  # the reason may quote an address
            return f"550 5.6.0 Message refused: {exc}"
        except BusUnavailable as exc:
            log.warning("SMTP message not stored, asked the sender to retry: %s", exc)
            return "451 4.3.0 Cannot store the message now, try again later"
        except Exception:
            log.exception("SMTP message failed")
            return "451 4.3.0 Cannot store the message now, try again later"
        # Ids only, never addresses, in the log. The reply names our own id for
        # this message, never one the sender could learn another customer's
        # interaction from.
        log.info("SMTP %s queued as %s", accepted.kind, accepted.reference)
        return f"250 2.0.0 OK: queued as {accepted.reference}"


async def start_smtp_receiver(
    gateway: EmailGateway,
    host: str,
    port: int,
    *,
    max_message_bytes: int,
    max_recipients: int,
    hostname: str | None = None,
) -> asyncio.Server:
    """Listens on host:port in the running loop; close the returned server to stop."""
    handler = IntakeHandler(gateway, max_recipients=max_recipients)
    logging.getLogger(AIOSMTPD_LOGGER).setLevel(logging.WARNING)

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="contacthub",
        )

    loop = asyncio.get_running_loop()
    return await loop.create_server(protocol, host, port)
