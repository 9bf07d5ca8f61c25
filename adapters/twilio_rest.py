"""The twilio REST client as the senders use it, its errors as `SendFailed`, and
the create-retry-check every sender does (`TwilioSender`).

Shared by the messaging and voice senders, so both point at the same base URL
(a loopback stand-in in tests) and report Twilio's answers the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar, cast

import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.retry import DEFAULT_BACKOFF, Backoff, retry_sync

# twilio's HTTP client waits forever by default; a hung socket must not hang a sender.
DEFAULT_TIMEOUT_SECONDS = 15.0


class _ClientFactory(Protocol):
    def __call__(self, username: str, password: str, *, http_client: HttpClient) -> Client: ...


# twilio.rest.Client.__init__ has no annotations; this is the part of it used here.
_new_client = cast(_ClientFactory, Client)


class SendFailed(Exception):
    """Twilio did not accept the message or call (or could not be reached).

    `code` is Twilio's error code (e.g. 21211) when Twilio gave one. `transient`
    says a later retry may succeed (5xx, 429, network). A timeout after the
    request went out is also transient, though Twilio may have created the
    resource: a retry can send it twice. `unsent` says Twilio certainly did not
    act (no connection was made, or it answered 429 or 503): only then do the
    senders retry (adapters/retry.py).
    """

    def __init__(
        self, message: str, *, code: int | None, transient: bool, unsent: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient
        self.unsent = unsent


# Answers that say Twilio refused the request for now and created nothing.
REFUSED_FOR_NOW = frozenset({429, 503})


def is_unsent(exc: Exception) -> bool:
    """What `retry_sync` asks: may this failed call be repeated safely?"""
    return isinstance(exc, SendFailed) and exc.unsent


def twilio_client(
    account_sid: str, auth_token: str, api_base: str | None, timeout_seconds: float
) -> Client:
    # twilio's Client silently falls back to TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN
    # from the environment for empty credentials; refuse instead.
    if not account_sid or not auth_token:
        raise ValueError("account_sid and auth_token must be non-empty")
    client = _new_client(
        account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_seconds)
    )
    if api_base is not None:
        # Domain.absolute_url() joins base_url and the resource path.
        client.api.base_url = api_base
        # TWILIO_EDGE/TWILIO_REGION (read from the environment) rewrite the
        # host name as product.edge.region.twilio.com, which would mangle it.
        client.edge = None
        client.region = None
    return client


class Created(Protocol):
    """What twilio's create() returns, as far as a sender reads it: the new
    resource's sid and status (twilio annotates the status as its Status class,
    but it holds the JSON string)."""

    @property
    def sid(self) -> str | None: ...

    @property
    def status(self) -> object: ...


C = TypeVar("C", bound=Created)


class TwilioSender:
    """One Twilio account's REST client, and the one way a sender creates a
    resource (a message, a call) through it: Twilio's errors as `SendFailed`,
    retried only when Twilio certainly did not act (`SendFailed.unsent`), with
    backoff (adapters/retry.py); an answer without sid or status is a failure."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self._client = twilio_client(account_sid, auth_token, api_base, timeout_seconds)
        self._backoff = backoff

    def _create(self, what: str, create: Callable[[], C]) -> tuple[str, str]:
        """Twilio's sid and status of the `what` that `create` made."""

        def attempt() -> C:
            with reported_as_send_failed(what):
                return create()

        created = retry_sync(attempt, is_unsent, self._backoff)
        sid = created.sid
        status = created.status
        if not sid or not isinstance(status, str):
            raise SendFailed(
                f"Twilio answered without a {what} sid or status", code=None, transient=False
            )
        return sid, status


@contextmanager
def reported_as_send_failed(what: str) -> Iterator[None]:
    """Turns twilio's and requests' exceptions into `SendFailed`."""
    try:
        yield
    except TwilioRestException as exc:
        raise SendFailed(
            f"Twilio refused the {what} (HTTP {exc.status}): {exc.msg}",
            code=_twilio_code(exc.code, exc.status),
            transient=_is_transient(exc.status),
            unsent=exc.status in REFUSED_FOR_NOW,
        ) from exc
    except TwilioServiceException as exc:
        # The RFC 9457 error shape twilio 9.x also understands (newer product APIs).
        raise SendFailed(
            f"Twilio refused the {what} (HTTP {exc.status}): {exc.title}",
            code=_twilio_code(exc.code, exc.status),
            transient=_is_transient(exc.status),
            unsent=exc.status in REFUSED_FOR_NOW,
        ) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SendFailed(
            f"Twilio unreachable: {exc}", code=None, transient=True, unsent=_never_connected(exc)
        ) from exc
    except requests.RequestException as exc:
        # e.g. an invalid api_base: retrying will not help.
        raise SendFailed(f"request to Twilio failed: {exc}", code=None, transient=False) from exc


def _never_connected(exc: requests.RequestException) -> bool:
    """No TCP connection was made, so no request reached Twilio. A read timeout
    or a connection lost mid-answer is not this: the request may have arrived."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _is_transient(http_status: int) -> bool:
    return http_status >= 500 or http_status == 429


def _twilio_code(code: int | None, http_status: int) -> int | None:
    # For a non-JSON error body (a proxy's HTML 502, say) or one without "code",
    # twilio puts the HTTP status into `code`; that is not a Twilio error code.
    if code is None or code == http_status:
        return None
    return int(code)
