"""Rate limits per bearer token and per webhook source: 429 with Retry-After.

Two budgets, each a `limits` rate string ("6000/minute", "50/second";
empty: no limit), from the settings:

- the agent API and the console (CONTACTHUB_RATE_LIMIT_API): one budget per
  bearer token (kept as its hash, never the token), and per client address for
  requests without one, so guessing tokens from one address is throttled too;
- the provider webhooks under /webhooks/ (CONTACTHUB_RATE_LIMIT_WEBHOOKS): one
  budget per client address. The provider's account is in the body, which this
  layer never reads (the body limit and the signature check come first).

Health, readiness and metrics are never limited: an orchestrator's probes must
not be refused because of traffic. The windows are moving windows in this
process's memory: with several processes behind a balancer, each counts its own.

The webhooks' default is no limit: a provider answered 429 may not send the
message again (Twilio does not retry an SMS webhook), so throttling a real
provider loses what a customer wrote. Set it where the gateway faces floods
from addresses that are not the provider's.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from fastapi import status
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
WEBHOOK_PREFIX = "/webhooks/"


def parse_rate(text: str) -> RateLimitItem | None:
    """A `limits` rate string, or None for an empty one (no limit).
    Raises ValueError for one `limits` cannot read."""
    if not text.strip():
        return None
    return parse(text)


@dataclass(frozen=True)
class Budget:
    """Which budget a request draws on, and under whose name."""

    scope: str  # "api" or "webhooks"
    key: str


def budget_of(path: str, headers: Headers, client: str) -> Budget | None:
    """None for the paths no limit applies to; else the budget and its key."""
    if path in UNLIMITED_PATHS:
        return None
    if path.startswith(WEBHOOK_PREFIX):
        return Budget("webhooks", f"ip:{client}")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        digest = hashlib.sha256(token.strip().encode()).hexdigest()[:32]
        return Budget("api", f"token:{digest}")
    return Budget("api", f"ip:{client}")


class RateLimit:
    def __init__(
        self, app: ASGIApp, *, api: RateLimitItem | None, webhooks: RateLimitItem | None
    ) -> None:
        self.app = app
        self.rates = {"api": api, "webhooks": webhooks}
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        budget = budget_of(scope["path"], Headers(scope=scope), client[0] if client else "-")
        rate = self.rates[budget.scope] if budget is not None else None
        if budget is None or rate is None or self.limiter.hit(rate, budget.scope, budget.key):
            await self.app(scope, receive, send)
            return
        reset = self.limiter.get_window_stats(rate, budget.scope, budget.key).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        response = JSONResponse(
            {"detail": f"too many requests: at most {rate} per {describe(budget)}"},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)


def describe(budget: Budget) -> str:
    return "token" if budget.key.startswith("token:") else "client address"
