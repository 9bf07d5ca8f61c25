"""POSTs a signed webhook to a partner's URL (httpx): the thin client, no decisions."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class DeliveryFailed(Exception):
    """The partner did not take the delivery (refused connection, timeout, not 2xx)."""


class HttpWebhookSender:
    def __init__(self, timeout: float) -> None:
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Returns once the partner answered 2xx; raises DeliveryFailed otherwise."""
        try:
            response = self.client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    def close(self) -> None:
        self.client.close()
